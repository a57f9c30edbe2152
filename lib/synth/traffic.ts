/**
 * Synthetic shop traffic for `deno task simulate`: visitors who see an ad, click it
 * and order, with the shares of the one synthetic model (`model.ts`: the generated
 * file's category mix, device mix and per category and device funnel) and the same
 * events (and page ids) the real shop emits. Pure: the caller sends them.
 *
 * @module
 */
import type { EcommerceEvent, SiteVersion } from "../core/event.ts";
import { AD_PAGE_PATH, productPath, shopEvent } from "../shop/events.ts";
import { DEVICE_SHARES, funnelRates, pickDevice, pickProduct, PRODUCT_SHARES } from "./model.ts";
import type { Random } from "./prng.ts";

/** A simulated visitor. */
export interface SimulatedUser {
  userId: string;
  siteVersion: SiteVersion;
}

/** `count` visitors with random ids, on devices in the model's `DEVICE_SHARES`. */
export function createUsers(count: number, random: Random = Math.random): SimulatedUser[] {
  return Array.from({ length: count }, () => ({
    userId: Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join(""),
    siteVersion: DEVICE_SHARES[pickDevice(random())][0],
  }));
}

const DEVICE_INDEX = new Map(DEVICE_SHARES.map(([device], i) => [device, i]));

/**
 * One visit: `banner_show` of a category drawn from the model's shares, then
 * `banner_click` at the model's click rate for that category and the visitor's device,
 * then `order` at its conversion. Times are `now`, a millisecond apart, in that order.
 */
export function simulateVisit(
  user: SimulatedUser,
  now: Date,
  random: Random = Math.random,
): EcommerceEvent[] {
  const index = pickProduct(random());
  const product = PRODUCT_SHARES[index][0];
  const rates = funnelRates(index, DEVICE_INDEX.get(user.siteVersion)!);
  const base = { product, userId: user.userId, siteVersion: user.siteVersion };
  const at = (offset: number) => new Date(now.getTime() + offset);
  const events = [shopEvent({ ...base, title: "banner_show", page: AD_PAGE_PATH, time: at(0) })];
  if (random() >= rates.ctr) return events;
  events.push(shopEvent({ ...base, title: "banner_click", page: AD_PAGE_PATH, time: at(1) }));
  if (random() >= rates.conversion) return events;
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
