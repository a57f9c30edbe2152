import type { AppState } from "../../../lib/web/app_state.ts";
import { orBusy, readExport } from "../../../lib/web/dashboard_request.ts";
import type { Handlers } from "../../../server/mod.ts";

/** `GET /api/export.csv?…`: the selected range's counts per bucket and key, as CSV. */
export const handler: Handlers<AppState> = {
  GET({ url, state }) {
    return orBusy(async () => {
      const { csv, filename } = await readExport(state, url);
      return new Response(csv, {
        headers: {
          "content-type": "text/csv; charset=utf-8",
          "content-disposition": `attachment; filename="${filename}"`,
          "cache-control": "no-store",
        },
      });
    });
  },
};
