import type { Handlers, PageProps, RouteContext } from "../../../server/mod.ts";
import type { AppState } from "../../../lib/web/app_state.ts";
import { findCategory } from "../../../lib/shop/catalog.ts";
import { clientOf } from "../../../lib/web/client_address.ts";
import { checkCsrf } from "../../../lib/shop/csrf.ts";
import { readBody } from "../../../lib/web/read_body.ts";
import { placeOrder, shopContext } from "../../../lib/shop/actions.ts";
import { isBotAgent, siteVersionOf } from "../../../lib/shop/visitor.ts";
import { ShopFrame } from "../../../components/shop/ShopFrame.tsx";
import { ORDER_FIELDS } from "../../../lib/shop/order_form.ts";

/** The order form's largest accepted body (it holds two short fields). */
const MAX_FORM_BYTES = 2048;

interface Refused {
  message: string;
  /** The success page of the order this form already placed (409). */
  firstOrder?: string;
}

/** The page that says why no order was placed, with its status. */
function refuse(
  ctx: RouteContext<AppState>,
  status: number,
  refused: Refused,
  headers: Record<string, string> = {},
): Response {
  return ctx.render(refused, { status, headers: { "cache-control": "no-store", ...headers } });
}

/**
 * `POST /order`: checks the form token, the visitor's and address's order limits and
 * that the form was not sent before, emits `order`, redirects to the success page.
 * Every refusal is a page with the reason: 415/413/400 for a bad form, 403 for a bad
 * token or a bot, 409 for a form already sent, 429 over a limit, 503 when the event
 * cannot be queued. Nothing is emitted for any of them.
 */
export const handler: Handlers<AppState> = {
  async POST(ctx) {
    const { req, state } = ctx;
    const type = req.headers.get("content-type") ?? "";
    if (!type.startsWith("application/x-www-form-urlencoded")) {
      return refuse(ctx, 415, { message: `Cannot read the order: expected a form, got "${type}"` });
    }
    const body = await readBody(req, MAX_FORM_BYTES);
    if (!body.ok) {
      return refuse(ctx, body.status, { message: `Cannot read the order: ${body.reason}` });
    }
    const form = new URLSearchParams(body.value);
    const checked = checkCsrf(state.shop.secret, req, form);
    if (!checked.ok) return refuse(ctx, 403, { message: `Order refused: ${checked.reason}` });
    const product = form.get(ORDER_FIELDS.product) ?? "";
    const entry = findCategory(product);
    if (!entry) return refuse(ctx, 400, { message: `Cannot order: unknown product "${product}"` });
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
      return refuse(
        ctx,
        order.status,
        { message: order.reason, firstOrder },
        retry ? { "retry-after": String(retry) } : {},
      );
    }
    return new Response(null, { status: 303, headers: { location: order.location } });
  },
  // The route has a page (the refusal), which would otherwise answer GET.
  GET() {
    return new Response("Method not allowed: send the order form with POST", {
      status: 405,
      headers: { allow: "POST", "content-type": "text/plain; charset=utf-8" },
    });
  },
};

/** Why the order was not placed. */
export default function OrderRefused({ data }: PageProps<Refused>) {
  return (
    <ShopFrame>
      <section class="confirmation" data-testid="order-refused">
        <h1>No order was placed</h1>
        <p data-testid="order-refused-reason">{data.message}</p>
        {data.firstOrder && (
          <p>
            <a href={data.firstOrder} data-testid="first-order">See the order this form placed</a>
          </p>
        )}
        <p>
          <a href="/">Back to the shop</a>
        </p>
      </section>
    </ShopFrame>
  );
}
