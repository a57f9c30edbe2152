/**
 * The one synthetic visitor model: the real file's product shares, two site versions,
 * a funnel (shows → clicks → orders) that varies by product and device, long-tailed
 * users and pages, and a daily rhythm over 2019-01-01..2019-05-31. `gen` (through the
 * CSV writer, and so `replay`) and `simulate` (`traffic.ts`) both draw from it, so
 * their shares agree. Pure.
 *
 * @module
 */
import type { Product, SiteVersion } from "../core/event.ts";

/** Categories with their shares of events (the file writes `DATASET_WORDS`). */
export const PRODUCT_SHARES: ReadonlyArray<readonly [Product, number]> = [
  ["clothes", 0.211],
  ["electronics", 0.204],
  ["sneakers", 0.201],
  ["sports_nutrition", 0.193],
  ["accessories", 0.191],
];

/** Site versions with their shares of events (and of visitors). */
export const DEVICE_SHARES: ReadonlyArray<readonly [SiteVersion, number]> = [
  ["desktop", 0.55],
  ["mobile", 0.45],
];

/** Titles in funnel order, as written to the file. */
export const GEN_TITLES = ["banner_show", "banner_click", "order"] as const;

/** Clicks per show and orders per click of each product (index as in PRODUCT_SHARES). */
const PRODUCT_FUNNEL: ReadonlyArray<{ ctr: number; conversion: number }> = [
  { ctr: 0.135, conversion: 0.30 }, // clothes
  { ctr: 0.115, conversion: 0.18 }, // electronics
  { ctr: 0.125, conversion: 0.27 }, // sneakers
  { ctr: 0.105, conversion: 0.34 }, // sports_nutrition
  { ctr: 0.095, conversion: 0.22 }, // accessories
];
/** Desktop visitors click and buy more than mobile ones (index as in DEVICE_SHARES). */
const DEVICE_FACTOR: ReadonlyArray<{ ctr: number; conversion: number }> = [
  { ctr: 1.15, conversion: 1.2 }, // desktop
  { ctr: 0.85, conversion: 0.8 }, // mobile
];

/** First day (UTC) of generated times. */
export const GEN_START = Date.UTC(2019, 0, 1);
/** Number of days generated: 2019-01-01 through 2019-05-31. */
export const GEN_DAYS = 151;
/** Events per user on average; the user pool is `rows / USER_MEAN_EVENTS`. */
const USER_MEAN_EVENTS = 2.1;
/** Events of the busiest user, whatever the row count. */
const BUSIEST_USER_EVENTS = 20;
/** Pages per product, picked with a strong skew (a few pages get most traffic). */
export const PAGES_PER_PRODUCT = 1000;

/**
 * Clicks per show (`ctr`) and orders per click (`conversion`) of a product and device
 * (indexes into PRODUCT_SHARES and DEVICE_SHARES).
 */
export function funnelRates(product: number, device: number): { ctr: number; conversion: number } {
  return {
    ctr: PRODUCT_FUNNEL[product].ctr * DEVICE_FACTOR[device].ctr,
    conversion: PRODUCT_FUNNEL[product].conversion * DEVICE_FACTOR[device].conversion,
  };
}

/** The share of each title (show, click, order) for a product and device. */
export function titleShares(product: number, device: number): [number, number, number] {
  const { ctr, conversion } = funnelRates(product, device);
  const orders = ctr * conversion;
  const total = 1 + ctr + orders;
  return [1 / total, ctr / total, orders / total];
}

function cumulative(shares: readonly number[]): Float64Array {
  const out = new Float64Array(shares.length);
  let sum = 0;
  for (const [i, share] of shares.entries()) out[i] = sum += share;
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  out[out.length - 1] = 1;
  return out;
}

function pick(cum: Float64Array, r: number): number {
  let i = 0;
  while (r >= cum[i] && i < cum.length - 1) i++;
  return i;
}

const PRODUCT_CUMULATIVE = cumulative(PRODUCT_SHARES.map(([, share]) => share));
const DEVICE_CUMULATIVE = cumulative(DEVICE_SHARES.map(([, share]) => share));

