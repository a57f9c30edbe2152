/**
 * What the shop's routes do when a visitor acts: verify, count once, emit the event.
 * Each function returns what happened; the routes only shape the HTTP answer.
 *
 * @module
 */
import type { Product, SiteVersion } from "../core/event.ts";
import type { Result } from "../core/result.ts";
import type { FormToken } from "./form_token.ts";
import type { FormTokenLedger } from "./form_token_ledger.ts";
import { type ImpressionLedger, verifyImpression } from "./impressions.ts";
import type { EventProducer, PublishOutcome } from "./producer.ts";
import { AD_PAGE_PATH, productPath, shopEvent } from "./events.ts";
import { formatLimit, type LimitedAction, type ShopLimits } from "./limits.ts";
import { sign, verify } from "./signing.ts";

/** The resources the actions use (a subset of the web process's state). */
export interface ShopContext {
  ledger: ImpressionLedger;
  formTokens: FormTokenLedger;
  limits: ShopLimits;
  producer: EventProducer;
  secret: Uint8Array;
}

/** The actions' context from the web process's state. */
export function shopContext(
  state: {
    producer: EventProducer;
    shop: {
      ledger: ImpressionLedger;
      formTokens: FormTokenLedger;
      limits: ShopLimits;
      secret: Uint8Array;
    };
  },
): ShopContext {
  const { ledger, formTokens, limits, secret } = state.shop;
  return { ledger, formTokens, limits, producer: state.producer, secret };
}

/**
 * The visitor acting: the verified cookie's id (undefined without a signed one), the
 * site version, whether the User-Agent is a bot, and the client's address.
 */
export interface Actor {
  userId: string | undefined;
  siteVersion: SiteVersion;
  isBot: boolean;
  address: string;
}

/** Why an action was not counted, with the HTTP status that says so. */
export interface Refusal {
  /**
   * 400 bad id, 403 bot, 429 over a limit (see `retryAfterSeconds`), 503 the event
   * could not be kept (Kafka away and the spool full).
   */
  status: 400 | 403 | 429 | 503;
  reason: string;
  /** For 429: seconds until the action would be allowed again. */
  retryAfterSeconds?: number;
}

const ACTION_NAMES: Record<LimitedAction, string> = {
  show: "ad views",
  click: "ad clicks",
  order: "orders",
};

/**
 * Applies the limits to a verified action; undefined when it may count. The reason
 * starts with `prefix` ("not counted", "Order refused").
 */
function refusedByLimits(
  ctx: ShopContext,
  action: LimitedAction,
  actor: Actor & { userId: string },
  prefix: string,
): Refusal | undefined {
  const admission = ctx.limits.admit(action, actor);
  if (admission.ok) return undefined;
  if (admission.refusal === "bot") {
    return {
      status: 403,
      reason: `${prefix}: the User-Agent is a known bot or crawler, or missing`,
    };
  }
  const who = admission.by === "visitor" ? "this visitor" : "this address";
  return {
    status: 429,
    reason: `${prefix}: too many ${ACTION_NAMES[action]} from ${who} (limit ${
      formatLimit(admission.limit)
    }): try again in ${wait(admission.retryAfterSeconds)}`,
    retryAfterSeconds: admission.retryAfterSeconds,
  };
}

/** A wait for people: `40 s`, `12 min`, `5 h`. */
function wait(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 120 * 60) return `${Math.ceil(seconds / 60)} min`;
  return `${Math.ceil(seconds / 3600)} h`;
}

/**
 * Kafka has it, or the spool has it on disk: a crash of this process no longer loses
 * it. ("queued" is only a producer without a spool: memory.)
 */
export function isKept(outcome: PublishOutcome): boolean {
  return outcome === "delivered" || outcome === "spooled";
}

/** How long an action waits for Kafka's acknowledgement before it spools the event. */
export const KAFKA_WAIT_MS = 50;

/** The result of reporting a view: counted (delivered or spooled), or why not. */
export type ShowResult = Result<PublishOutcome, Refusal>;

/**
 * The viewability beacon (or the no-JavaScript pixel) reports impression `id` as seen:
 * emits `banner_show` the first time, refuses forged, foreign, expired or repeated ids,
 * and does not count bots or a visitor or address over its limit.
 */
export async function recordShow(ctx: ShopContext, actor: Actor, id: unknown): Promise<ShowResult> {
  // The event's time is when the report arrived, however long the ledger takes.
  const time = new Date();
  const checked = verifyImpression(ctx.secret, id, { userId: actor.userId });
  if (!checked.ok) return { ok: false, status: 400, reason: checked.reason };
  const refused = refusedByLimits(ctx, "show", { ...actor, userId: actor.userId! }, "not counted");
  if (refused) return { ok: false, ...refused };
  const fresh = await ctx.ledger.consume(checked.value, ["show"]);
  if (!fresh.has("show")) return { ok: false, status: 400, reason: "impression already counted" };
  // The beacon is answered once the view is kept (Kafka or the spool): a 204 means it
  // survives a crash of this process.
  const outcome = await ctx.producer.publish(
    shopEvent({
      title: "banner_show",
      product: checked.value.product,
      userId: actor.userId!,
      siteVersion: actor.siteVersion,
      page: AD_PAGE_PATH,
      time,
    }),
    { waitMs: KAFKA_WAIT_MS },
  );
  if (!isKept(outcome)) {
    return {
      ok: false,
      status: 503,
      reason: "not counted: the shop cannot record views right now (event store full)",
    };
  }
  return { ok: true, value: outcome };
}

