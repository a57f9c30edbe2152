/**
 * The dashboard's summary: its shape (counts per category, device and event type, the
 * orders series, ticker and status), shared by the server (`summary.ts` builds it from
 * the rollups) and the browser (islands apply live deltas to it in place), and the
 * KPIs derived from counts. Pure: no I/O, safe to bundle for the browser.
 *
 * @module
 */
import { addDays, type DayRange, startOfDay } from "../core/calendar.ts";
import {
  type Product,
  PRODUCTS,
  SITE_VERSIONS,
  type SiteVersion,
  type Title,
  TITLES,
} from "../core/event.ts";
import { type DeltaTuple, type TickerEvent } from "../live/protocol.ts";
import { bucketStart, type Granularity, nextBucket } from "./buckets.ts";
import { matchesFilters, type SummaryQuery } from "./query.ts";

/** Counts per event type. */
export type TitleCounts = Record<Title, number>;
/** Counts per category, per event type. */
export type ProductCounts = Record<Product, TitleCounts>;
/** Counts per device, per event type. */
export type DeviceCounts = Record<SiteVersion, TitleCounts>;

/** Everything the dashboard shows, as `GET /api/summary` returns it. */
export interface Summary {
  /** When it was computed (ISO). */
  generatedAt: string;
  /** `ANALYTICS_TZ`: the zone of every calendar day here. */
  timeZone: string;
  query: SummaryQuery;
  /** The resolved days of the selected range. */
  range: DayRange;
  /** The period of the same length just before (for the funnel's comparison); null for all data. */
  previousRange: DayRange | null;
  /** The days a query may ask for (see {@linkcode allowedDays}). */
  bounds: DayRange;
  granularity: Granularity;
  /** Today (calendar day in the zone): the KPI strip and the grouped bars. */
  today: { day: string; counts: ProductCounts };
  /** The selected range, per category. */
  totals: ProductCounts;
  /** The previous period, per category (null without one). */
  previous: ProductCounts | null;
  /** The selected range, per device. */
  devices: DeviceCounts;
  /** Orders over time per category: `t` are bucket starts in epoch seconds. */
  series: { t: number[]; orders: Record<Product, number[]> };
  /** First and last day holding data (any filter), null when empty. */
  dataRange: DayRange | null;
  /** Time of the newest stored event (ISO), null when empty. */
  lastEventAt: string | null;
  /** Events in the last complete minute (by event time), divided by 60. */
  eventsPerSecond: number;
  /** The newest events (filters applied), newest first. */
  ticker: TickerEvent[];
  /** Consumer lag of the ingest group in messages, null when unknown. */
  lag: number | null;
  /** The live hub's position when this was computed: deltas with `seq` ≤ this are included. */
  live: { instance: string; seq: number };
}

/** Zero counts per event type. */
export function emptyTitleCounts(): TitleCounts {
  return { banner_show: 0, banner_click: 0, order: 0 };
}

/** Zero counts per category. */
export function emptyProductCounts(): ProductCounts {
  return Object.fromEntries(PRODUCTS.map((p) => [p, emptyTitleCounts()])) as ProductCounts;
}

/** Zero counts per device. */
export function emptyDeviceCounts(): DeviceCounts {
  return Object.fromEntries(SITE_VERSIONS.map((s) => [s, emptyTitleCounts()])) as DeviceCounts;
}

/** Sums per event type over the categories. */
export function sumProducts(counts: ProductCounts): TitleCounts {
  const total = emptyTitleCounts();
  for (const product of PRODUCTS) {
    for (const title of TITLES) total[title] += counts[product][title];
  }
  return total;
}

/**
 * Applies live deltas to `summary` in place: today's counts (when the delta's minute
 * is today), the range's totals and devices, and the orders series (appending buckets,
 * zero-filled, when time moved past the last one). Deltas outside the range or the
 * filters are ignored. Returns true when anything changed.
 */
