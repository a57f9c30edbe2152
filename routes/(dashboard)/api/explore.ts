import type { AppState } from "../../../lib/web/app_state.ts";
import { asBadRequest, orBusy, readQuery } from "../../../lib/web/dashboard_request.ts";
import { loadExploreCached } from "../../../lib/dashboard/explore.ts";
import { resolveQueryDays } from "../../../lib/dashboard/summary.ts";
import type { Handlers } from "../../../server/mod.ts";

/**
 * `GET /api/explore?range=&from=&to=`: the explore panel's statistics (as `deno task
 * stats`); 400 for a range outside the allowed days, 503 with `Retry-After` while the
 * process already scans another range.
 */
export const handler: Handlers<AppState> = {
  GET({ url, state }) {
    return orBusy(async () => {
      const query = await readQuery(url);
      const timeZone = state.config.analyticsTz;
      const { range } = await asBadRequest(() => resolveQueryDays(state.sql, query, { timeZone }));
      const stats = await loadExploreCached(state.sql, range, { timeZone });
      return Response.json(stats, { headers: { "cache-control": "no-store" } });
    });
  },
};
