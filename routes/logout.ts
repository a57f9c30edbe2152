import type { AppState } from "../lib/web/app_state.ts";
import { clearedSessionCookie, sessionSecret } from "../lib/web/auth.ts";
import { clientOf } from "../lib/web/client_address.ts";
import { crossSiteReason } from "../lib/core/origin.ts";
import { type Handlers, HttpError } from "../server/mod.ts";

/**
 * `POST /logout`: ends this browser's session (deletes it server-side) and clears the
 * cookie. Cross-site requests are refused (403): the SameSite=Strict cookie would not
 * come with them anyway, and the browser's `Sec-Fetch-Site`/`Origin` say so first.
 */
export const handler: Handlers<AppState> = {
  async POST(ctx) {
    const { req, state } = ctx;
    const crossSite = crossSiteReason(req);
    if (crossSite) throw new HttpError(403, `Cannot sign out from another site: ${crossSite}`);
    const secret = sessionSecret(req);
    if (secret) await state.auth.sessions.delete(secret);
    return new Response(null, {
      status: 303,
      headers: {
        location: state.auth.token ? "/login" : "/",
        "cache-control": "no-store",
        "set-cookie": clearedSessionCookie(clientOf(ctx, state.trust).secure),
      },
    });
  },
};
