/**
 * What the shop's routes do when a visitor acts: verify, count once, emit the event.
 * Each function returns what happened; the routes only shape the HTTP answer.
 *
 * @module
 */
import type { Product, SiteVersion } from "./event.ts";
import { type ImpressionLedger, verifyImpression } from "./impressions.ts";
import type { EventProducer, PublishOutcome } from "./producer.ts";
import { AD_PAGE_PATH, productPath, shopEvent } from "./shop_events.ts";
import { sign, verify } from "./signing.ts";

/** The resources the actions use (a subset of the web process's state). */
export interface ShopContext {
  ledger: ImpressionLedger;
  producer: EventProducer;
  secret: Uint8Array;
}

/** The actions' context from the web process's state. */
export function shopContext(
  state: { producer: EventProducer; shop: { ledger: ImpressionLedger; secret: Uint8Array } },
): ShopContext {
  return { ledger: state.shop.ledger, producer: state.producer, secret: state.shop.secret };
}

/** The visitor acting: the cookie's id (undefined without one) and the site version. */
export interface Actor {
  userId: string | undefined;
  siteVersion: SiteVersion;
}

/** The result of reporting a view: counted, or why not. */
export type ShowResult = { ok: true; outcome: PublishOutcome } | { ok: false; reason: string };

/**
 * The viewability beacon (or the no-JavaScript pixel) reports impression `id` as seen:
 * emits `banner_show` the first time, refuses forged, foreign, expired or repeated ids.
 */
export async function recordShow(ctx: ShopContext, actor: Actor, id: unknown): Promise<ShowResult> {
  // The event's time is when the report arrived, however long the ledger takes.
  const time = new Date();
  const checked = verifyImpression(ctx.secret, id, { userId: actor.userId });
  if (!checked.ok) return checked;
  const fresh = await ctx.ledger.consume(checked.value, ["show"]);
  if (!fresh.has("show")) return { ok: false, reason: "impression already counted" };
  // Queued, not awaited: the beacon's answer does not depend on Kafka's.
  const queued = ctx.producer.send(shopEvent({
    title: "banner_show",
    product: checked.value.product,
    userId: actor.userId!,
    siteVersion: actor.siteVersion,
    page: AD_PAGE_PATH,
    time,
  }));
  return { ok: true, outcome: queued ? "queued" : "dropped" };
}

/** The result of opening a product page from an ad. */
export type ClickResult =
  | { counted: true; titles: ("banner_show" | "banner_click")[] }
  | { counted: false; reason: string };

/**
 * A product page opened with impression `id` (`?i=`): emits `banner_click` the first
 * time. A click proves the ad was seen, so when its view was not reported yet (clicked
 * within the first second, or no JavaScript and no pixel) `banner_show` is emitted
 * first, once. Never throws for bad ids: the page renders either way.
 */
export async function recordClick(
  ctx: ShopContext,
  actor: Actor,
  id: string,
  product: Product,
): Promise<ClickResult> {
  // The events' time is when the page was opened, however long the ledger takes.
  const time = new Date();
  const checked = verifyImpression(ctx.secret, id, { userId: actor.userId });
  if (!checked.ok) return { counted: false, reason: checked.reason };
  if (checked.value.product !== product) {
    return { counted: false, reason: `impression is for "${checked.value.product}"` };
  }
  const fresh = await ctx.ledger.consume(checked.value, ["show", "click"]);
  if (!fresh.has("click")) return { counted: false, reason: "click already counted" };
  const titles = fresh.has("show")
    ? ["banner_show" as const, "banner_click" as const]
    : ["banner_click" as const];
  // Queued in this order (one key, one partition: they stay in order on the topic);
  // the page does not wait for Kafka, whose answer would not change it.
  for (const title of titles) {
    ctx.producer.send(shopEvent({
      title,
      product,
      userId: actor.userId!,
      siteVersion: actor.siteVersion,
      page: AD_PAGE_PATH,
      // The click a millisecond after, so a show emitted with it sorts first by time.
      time: new Date(time.getTime() + (title === "banner_click" ? 1 : 0)),
    }));
  }
  return { counted: true, titles };
}

/** A placed order: its id and the receipt signature for the success page's URL. */
export interface PlacedOrder {
  orderId: string;
  outcome: PublishOutcome;
  /** Path of the success page: `/order/<order id>?product=…&receipt=…`. */
  location: string;
}

/** Emits `order` for `product` (the visitor already passed the form-token check). */
export async function placeOrder(
  ctx: ShopContext,
  actor: { userId: string; siteVersion: SiteVersion },
  product: Product,
): Promise<PlacedOrder> {
  const event = shopEvent({
    title: "order",
    product,
    userId: actor.userId,
    siteVersion: actor.siteVersion,
    page: productPath(product),
  });
  // Orders wait for Kafka's acknowledgement, at most 50 ms, so that "your order went
  // through" normally means "it is on the topic"; after that it is queued and the page
  // does not wait longer.
  const outcome = await ctx.producer.publish(event, { waitMs: 50 });
  const receipt = orderReceipt(ctx.secret, event.order_id, product, actor.userId);
  const query = new URLSearchParams({ product, receipt });
  return { orderId: event.order_id, outcome, location: `/order/${event.order_id}?${query}` };
}

/** The signature that lets the success page say an order went through. */
export function orderReceipt(
  secret: Uint8Array,
  orderId: string,
  product: Product,
  userId: string,
): string {
  return sign(secret, ["order", orderId, product, userId]);
}

/** True when `receipt` was issued for this order, product and visitor. */
export function checkOrderReceipt(
  secret: Uint8Array,
  order: { orderId: string; product: Product; userId: string | undefined; receipt: string },
): boolean {
  if (!order.userId || !/^[0-9a-f]{32}$/.test(order.orderId)) return false;
  return verify(secret, ["order", order.orderId, order.product, order.userId], order.receipt);
}
