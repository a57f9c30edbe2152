import { HttpError } from "../../../server/mod.ts";
import type { Handlers } from "../../../server/mod.ts";
import type { AppState } from "../../../lib/app_state.ts";
import { findCategory } from "../../../lib/catalog.ts";
import { checkCsrf } from "../../../lib/csrf.ts";
import { readBody } from "../../../lib/read_body.ts";
import { placeOrder, shopContext } from "../../../lib/shop_actions.ts";
import { siteVersionOf } from "../../../lib/visitor.ts";

/** The order form's largest accepted body (it holds two short fields). */
const MAX_FORM_BYTES = 2048;

/** `POST /order`: checks the form token, emits `order`, redirects to the success page. */
export const handler: Handlers<AppState> = {
  async POST({ req, state }) {
    const type = req.headers.get("content-type") ?? "";
    if (!type.startsWith("application/x-www-form-urlencoded")) {
      throw new HttpError(415, `Cannot read the order: expected a form, got "${type}"`);
    }
    const body = await readBody(req, MAX_FORM_BYTES);
    if (!body.ok) throw new HttpError(body.status, `Cannot read the order: ${body.reason}`);
    const form = new URLSearchParams(body.value);
    const visitor = checkCsrf(state.shop.secret, req, form);
    if (!visitor.ok) throw new HttpError(403, `Order refused: ${visitor.reason}`);
    const product = form.get("product") ?? "";
    const entry = findCategory(product);
    if (!entry) throw new HttpError(400, `Cannot order: unknown product "${product}"`);
    const ctx = shopContext(state);
    const order = await placeOrder(ctx, {
      userId: visitor.value,
      siteVersion: siteVersionOf(req.headers.get("user-agent")),
    }, entry.product);
    if (order.outcome === "dropped") {
      // The event could not even be queued: telling the visitor it went through
      // would be a lie.
      throw new HttpError(503, "Cannot take orders right now: please try again in a minute");
    }
    return new Response(null, { status: 303, headers: { location: order.location } });
  },
};
