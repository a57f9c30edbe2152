import type { AppState } from "../../../lib/web/app_state.ts";
import { clientOf } from "../../../lib/web/client_address.ts";
import { type Handlers, HttpError } from "../../../server/mod.ts";
import { isSameOrigin } from "../../../lib/core/origin.ts";

/**
 * `GET /api/live`: the WebSocket that pushes live deltas to open dashboards. Upgrades
 * whose `Origin` is another site are refused (a page elsewhere cannot ride the
 * visitor's session cookie); clients without `Origin` (not browsers) need the token.
 * Past the hub's caps (`LIVE_MAX_SOCKETS`, `LIVE_MAX_SOCKETS_PER_ADDRESS`) an upgrade is
 * refused with 503, `Retry-After` and the reason.
 */
export const handler: Handlers<AppState> = {
  GET(ctx) {
    const { req, state } = ctx;
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      throw new HttpError(426, "Upgrade required: /api/live is a WebSocket");
    }
    const origin = req.headers.get("origin");
    if (origin !== null && !isSameOrigin(req, origin)) {
      throw new HttpError(403, `Forbidden: WebSocket from another origin "${origin}"`);
    }
    if (!state.live) throw new HttpError(503, "Live updates are not running");
    const address = clientOf(ctx, state.trust).address;
    const refusal = state.live.refusal(address);
    if (refusal) {
      throw new HttpError(503, refusal, { headers: { "retry-after": "30" } });
    }
    const { socket, response } = Deno.upgradeWebSocket(req);
    state.live.attach(socket, address);
    return response;
  },
};
