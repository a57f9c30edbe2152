/**
 * What people read for each value of the event contract: category, event type and
 * device names, the same on the shop's pages, the dashboard and in exports' headings.
 *
 * @module
 */
import type { Product, SiteVersion, Title } from "./event.ts";

/** Human names of the categories. */
export const CATEGORY_LABELS: Record<Product, string> = {
  accessories: "Accessories",
  clothes: "Clothes",
  electronics: "Electronics",
  sneakers: "Sneakers",
  sports_nutrition: "Sports nutrition",
};

/** Human names of the event types. */
export const TITLE_LABELS: Record<Title, string> = {
  banner_show: "Impressions",
  banner_click: "Clicks",
  order: "Orders",
};

/** Human names of the devices. */
export const DEVICE_LABELS: Record<SiteVersion, string> = {
  desktop: "Desktop",
  mobile: "Mobile",
};