export function applyDeltas(summary: Summary, deltas: readonly DeltaTuple[]): boolean {
  let changed = false;
  const { query } = summary;
  // Instants, not calendar days, per delta: formatting a day in a zone is slow, and a
  // busy dashboard applies thousands of deltas a second.
  const bounds = boundsOf(summary);
  for (const [minute, product, siteVersion, title, n] of deltas) {
    if (!matchesFilters(query, product, siteVersion)) continue;
    const instant = Date.parse(minute);
    if (instant >= bounds.todayStart && instant < bounds.todayEnd) {
      summary.today.counts[product][title] += n;
      changed = true;
    }
    if (instant < bounds.rangeStart || instant >= bounds.rangeEnd) continue;
    summary.totals[product][title] += n;
    summary.devices[siteVersion][title] += n;
    changed = true;
    if (title === "order") addToSeries(summary, instant, product, n);
  }
  return changed;
}

interface Bounds {
  key: string;
  todayStart: number;
  todayEnd: number;
  rangeStart: number;
  rangeEnd: number;
}

const boundsCache = new WeakMap<Summary, Bounds>();

function boundsOf(summary: Summary): Bounds {
  const { timeZone, range } = summary;
  const key = `${timeZone}|${summary.today.day}|${range.from}|${range.to}`;
  let bounds = boundsCache.get(summary);
  if (!bounds || bounds.key !== key) {
    bounds = {
      key,
      todayStart: startOfDay(summary.today.day, timeZone),
      todayEnd: startOfDay(addDays(summary.today.day, 1), timeZone),
      rangeStart: startOfDay(range.from, timeZone),
      rangeEnd: startOfDay(addDays(range.to, 1), timeZone),
    };
    boundsCache.set(summary, bounds);
  }
  return bounds;
}

/** The newest bucket of a series and where it ends (epoch seconds). */
const lastBuckets = new WeakMap<Summary["series"], { t: number; end: number }>();

function addToSeries(summary: Summary, instant: number, product: Product, n: number): void {
  const { series, granularity, timeZone } = summary;
  // Live orders land in the newest bucket: find it without formatting a day in the zone
  // (three Intl calls for a day, week or month bucket).
  const newest = series.t.at(-1);
  if (newest !== undefined) {
    let last = lastBuckets.get(series);
    if (!last || last.t !== newest) {
      last = { t: newest, end: nextBucket(newest, granularity, timeZone) };
      lastBuckets.set(series, last);
    }
    if (instant >= newest * 1000 && instant < last.end * 1000) {
      series.orders[product][series.t.length - 1] += n;
      return;
    }
  }
  const t = bucketStart(instant, granularity, timeZone);
  let index = series.t.lastIndexOf(t);
  if (index === -1) {
    const last = series.t.at(-1);
    if (last !== undefined && t < last) {
      // An old bucket missing from the list would be a gap in the data; insert in order.
      index = series.t.findIndex((x) => x > t);
      series.t.splice(index, 0, t);
      for (const p of PRODUCTS) series.orders[p].splice(index, 0, 0);
    } else {
      // Zero-fill the buckets between the last one and this one, so lines drop to 0.
      let next = last === undefined ? t : nextBucket(last, summary.granularity, timeZone);
      while (next <= t) {
        series.t.push(next);
        for (const p of PRODUCTS) series.orders[p].push(0);
        next = nextBucket(next, summary.granularity, timeZone);
      }
      index = series.t.length - 1;
    }
  }
  series.orders[product][index] += n;
}

/** Click-through rate: clicks per impression (0 without impressions). */
export function clickThroughRate(counts: TitleCounts): number {
  return counts.banner_show > 0 ? counts.banner_click / counts.banner_show : 0;
}

/** Conversion: orders per click (0 without clicks). */
export function conversionRate(counts: TitleCounts): number {
  return counts.banner_click > 0 ? counts.order / counts.banner_click : 0;
}
