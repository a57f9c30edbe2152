import { type Handlers, HttpError } from "../../../server/mod.ts";
import type { AppState } from "../../../lib/web/app_state.ts";
import { findCategory } from "../../../lib/shop/catalog.ts";
import { clientOf } from "../../../lib/web/client_address.ts";
import { checkCsrf } from "../../../lib/shop/csrf.ts";
import { readBody } from "../../../lib/web/read_body.ts";
import { placeOrder, shopContext } from "../../../lib/shop/actions.ts";
import { isBotAgent, siteVersionOf } from "../../../lib/shop/visitor.ts";
import { ORDER_FIELDS } from "../../../lib/shop/order_form.ts";

/** The order form's largest accepted body (it holds two short fields). */
const MAX_FORM_BYTES = 2048;

/** Refuses the order: the error page says why, and links the order a resent form placed. */
function refuse(
  status: number,
  message: string,
  options: { firstOrder?: string; headers?: Record<string, string> } = {},
): never {
  throw new HttpError(status, message, {
    headers: { "cache-control": "no-store", ...options.headers },
    link: options.firstOrder
      ? { href: options.firstOrder, label: "See the order this form placed" }
      : undefined,
  });
}

/**
 * `POST /order`: checks the form token, the visitor's and address's order limits and
 * that the form was not sent before, emits `order`, redirects to the success page.
 * Every refusal is the error page with the reason: 415/413/400 for a bad form, 403 for
 * a bad token or a bot, 409 for a form already sent (linking its order), 429 over a
 * limit, 503 when the event cannot be queued. Nothing is emitted for any of them.
 */
export const handler: Handlers<AppState> = {
  async POST(ctx) {
    const { req, state } = ctx;
    const type = req.headers.get("content-type") ?? "";
    if (!type.startsWith("application/x-www-form-urlencoded")) {
      refuse(415, `Cannot read the order: expected a form, got "${type}"`);
    }
    const body = await readBody(req, MAX_FORM_BYTES);
    if (!body.ok) refuse(body.status, `Cannot read the order: ${body.reason}`);
    const form = new URLSearchParams(body.value);
    const checked = checkCsrf(state.shop.secret, req, form);
    if (!checked.ok) refuse(403, `Order refused: ${checked.reason}`);
    const product = form.get(ORDER_FIELDS.product) ?? "";
    const entry = findCategory(product);
    if (!entry) refuse(400, `Cannot order: unknown product "${product}"`);
    const userAgent = req.headers.get("user-agent");
    const order = await placeOrder(shopContext(state), {
      userId: checked.value.userId,
      siteVersion: siteVersionOf(userAgent),
      isBot: isBotAgent(userAgent),
      address: clientOf(ctx, state.trust).address,
    }, { product: entry.product, token: checked.value.token });
    if (!order.ok) {
      const retry = "retryAfterSeconds" in order ? order.retryAfterSeconds : undefined;
      const firstOrder = "firstOrder" in order ? order.firstOrder : undefined;
      refuse(order.status, order.reason, {
        firstOrder,
        headers: retry ? { "retry-after": String(retry) } : {},
      });
    }
    return new Response(null, { status: 303, headers: { location: order.value.location } });
  },
  GET() {
    throw new HttpError(405, "Method not allowed: send the order form with POST", {
      headers: { allow: "POST" },
    });
  },
};
