import { type Handlers, HttpError, type RouteContext } from "../../../server/mod.ts";
import type { AppState } from "../../../lib/web/app_state.ts";
import { clientOf } from "../../../lib/web/client_address.ts";
import { crossSiteReason } from "../../../lib/core/origin.ts";
import { readBody } from "../../../lib/web/read_body.ts";
import { recordShow, shopContext, type ShowResult } from "../../../lib/shop/actions.ts";
import { isBotAgent, siteVersionOf, visitorId } from "../../../lib/shop/visitor.ts";

/** A beacon's largest accepted body: `{"impression":"…"}` is under 100 bytes. */
const MAX_BODY_BYTES = 1024;

// A 1×1 transparent GIF: the no-JavaScript pixel's answer.
const PIXEL = Uint8Array.from(
  atob("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"),
  (c) => c.charCodeAt(0),
);

function refuse(status: number, reason: string, headers: Record<string, string> = {}): never {
  throw new HttpError(status, reason, { headers });
}

function admitReport(ctx: RouteContext<AppState>): void {
  if (!ctx.state.shop.limits.admitReport(clientOf(ctx, ctx.state.trust).address)) {
    refuse(429, "too many reports from this client: slow down", { "retry-after": "1" });
  }
}

async function show(ctx: RouteContext<AppState>, impression: unknown): Promise<ShowResult> {
  const { req, state } = ctx;
  const userAgent = req.headers.get("user-agent");
  return await recordShow(shopContext(state), {
    userId: visitorId(state.shop.secret, req),
    siteVersion: siteVersionOf(userAgent),
    isBot: isBotAgent(userAgent),
    address: clientOf(ctx, state.trust).address,
  }, impression);
}

/** The refusal of a view that was not counted: 400 bad id, 403 bot, 429 over a limit. */
function notCounted(result: ShowResult & { ok: false }): never {
  const retry = result.retryAfterSeconds;
  refuse(result.status, result.reason, retry ? { "retry-after": String(retry) } : {});
}

/**
 * `/api/collect`: the ad's viewability beacon. `POST {"impression": "<id>"}` from the
 * island (same origin only); `GET ?i=<id>` from the `<noscript>` pixel. Each signed
 * impression is counted once; a bad id gets 400 with the reason, a bot 403, a
 * visitor or address over its limit (or a flood of reports) 429 with `Retry-After`.
 */
export const handler: Handlers<AppState> = {
  async POST(ctx) {
    const { req } = ctx;
    admitReport(ctx);
    const crossSite = crossSiteReason(req, { requireOrigin: true });
    if (crossSite) refuse(403, `beacon refused: ${crossSite}`);
    const body = await readBody(req, MAX_BODY_BYTES);
    if (!body.ok) refuse(body.status, body.reason);
    let impression: unknown;
    try {
      impression = (JSON.parse(body.value) as { impression?: unknown })?.impression;
    } catch {
      refuse(400, 'body is not JSON: send {"impression": "<id>"}');
    }
    const result = await show(ctx, impression);
    if (!result.ok) notCounted(result);
    return new Response(null, { status: 204, headers: { "cache-control": "no-store" } });
  },
  async GET(ctx) {
    const { req, url } = ctx;
    admitReport(ctx);
    // Image requests carry no Origin; the browser's fetch metadata says where from.
    const crossSite = crossSiteReason(req, { allowTyped: false });
    if (crossSite) refuse(403, `pixel refused: ${crossSite}`);
    const result = await show(ctx, url.searchParams.get("i"));
    if (!result.ok) notCounted(result);
    return new Response(PIXEL, {
      headers: { "content-type": "image/gif", "cache-control": "no-store" },
    });
  },
};
