import { type Handlers, HttpError, type PageProps } from "../../../server/mod.ts";
import type { AppState } from "../../../lib/web/app_state.ts";
import { type CatalogEntry, findCategory } from "../../../lib/shop/catalog.ts";
import { PRODUCTS, quote } from "../../../lib/core/event.ts";
import { csrfToken } from "../../../lib/shop/csrf.ts";
import { recordClick, shopContext } from "../../../lib/shop/actions.ts";
import { clientOf } from "../../../lib/web/client_address.ts";
import { visitorHeaders, visitorOf } from "../../../lib/shop/visitor.ts";
import { OrderForm } from "../../../components/shop/OrderForm.tsx";
import { ShopFrame } from "../../../components/shop/ShopFrame.tsx";

/** Longest a product page waits for its click to be counted. */
const CLICK_WAIT_MS = 2_000;

type Data = { entry: CatalogEntry; csrf: string };

/**
 * A product page. Opened from an ad (`?i=<impression id>`), it counts the click once;
 * a reload or a second visit with the same id counts nothing, nor does a bot's or an
 * over-limit click (lib/shop/limits.ts). The page renders the same either way.
 */
export const handler: Handlers<AppState> = {
  async GET(ctx) {
    const { req, url, params, state } = ctx;
    const entry = findCategory(params.category);
    // 404 with the name asked for (quoted, escaped like any text) and the real
    // categories; nothing is counted.
    if (!entry) {
      throw new HttpError(
        404,
        `No such category: the shop has no ${quote(params.category)}; it has ${
          PRODUCTS.join(", ")
        }`,
        { link: { href: "/", label: "See every category" } },
      );
    }
    const visitor = visitorOf(state.shop.secret, req);
    const client = clientOf(ctx, state.trust);
    const impression = url.searchParams.get("i");
    // HEAD (link checkers, prefetchers) answers like GET but opens nothing: no click.
    if (impression && !visitor.isNew && req.method === "GET") {
      const actor = { ...visitor, address: client.address };
      const counting = recordClick(shopContext(state), actor, impression, entry.product)
        .catch((error) => {
          // The visitor still gets the page; the click is lost and logged.
          console.error(`Cannot count the click on impression "${impression}":`, error);
        });
      // Normally the click is counted (a few ms) before the page is sent. If Postgres is
      // slow, the page does not wait past CLICK_WAIT_MS: the click is still counted, and
      // its events sent, when the ledger answers.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        counting,
        new Promise((resolve) => (timer = setTimeout(resolve, CLICK_WAIT_MS))),
      ]);
      clearTimeout(timer);
    }
    return {
      data: { entry, csrf: csrfToken(state.shop.secret, visitor.userId) } satisfies Data,
      headers: {
        "cache-control": "no-store",
        ...visitorHeaders(state.shop.secret, visitor, client.secure),
      },
    };
  },
};

/** The product page. */
export default function ProductPage({ data }: PageProps<Data>) {
  const { entry, csrf } = data;
  return (
    <ShopFrame>
      <article class="product">
        <img class="product-image" src={entry.image} alt={entry.item} width="480" height="270" />
        <div class="product-text">
          <p class="product-category">{entry.name}</p>
          <h1>{entry.item}</h1>
          <p>{entry.description}</p>
          <p class="price">€{entry.price}</p>
          <OrderForm product={entry.product} csrf={csrf} />
        </div>
      </article>
    </ShopFrame>
  );
}
