/**
 * The dashboard's colours: one per category in every chart, legend and ticker, and
 * neutral tones for devices.
 *
 * @module
 */
import { type Product, type SiteVersion } from "../../lib/core/event.ts";

/** One colour per category, used by every chart, legend and ticker. */
export const CATEGORY_COLORS: Record<Product, string> = {
  accessories: "#8b5cf6",
  clothes: "#f59e0b",
  electronics: "#2563eb",
  sneakers: "#10b981",
  sports_nutrition: "#e11d48",
};

/** Device colours (not categories, so neutral tones). */
export const DEVICE_COLORS: Record<SiteVersion, string> = {
  desktop: "#334155",
  mobile: "#94a3b8",
};
