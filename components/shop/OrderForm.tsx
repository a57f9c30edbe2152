import type { Product } from "../../lib/core/event.ts";
import { ORDER_FIELDS } from "../../lib/shop/order_form.ts";

/** The "Order now" form: posts the product with the visitor's form token to `/order`. */
export function OrderForm({ product, csrf }: { product: Product; csrf: string }) {
  return (
    <form method="post" action="/order" class="order-form">
      <input type="hidden" name={ORDER_FIELDS.token} value={csrf} />
      <input type="hidden" name={ORDER_FIELDS.product} value={product} />
      <button type="submit" class="order-button" data-testid="order-button">Order now</button>
    </form>
  );
}
