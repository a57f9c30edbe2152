import type { AppState } from "../../../lib/web/app_state.ts";
import { orBusy, readSummary } from "../../../lib/web/dashboard_request.ts";
import type { Handlers } from "../../../server/mod.ts";

/** `GET /api/summary?range=&from=&to=&product=&site_version=`: the dashboard's numbers. */
export const handler: Handlers<AppState> = {
  GET({ url, state }) {
    return orBusy(async () => {
      const summary = await readSummary(state, url);
      return Response.json(summary, { headers: { "cache-control": "no-store" } });
    });
  },
};
