/**
 * The order form's fields, shared by the page that renders the form
 * (components/shop/OrderForm.tsx) and the route that reads it (`POST /order`).
 * Browser-safe.
 *
 * @module
 */

/** The form's fields: the form token (one order each) and the product ordered. */
export const ORDER_FIELDS = { token: "csrf", product: "product" } as const;
