/**
 * Synthetic shop traffic for `deno task simulate`: visitors (a desktop/mobile mix) who
 * see an ad, click it at the category's rate and order at the category's rate, with
 * the same events (and page ids) the real shop emits. Pure: the caller sends them.
 *
 * @module
 */
import { CATALOG } from "../shop/catalog.ts";
import { type EcommerceEvent, PRODUCTS, type SiteVersion } from "../core/event.ts";
import { AD_PAGE_PATH, productPath, shopEvent } from "../shop/events.ts";

/** A random number in [0, 1). */
export type Random = () => number;

/** A simulated visitor. */
export interface SimulatedUser {
  userId: string;
  siteVersion: SiteVersion;
}

/** Share of simulated visitors on phones. */
export const MOBILE_SHARE = 0.55;

/** A small seeded generator (mulberry32), for reproducible tests. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` visitors with random ids, {@linkcode MOBILE_SHARE} of them on phones. */
export function createUsers(count: number, random: Random = Math.random): SimulatedUser[] {
  return Array.from({ length: count }, () => ({
    userId: Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join(""),
    siteVersion: random() < MOBILE_SHARE ? "mobile" : "desktop",
  }));
}

/**
 * One visit: `banner_show`, then `banner_click` at the category's click rate, then
 * `order` at its order rate. Times are `now`, a millisecond apart, in that order.
 */
export function simulateVisit(
  user: SimulatedUser,
  now: Date,
  random: Random = Math.random,
): EcommerceEvent[] {
  const product = PRODUCTS[Math.floor(random() * PRODUCTS.length)];
  const entry = CATALOG[product];
  const base = { product, userId: user.userId, siteVersion: user.siteVersion };
  const at = (offset: number) => new Date(now.getTime() + offset);
  const events = [shopEvent({ ...base, title: "banner_show", page: AD_PAGE_PATH, time: at(0) })];
  if (random() >= entry.clickRate) return events;
  events.push(shopEvent({ ...base, title: "banner_click", page: AD_PAGE_PATH, time: at(1) }));
  if (random() >= entry.orderRate) return events;
  events.push(shopEvent({ ...base, title: "order", page: productPath(product), time: at(2) }));
  return events;
}

/** Parses a duration: `90`, `90s`, `5m`, `2h` (seconds when no unit). */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new Error(`Invalid duration "${text}": use e.g. 90s, 5m or 2h`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? "s"]!;
  return Number(match[1]) * unit;
}
