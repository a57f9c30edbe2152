import type { AppState } from "../../../lib/app_state.ts";
import { readQuery } from "../../../lib/dashboard_request.ts";
import { loadExploreCached } from "../../../lib/explore.ts";
import { loadDataRange } from "../../../lib/queries.ts";
import { dayIn, resolveRange } from "../../../lib/summary.ts";
import type { Handlers } from "../../../server/mod.ts";

/** `GET /api/explore?range=&from=&to=`: the explore panel's statistics (as `deno task stats`). */
export const handler: Handlers<AppState> = {
  async GET({ url, state }) {
    const query = readQuery(url.searchParams);
    const timeZone = state.config.analyticsTz;
    const range = resolveRange(query, dayIn(new Date(), timeZone), await loadDataRange(state.sql));
    const stats = await loadExploreCached(state.sql, range, { timeZone });
    return Response.json(stats, { headers: { "cache-control": "no-store" } });
  },
};
