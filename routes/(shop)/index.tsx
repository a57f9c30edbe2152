import type { Handlers, PageProps } from "../../server/mod.ts";
import type { AppState } from "../../lib/web/app_state.ts";
import { CATALOG, type CatalogEntry } from "../../lib/shop/catalog.ts";
import { PRODUCTS } from "../../lib/core/event.ts";
import { issueImpression } from "../../lib/shop/impressions.ts";
import { clientOf } from "../../lib/web/client_address.ts";
import { visitorHeaders, visitorOf } from "../../lib/shop/visitor.ts";
import AdBanner from "../../islands/AdBanner.tsx";
import { ShopFrame } from "../../components/shop/ShopFrame.tsx";

interface Data {
  entry: CatalogEntry;
  impression: string;
}

/** The front page: one ad, picked at random, with a fresh signed impression id. */
export const handler: Handlers<AppState> = {
  GET(ctx) {
    const { req, state } = ctx;
    const visitor = visitorOf(state.shop.secret, req);
    const entry = CATALOG[PRODUCTS[Math.floor(Math.random() * PRODUCTS.length)]];
    const impression = issueImpression(state.shop.secret, {
      product: entry.product,
      userId: visitor.userId,
    });
    return {
      data: { entry, impression } satisfies Data,
      // Each render is a new impression: never cache it.
      headers: {
        "cache-control": "no-store",
        ...visitorHeaders(state.shop.secret, visitor, clientOf(ctx, state.trust).secure),
      },
    };
  },
};

/** The front page. */
export default function Shop({ data }: PageProps<Data>) {
  const { entry, impression } = data;
  const query = new URLSearchParams({ i: impression });
  return (
    <ShopFrame>
      <h1>Today's pick</h1>
      <AdBanner
        impression={impression}
        href={`/product/${entry.product}?${query}`}
        image={entry.image}
        name={entry.name}
        item={entry.item}
        pitch={entry.pitch}
      />
      {
        /* Without JavaScript the viewability beacon cannot run: the browser loading this
          pixel is how the impression is counted at render. */
      }
      <noscript>
        <img src={`/api/collect?${query}`} alt="" width="1" height="1" class="pixel" />
      </noscript>
    </ShopFrame>
  );
}
