import { HttpError } from "../../../server/mod.ts";
import type { Handlers, PageProps } from "../../../server/mod.ts";
import type { AppState } from "../../../lib/web/app_state.ts";
import { type CatalogEntry, findCategory } from "../../../lib/shop/catalog.ts";
import { checkOrderReceipt } from "../../../lib/shop/actions.ts";
import { visitorId } from "../../../lib/shop/visitor.ts";
import { ShopFrame } from "../../../components/shop/ShopFrame.tsx";

interface Data {
  orderId: string;
  entry: CatalogEntry;
}

/**
 * The success page. It says the order went through only for a receipt this server
 * signed for this visitor; any other URL is a 404.
 */
export const handler: Handlers<AppState> = {
  GET({ req, url, params, state }) {
    const entry = findCategory(url.searchParams.get("product") ?? "");
    const valid = entry && checkOrderReceipt(state.shop.secret, {
      orderId: params.id,
      product: entry.product,
      userId: visitorId(state.shop.secret, req),
      receipt: url.searchParams.get("receipt") ?? "",
    });
    if (!entry || !valid) throw new HttpError(404, "No such order");
    return {
      data: { orderId: params.id, entry } satisfies Data,
      headers: { "cache-control": "no-store" },
    };
  },
};

/** The order confirmation. */
export default function OrderPage({ data }: PageProps<Data>) {
  return (
    <ShopFrame>
      <section class="confirmation" data-testid="order-confirmation">
        <h1>Thank you: your order went through</h1>
        <p>
          One <strong>{data.entry.item}</strong> (€{data.entry.price}) is on its way.
        </p>
        <p class="muted">
          Order number <code data-testid="order-id">{data.orderId}</code>
        </p>
        <p>
          <a href="/">Back to the shop</a>
        </p>
      </section>
    </ShopFrame>
  );
}
