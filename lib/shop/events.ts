/**
 * Builds the events the shop emits: a fresh time-ordered `order_id` (UUIDv7), the visitor, the page's stable
 * `page_id`, the server's clock in UTC.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { type EcommerceEvent, type Product, type SiteVersion, type Title } from "../core/event.ts";
import { newOrderId } from "./order_id.ts";

/** The stable `page_id` of a shop page: 32 hex digits derived from its path. */
export function pageId(path: string): string {
  return createHash("sha256").update(`ecommerce-shop-page:${path}`).digest("hex").slice(0, 32);
}

/** The page where the ad is shown and clicked. */
export const AD_PAGE_PATH = "/";

/** The product page of a category (where orders are placed). */
export function productPath(product: Product): string {
  return `/product/${product}`;
}

/** What the shop knows when a visitor does something. */
export interface ShopAction {
  title: Title;
  product: Product;
  userId: string;
  siteVersion: SiteVersion;
  /** The path of the page it happened on (see {@linkcode pageId}). */
  page: string;
  /** Defaults to the server's clock now. */
  time?: Date;
}

/** The event for `action`: `target` is 1 for orders, else 0. */
export function shopEvent(action: ShopAction): EcommerceEvent {
  return {
    order_id: newOrderId(),
    user_id: action.userId,
    page_id: pageId(action.page),
    product: action.product,
    site_version: action.siteVersion,
    time: (action.time ?? new Date()).toISOString(),
    title: action.title,
    target: action.title === "order" ? 1 : 0,
  };
}