/** The result of opening a product page from an ad: the events counted, or why none. */
export type ClickResult = Result<("banner_show" | "banner_click")[]>;

/**
 * A product page opened with impression `id` (`?i=`): emits `banner_click` the first
 * time. A click proves the ad was seen, so when its view was not reported yet (clicked
 * within the first second, or no JavaScript and no pixel) `banner_show` is emitted
 * first, once. Bots and a visitor or address over its click limit count nothing (the
 * impression stays unused). Never throws for bad ids: the page renders either way.
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
  if (!checked.ok) return { ok: false, reason: checked.reason };
  if (checked.value.product !== product) {
    return { ok: false, reason: `impression is for "${checked.value.product}"` };
  }
  const refused = refusedByLimits(ctx, "click", { ...actor, userId: actor.userId! }, "not counted");
  if (refused) return { ok: false, reason: refused.reason };
  const fresh = await ctx.ledger.consume(checked.value, ["show", "click"]);
  if (!fresh.has("click")) return { ok: false, reason: "click already counted" };
  const titles = fresh.has("show")
    ? ["banner_show" as const, "banner_click" as const]
    : ["banner_click" as const];
  // Published in this order (one key, one partition: they stay in order on the topic,
  // or in the spool); resolved once kept (Kafka or the spool).
  const outcomes = await Promise.all(titles.map((title) =>
    ctx.producer.publish(
      shopEvent({
        title,
        product,
        userId: actor.userId!,
        siteVersion: actor.siteVersion,
        page: AD_PAGE_PATH,
        // The click a millisecond after, so a show emitted with it sorts first by time.
        time: new Date(time.getTime() + (title === "banner_click" ? 1 : 0)),
      }),
      { waitMs: KAFKA_WAIT_MS },
    )
  ));
  const lost = titles.filter((_, i) => !isKept(outcomes[i]));
  if (lost.length > 0) {
    return { ok: false, reason: `not kept (event store full): ${lost.join(", ")}` };
  }
  return { ok: true, value: titles };
}

/** A placed order. */
export interface PlacedOrder {
  orderId: string;
  outcome: PublishOutcome;
  /** Path of the success page: `/order/<order id>?product=…&receipt=…`. */
  location: string;
}

/** Why an order was not placed, beyond the limits' {@linkcode Refusal}. */
export interface OrderRefusal {
  /** 409: this form already placed an order; 503: the event could not be queued. */
  status: 409 | 503;
  reason: string;
  /** For 409: the success page of the order this form placed. */
  firstOrder?: string;
}

/** The result of sending the order form: placed, or why not. */
export type OrderResult = Result<PlacedOrder, Refusal | OrderRefusal>;

/**
 * Places the order the form with `token` asks for (the visitor already passed the
 * form-token check): emits `order` unless the visitor is a bot or over a limit, and
 * only the first time the token is sent (recorded in Postgres across processes).
 */
export async function placeOrder(
  ctx: ShopContext,
  actor: Actor & { userId: string },
  order: { product: Product; token: FormToken },
): Promise<OrderResult> {
  const refused = refusedByLimits(ctx, "order", actor, "Order refused");
  if (refused) return { ok: false, ...refused };
  const event = shopEvent({
    title: "order",
    product: order.product,
    userId: actor.userId,
    siteVersion: actor.siteVersion,
    page: productPath(order.product),
  });
  const claim = { token: order.token, orderId: event.order_id, product: order.product };
  const claimed = await ctx.formTokens.claim(claim);
  if (!claimed.claimed) {
    const first = claimed.first;
    return {
      ok: false,
      status: 409,
      reason: `Order refused: this form was already sent${
        first ? ` (order ${first.orderId})` : ""
      }: open the product page again to order another`,
      firstOrder: first && receiptPath(ctx.secret, { ...first, userId: actor.userId }),
    };
  }
  // "Your order went through" only once it is kept: acknowledged by Kafka (normally in
  // a few ms; waited for at most KAFKA_WAIT_MS) or fsync'd into the spool.
  const outcome = await ctx.producer.publish(event, { waitMs: KAFKA_WAIT_MS });
  if (!isKept(outcome)) {
    // Refused by a full spool: never sent, so the form may be sent again. ("queued",
    // a producer without a spool, may still be sent: the form stays used.)
    if (outcome !== "queued") await ctx.formTokens.release(claim);
    return {
      ok: false,
      status: 503,
      reason:
        "Cannot take orders right now: your order was not placed, please try again in a minute",
    };
  }
  const location = receiptPath(ctx.secret, {
    orderId: event.order_id,
    product: order.product,
    userId: actor.userId,
  });
  return { ok: true, value: { orderId: event.order_id, outcome, location } };
}

/** The success page's path for an order, with its receipt. */
function receiptPath(
  secret: Uint8Array,
  order: { orderId: string; product: Product; userId: string },
): string {
  const receipt = orderReceipt(secret, order.orderId, order.product, order.userId);
  const query = new URLSearchParams({ product: order.product, receipt });
  return `/order/${order.orderId}?${query}`;
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
