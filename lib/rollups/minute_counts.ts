/**
 * Events counted per UTC minute and (product, site version, title): what a batch adds
 * to the rollups. Kept as numbers (one map entry per key, no object per event), and
 * handed to SQL as three array literals of integers, which Postgres reads an order of
 * magnitude faster than arrays of timestamps and words (a bulk batch has ~17,000 keys).
 *
 * @module
 */
import { type Product, PRODUCTS, SITE_VERSIONS, type SiteVersion, TITLES } from "../core/event.ts";
import type { Title } from "../core/event.ts";

/** One rollup delta at minute resolution: what a batch added to a key. */
export interface MinuteDelta {
  /** Start of the minute, ISO UTC. */
  minute: string;
  product: Product;
  site_version: SiteVersion;
  title: Title;
  n: number;
}

/** The counts as Postgres array literals, row i of each being one key. */
export interface MinuteCountColumns {
  /** `int4[]`: whole minutes since 1970-01-01T00:00Z. */
  minutes: string;
  /** `int2[]`: one-based indexes into `PRODUCTS`, `SITE_VERSIONS` and `TITLES`. */
  products: string;
  sites: string;
  titles: string;
  /** `int8[]`: events. */
  counts: string;
}

/** Combinations of product × site version × title (the key's radix per minute). */
export const KEYS_PER_MINUTE = PRODUCTS.length * SITE_VERSIONS.length * TITLES.length;

const PRODUCT_INDEX = new Map<string, number>(PRODUCTS.map((word, i) => [word, i]));
const SITE_INDEX = new Map<string, number>(SITE_VERSIONS.map((word, i) => [word, i]));
const TITLE_INDEX = new Map<string, number>(TITLES.map((word, i) => [word, i]));

/** A counting key back as [minute, product, site version, title] (indexes). */
function decodeKey(key: number): [number, number, number, number] {
  const minute = Math.floor(key / KEYS_PER_MINUTE);
  let rest = key - minute * KEYS_PER_MINUTE;
  const title = rest % TITLES.length;
  rest = (rest - title) / TITLES.length;
  const site = rest % SITE_VERSIONS.length;
  return [minute, (rest - site) / SITE_VERSIONS.length, site, title];
}

/** Per-minute event counts. */
export class MinuteCounts {
  /** Key: minute × KEYS_PER_MINUTE + key within the minute; value: events. */
  #counts = new Map<number, number>();

  /**
   * Counts `n` events of one minute (whole minutes since the epoch, UTC) and key
   * (indexes into {@linkcode PRODUCTS}, {@linkcode SITE_VERSIONS}, {@linkcode TITLES}).
   */
  add(minute: number, product: number, site: number, title: number, n = 1): void {
    const key = minute * KEYS_PER_MINUTE +
      (product * SITE_VERSIONS.length + site) * TITLES.length + title;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + n);
  }

  /** Counts one event given by its words and its ISO time. */
  addEvent(time: string, product: Product, site: SiteVersion, title: Title, n = 1): void {
    this.add(
      Math.floor(Date.parse(time) / 60_000),
      PRODUCT_INDEX.get(product)!,
      SITE_INDEX.get(site)!,
      TITLE_INDEX.get(title)!,
      n,
    );
  }

  /** Distinct (minute, key) pairs counted. */
  get size(): number {
    return this.#counts.size;
  }

  /** The distinct minutes counted (whole minutes since the epoch, UTC). */
  minutes(): Set<number> {
    const minutes = new Set<number>();
    for (const key of this.#counts.keys()) minutes.add(Math.floor(key / KEYS_PER_MINUTE));
    return minutes;
  }

  /** The counts as objects (for the live NOTIFY and tests). */
  deltas(): MinuteDelta[] {
    const deltas: MinuteDelta[] = [];
    for (const [key, n] of this.#counts) {
      const [minute, product, site, title] = decodeKey(key);
      deltas.push({
        minute: new Date(minute * 60_000).toISOString(),
        product: PRODUCTS[product],
        site_version: SITE_VERSIONS[site],
        title: TITLES[title],
        n,
      });
    }
    return deltas;
  }

  /** The counts as array literals for {@linkcode MinuteCountColumns}. */
  columns(): MinuteCountColumns {
    const minutes: number[] = [];
    const products: number[] = [];
    const sites: number[] = [];
    const titles: number[] = [];
    const counts: number[] = [];
    for (const [key, n] of this.#counts) {
      const [minute, product, site, title] = decodeKey(key);
      minutes.push(minute);
      products.push(product + 1);
      sites.push(site + 1);
      titles.push(title + 1);
      counts.push(n);
    }
    const literal = (xs: number[]) => `{${xs.join(",")}}`;
    return {
      minutes: literal(minutes),
      products: literal(products),
      sites: literal(sites),
      titles: literal(titles),
      counts: literal(counts),
    };
  }
}