/** Index into PRODUCT_SHARES for a uniform draw `r` in [0, 1). */
export function pickProduct(r: number): number {
  return pick(PRODUCT_CUMULATIVE, r);
}

/** Index into DEVICE_SHARES for a uniform draw `r` in [0, 1). */
export function pickDevice(r: number): number {
  return pick(DEVICE_CUMULATIVE, r);
}

/** Draws categories from uniform numbers in [0, 1): each method maps one draw. */
export class DatasetModel {
  readonly users: number;
  readonly #userExponent: number;
  readonly #titles: Float64Array[] = [];

  /** A model for a file of `rows` rows (the user pool scales with it). */
  constructor(rows: number) {
    this.users = Math.max(1, Math.round(rows / USER_MEAN_EVENTS));
    // User index = floor(users * r^e): the first user gets a share (1/users)^(1/e) of
    // all rows; choose e so that share is BUSIEST_USER_EVENTS rows at any file size.
    const ratio = Math.log(this.users) / Math.log(Math.max(rows / BUSIEST_USER_EVENTS, 2));
    this.#userExponent = Math.max(1, ratio);
    for (let p = 0; p < PRODUCT_SHARES.length; p++) {
      for (let d = 0; d < DEVICE_SHARES.length; d++) {
        this.#titles.push(cumulative(titleShares(p, d)));
      }
    }
  }

  /** Index into PRODUCT_SHARES. */
  product(r: number): number {
    return pickProduct(r);
  }

  /** Index into DEVICE_SHARES. */
  device(r: number): number {
    return pickDevice(r);
  }

  /** Index into GEN_TITLES for a product and device. */
  title(product: number, device: number, r: number): number {
    return pick(this.#titles[product * DEVICE_SHARES.length + device], r);
  }

  /** A user index in [0, users): low indexes are the busy users. */
  user(r: number): number {
    return Math.min(this.users - 1, Math.floor(this.users * r ** this.#userExponent));
  }

  /** A page index in [0, PAGES_PER_PRODUCT): low indexes are the popular pages. */
  page(r: number): number {
    return Math.floor(PAGES_PER_PRODUCT * r * r * r);
  }
}

/**
 * Spreads `rows` rows over the generated days in time order, following a daily rhythm
 * (quiet nights, busy evenings), quieter weekends and slow growth. Row `i` at fraction
 * `r` of its slot gets a time that never decreases with `i`.
 */
export class TimeSchedule {
  readonly #cum: Float64Array;
  readonly #rows: number;
  #hour = 0;

  /** A schedule for `rows` rows. */
  constructor(rows: number) {
    this.#rows = rows;
    const hours = GEN_DAYS * 24;
    const weights: number[] = [];
    for (let h = 0; h < hours; h++) {
      const day = Math.floor(h / 24);
      const hourOfDay = h % 24;
      const weekday = new Date(GEN_START + day * 86_400_000).getUTCDay();
      const rhythm = 1 + 0.75 * Math.sin((2 * Math.PI * (hourOfDay - 13)) / 24);
      const weekend = weekday === 0 || weekday === 6 ? 0.85 : 1;
      const growth = 1 + 0.3 * (day / GEN_DAYS);
      weights.push(rhythm * weekend * growth);
    }
    this.#cum = new Float64Array(hours + 1);
    let sum = 0;
    for (let h = 0; h < hours; h++) this.#cum[h + 1] = sum += weights[h];
    for (let h = 1; h <= hours; h++) this.#cum[h] /= sum;
  }

  /** Seconds since GEN_START of row `i` (`r` in [0, 1) places it inside its slot). */
  secondOf(i: number, r: number): number {
    const q = (i + r) / this.#rows;
    const cum = this.#cum;
    while (this.#hour < cum.length - 2 && cum[this.#hour + 1] <= q) this.#hour++;
    const h = this.#hour;
    const within = (q - cum[h]) / (cum[h + 1] - cum[h]);
    return h * 3600 + Math.min(3599, Math.max(0, Math.floor(within * 3600)));
  }
}
