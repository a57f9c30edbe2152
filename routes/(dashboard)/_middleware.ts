import type { AppState } from "../../lib/web/app_state.ts";
import { authorize } from "../../lib/web/auth.ts";
import { clientOf } from "../../lib/web/client_address.ts";
import type { Middleware } from "../../server/mod.ts";

/**
 * Every route in `(dashboard)/` needs `DASHBOARD_TOKEN` when it is set: a new file here
 * is protected without touching any list. Without it, a page request from a browser
 * is sent to the sign-in form; anything else (the API, WebSocket upgrades) gets 401
 * with the reason, or 429 while the address has guessed wrong too often.
 */
export const handler: Middleware<AppState> = async function requireDashboardToken(ctx) {
  const { state } = ctx;
  const decision = await authorize(ctx.req, state.auth, clientOf(ctx, state.trust).address);
  if (decision.ok) return await ctx.next();
  const headers = new Headers({ "cache-control": "no-store" });
  if (decision.status === 429) {
    headers.set("content-type", "text/plain; charset=utf-8");
    headers.set("retry-after", String(decision.retryAfterSeconds));
    return new Response(decision.reason, { status: 429, headers });
  }
  const wantsPage = ctx.req.method === "GET" && !ctx.route.startsWith("/api/") &&
    ctx.req.headers.get("upgrade") === null &&
    (ctx.req.headers.get("accept") ?? "").includes("text/html");
  if (wantsPage) {
    headers.set("location", `/login?next=${encodeURIComponent(ctx.url.pathname + ctx.url.search)}`);
    return new Response(null, { status: 303, headers });
  }
  headers.set("content-type", "text/plain; charset=utf-8");
  headers.set("www-authenticate", 'Bearer realm="dashboard"');
  return new Response(`Unauthorized: ${decision.reason}`, { status: 401, headers });
};
