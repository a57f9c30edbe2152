import type { AppState } from "../../lib/web/app_state.ts";
import { authorize } from "../../lib/web/auth.ts";
import { clientOf } from "../../lib/web/client_address.ts";
import { HttpError, type Middleware } from "../../server/mod.ts";

/**
 * Every route in `(dashboard)/` needs `DASHBOARD_TOKEN` when it is set: a new file here
 * is protected without touching any list. Without it, a page request from a browser
 * is sent to the sign-in form; anything else (the API, WebSocket upgrades) gets 401
 * with the reason, or 429 while the address has guessed wrong too often (thrown as
 * `HttpError`: JSON under /api/, the error page otherwise).
 */
export const handler: Middleware<AppState> = async function requireDashboardToken(ctx) {
  const { state } = ctx;
  const decision = await authorize(ctx.req, state.auth, clientOf(ctx, state.trust).address);
  if (decision.ok) return await ctx.next();
  if (decision.status === 429) {
    throw new HttpError(429, decision.reason, {
      headers: { "cache-control": "no-store", "retry-after": String(decision.retryAfterSeconds) },
    });
  }
  const wantsPage = ctx.req.method === "GET" && !ctx.route.startsWith("/api/") &&
    ctx.req.headers.get("upgrade") === null &&
    (ctx.req.headers.get("accept") ?? "").includes("text/html");
  if (wantsPage) {
    const next = encodeURIComponent(ctx.url.pathname + ctx.url.search);
    return new Response(null, {
      status: 303,
      headers: { "cache-control": "no-store", location: `/login?next=${next}` },
    });
  }
  throw new HttpError(401, `Unauthorized: ${decision.reason}`, {
    headers: { "cache-control": "no-store", "www-authenticate": 'Bearer realm="dashboard"' },
  });
};
