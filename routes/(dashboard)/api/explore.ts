import type { AppState } from "../../../lib/app_state.ts";
import { asBadRequest, readQuery } from "../../../lib/dashboard_request.ts";
import { ExploreBusyError, loadExploreCached } from "../../../lib/explore.ts";
import { resolveQueryDays } from "../../../lib/queries.ts";
import type { Handlers } from "../../../server/mod.ts";

/**
 * `GET /api/explore?range=&from=&to=`: the explore panel's statistics (as `deno task
 * stats`); 400 for a range outside the allowed days, 503 with `Retry-After` while the
 * process already scans another range.
 */
export const handler: Handlers<AppState> = {
  async GET({ url, state }) {
    const query = await readQuery(url);
    const timeZone = state.config.analyticsTz;
    const { range } = await asBadRequest(() => resolveQueryDays(state.sql, query, { timeZone }));
    try {
      const stats = await loadExploreCached(state.sql, range, { timeZone });
      return Response.json(stats, { headers: { "cache-control": "no-store" } });
    } catch (error) {
      if (!(error instanceof ExploreBusyError)) throw error;
      return new Response(error.message, {
        status: 503,
        headers: {
          "content-type": "text/plain; charset=utf-8",
          "retry-after": String(error.retryAfter),
          "cache-control": "no-store",
        },
      });
    }
  },
};
