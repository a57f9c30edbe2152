/**
 * The dashboard's data model, shared by the server (lib/dashboard/queries.ts builds it from the
 * rollups) and the browser (islands apply live deltas to it in place): the summary
 * shape, the range picker's rules, calendar days in `ANALYTICS_TZ`, and applying a
 * NOTIFY delta. Pure: no I/O, safe to bundle for the browser.
 *
 * @module
 */
import {
  type Product,
  PRODUCTS,
  quote,
  SITE_VERSIONS,
  type SiteVersion,
  type Title,
  TITLES,
} from "../core/event.ts";
import type { DeltaTuple, TickerEvent } from "../live/protocol.ts";

/** The range picker's choices. */
export const RANGES = ["today", "yesterday", "7d", "30d", "all", "custom"] as const;
/** One of {@linkcode RANGES}. */
export type RangeName = typeof RANGES[number];

/**
 * Time-series resolution: minute rollups for today, hourly up to a week, then the
 * finest of day, week (from Monday) and month that keeps the series within
 * {@linkcode MAX_POINTS} (see {@linkcode granularityFor}).
 */
export type Granularity = "minute" | "hour" | "day" | "week" | "month";

/** At most this many buckets in a series (and per key in the CSV export). */
export const MAX_POINTS = 2000;
/** No query reaches before this day, whatever the data holds. */
export const EARLIEST_DAY = "1970-01-01";
/**
 * The longest query string the dashboard reads (the longest it writes is ~130
 * characters); checked before it is parsed.
 */
export const MAX_SEARCH_LENGTH = 1024;
/** The most `&`-separated parameters the dashboard reads (it writes at most 5). */
export const MAX_SEARCH_PARAMS = 20;

/** Counts per event type. */
export type TitleCounts = Record<Title, number>;
/** Counts per category, per event type. */
export type ProductCounts = Record<Product, TitleCounts>;
/** Counts per device, per event type. */
export type DeviceCounts = Record<SiteVersion, TitleCounts>;

/** What the page asks for: the URL's state (`range`, `from`, `to`, `product`, `site_version`). */
export interface SummaryQuery {
  range: RangeName;
  /** Custom range only: first day, `YYYY-MM-DD`. */
  from?: string;
  /** Custom range only: last day (inclusive), `YYYY-MM-DD`. */
  to?: string;
  /** Categories to include; empty means all. */
  products: Product[];
  /** Device to include; undefined means both. */
  siteVersion?: SiteVersion;
}

/** A resolved range of calendar days (inclusive) in `ANALYTICS_TZ`. */
export interface DayRange {
  from: string;
  to: string;
}

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

/** Thrown for a query string the dashboard cannot answer; the message says why. */
export class BadQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BadQueryError";
  }
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

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
 * Parses a raw query string (`?` optional) after checking its size: at most
 * {@linkcode MAX_SEARCH_LENGTH} characters and {@linkcode MAX_SEARCH_PARAMS}
 * parameters, so a hostile URL costs no more than a normal one. Throws
 * {@linkcode BadQueryError}.
 */
export function parseSummarySearch(search: string): SummaryQuery {
  const text = search.startsWith("?") ? search.slice(1) : search;
  if (text.length > MAX_SEARCH_LENGTH) {
    throw new BadQueryError(
      `Cannot read a query string of ${text.length} characters: the dashboard reads at most ${MAX_SEARCH_LENGTH}`,
    );
  }
  let params = 1;
  for (let i = text.indexOf("&"); i !== -1; i = text.indexOf("&", i + 1)) params++;
  if (params > MAX_SEARCH_PARAMS) {
    throw new BadQueryError(
      `Cannot read a query string of ${params} parameters: the dashboard reads at most ${MAX_SEARCH_PARAMS}`,
    );
  }
  return parseSummaryQuery(new URLSearchParams(text));
}

/**
 * Parses the URL's state; throws {@linkcode BadQueryError} on a bad value. Takes
 * parameters already parsed: for a raw query string from outside, use
 * {@linkcode parseSummarySearch}, which bounds it first.
 */
export function parseSummaryQuery(params: URLSearchParams): SummaryQuery {
  const from = params.get("from") || undefined;
  const to = params.get("to") || undefined;
  const rangeText = params.get("range") || (from || to ? "custom" : "today");
  if (!(RANGES as readonly string[]).includes(rangeText)) {
    throw new BadQueryError(
      `Cannot read range ${quote(rangeText)}: use one of ${RANGES.join(", ")}`,
    );
  }
  const range = rangeText as RangeName;
  for (const [name, value] of [["from", from], ["to", to]] as const) {
    if (value !== undefined && (!DAY.test(value) || !isRealDay(value))) {
      throw new BadQueryError(`Cannot read ${name} ${quote(value)}: expected a date YYYY-MM-DD`);
    }
  }
  if (range === "custom" && (!from || !to)) {
    throw new BadQueryError("Cannot read a custom range: give both from and to");
  }
  if (range === "custom" && from! > to!) {
    throw new BadQueryError(`Cannot read range "${from}" to "${to}": from is after to`);
  }
  const products: Product[] = [];
  for (const value of params.getAll("product").flatMap((v) => v.split(","))) {
    const product = value.trim();
    if (product === "") continue;
    if (!(PRODUCTS as readonly string[]).includes(product)) {
      throw new BadQueryError(
        `Cannot read product ${quote(product)}: use one of ${PRODUCTS.join(", ")}`,
      );
    }
    if (!products.includes(product as Product)) products.push(product as Product);
  }
  products.sort((a, b) => PRODUCTS.indexOf(a) - PRODUCTS.indexOf(b));
  const device = params.get("site_version") || undefined;
  if (device !== undefined && !(SITE_VERSIONS as readonly string[]).includes(device)) {
    throw new BadQueryError(
      `Cannot read site_version ${quote(device)}: use one of ${SITE_VERSIONS.join(", ")}`,
    );
  }
  return {
    range,
    ...(range === "custom" ? { from, to } : {}),
    products: products.length === PRODUCTS.length ? [] : products,
    ...(device ? { siteVersion: device as SiteVersion } : {}),
  };
}

/** The URL search string for `query` (the inverse of {@linkcode parseSummaryQuery}). */
export function summarySearch(query: SummaryQuery): string {
  const params = new URLSearchParams();
  params.set("range", query.range);
  if (query.range === "custom") {
    params.set("from", query.from ?? "");
    params.set("to", query.to ?? "");
  }
  if (query.products.length > 0) params.set("product", query.products.join(","));
  if (query.siteVersion) params.set("site_version", query.siteVersion);
  return params.toString();
}

function isRealDay(day: string): boolean {
  const date = new Date(`${day}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === day;
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** The calendar day (`YYYY-MM-DD`) of `instant` in `timeZone`. */
export function dayIn(instant: Date | number, timeZone: string): string {
  let format = dayFormats.get(timeZone);
  if (!format) {
    // en-CA formats dates as YYYY-MM-DD.
    format = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
    });
    dayFormats.set(timeZone, format);
  }
  return format.format(instant);
}

/** `day` plus `n` days (calendar arithmetic on the date alone). */
export function addDays(day: string, n: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + n);
  return date.toISOString().slice(0, 10);
}

/** Days from `from` to `to`, inclusive. */
export function dayCount(range: DayRange): number {
  return Math.round(
    (Date.parse(`${range.to}T00:00:00Z`) - Date.parse(`${range.from}T00:00:00Z`)) / 86_400_000,
  ) + 1;
}

/** `day` plus `n` calendar months, on the same day of the month or the month's last. */
export function addMonths(day: string, n: number): string {
  const [year, month, date] = day.split("-").map(Number);
  const first = new Date(Date.UTC(year, month - 1 + n, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0));
  first.setUTCDate(Math.min(date, last.getUTCDate()));
  return first.toISOString().slice(0, 10);
}

/** The Monday starting the (ISO) week that holds `day`. */
export function weekStartDay(day: string): string {
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay(); // 0 is Sunday
  return addDays(day, -((weekday + 6) % 7));
}

/** The first day of the month that holds `day`. */
export function monthStartDay(day: string): string {
  return `${day.slice(0, 8)}01`;
}

/**
 * The days a query may ask for: from a year before the first day holding data (before
 * today when there is none, or when the data starts later), never before
 * {@linkcode EARLIEST_DAY}, to tomorrow (a viewer east of `ANALYTICS_TZ` may already be
 * there). Wider asks are refused rather than answered with empty years.
 */
export function allowedDays(today: string, dataRange: DayRange | null): DayRange {
  const first = dataRange && dataRange.from < today ? dataRange.from : today;
  const from = addMonths(first, -12);
  return { from: from < EARLIEST_DAY ? EARLIEST_DAY : from, to: addDays(today, 1) };
}

/**
 * Refuses a range reaching outside `bounds` with {@linkcode BadQueryError}, naming the
 * day at fault and the bounds.
 */
export function checkRange(range: DayRange, bounds: DayRange): void {
  for (const [name, day] of [["from", range.from], ["to", range.to]] as const) {
    if (day < bounds.from || day > bounds.to) {
      throw new BadQueryError(
        `Cannot read ${name} ${quote(day)}: choose a day from ${bounds.from} to ${bounds.to}`,
      );
    }
  }
}

/**
 * Resolves the picker's choice to days: `today` and `yesterday` in the zone, `7d` and
 * `30d` ending today, `all` spanning the data within {@linkcode allowedDays} (today when
 * there is none), `custom` as given (check it with {@linkcode checkRange}).
 */
export function resolveRange(
  query: SummaryQuery,
  today: string,
  dataRange: DayRange | null,
): DayRange {
  if (query.range === "all") {
    if (!dataRange) return { from: today, to: today };
    // Clipped: an event stored with a far-off date must not stretch "all data".
    const bounds = allowedDays(today, dataRange);
    const from = dataRange.from > bounds.from ? dataRange.from : bounds.from;
    const to = dataRange.to < bounds.to ? dataRange.to : bounds.to;
    return from <= to ? { from, to } : { from: today, to: today };
  }
  switch (query.range) {
    case "today":
      return { from: today, to: today };
    case "yesterday":
      return { from: addDays(today, -1), to: addDays(today, -1) };
    case "7d":
      return { from: addDays(today, -6), to: today };
    case "30d":
      return { from: addDays(today, -29), to: today };
    case "custom":
      return { from: query.from!, to: query.to! };
  }
}

/** The period of the same length ending the day before `range`. */
export function previousRange(range: DayRange): DayRange {
  const days = dayCount(range);
  return { from: addDays(range.from, -days), to: addDays(range.from, -1) };
}

/**
 * Minute buckets for a range that is today alone, hourly up to 7 days, then daily,
 * weekly or monthly: the finest that keeps the series within {@linkcode MAX_POINTS}
 * (daily up to 2,000 days, weekly up to about 38 years; monthly beyond, which
 * {@linkcode allowedDays} keeps under 2,000 months).
 */
export function granularityFor(range: DayRange, today: string): Granularity {
  if (range.from === today && range.to === today) return "minute";
  const days = dayCount(range);
  if (days <= 7) return "hour";
  if (days <= MAX_POINTS) return "day";
  // A range of d days touches at most ceil(d / 7) + 1 weeks (Monday to Sunday).
  return Math.ceil(days / 7) + 1 <= MAX_POINTS ? "week" : "month";
}

/** The first day of the bucket holding `day`, for the calendar granularities. */
export function bucketDay(day: string, granularity: "day" | "week" | "month"): string {
  return granularity === "day"
    ? day
    : granularity === "week"
    ? weekStartDay(day)
    : monthStartDay(day);
}

/** Whether a delta passes the query's category and device filters. */
export function matchesFilters(
  query: SummaryQuery,
  product: Product,
  siteVersion: SiteVersion,
): boolean {
  return (query.products.length === 0 || query.products.includes(product)) &&
    (!query.siteVersion || query.siteVersion === siteVersion);
}

/** Start (epoch seconds) of the bucket holding `instant` at `granularity` in `timeZone`. */
export function bucketStart(
  instant: number,
  granularity: Granularity,
  timeZone: string,
): number {
  if (granularity === "minute") return Math.floor(instant / 60_000) * 60;
  if (granularity === "hour") return Math.floor(instant / 3_600_000) * 3600;
  return startOfDay(bucketDay(dayIn(instant, timeZone), granularity), timeZone) / 1000;
}

const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/** The offset of `timeZone` from UTC at `instant`, in milliseconds. */
export function zoneOffset(instant: number, timeZone: string): number {
  let format = offsetFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    offsetFormats.set(timeZone, format);
  }
  const parts = Object.fromEntries(
    format.formatToParts(instant).map((part) => [part.type, Number(part.value)]),
  );
  const wall = Date.UTC(
    parts.year,
    parts.month - 1,
    parts.day,
    parts.hour,
    parts.minute,
    parts.second,
  );
  return wall - Math.floor(instant / 1000) * 1000;
}

/** The instant (ms) midnight of `day` begins in `timeZone`. */
export function startOfDay(day: string, timeZone: string): number {
  const guess = Date.parse(`${day}T00:00:00Z`);
  const first = guess - zoneOffset(guess, timeZone);
  // Across a DST change the offset at the guess differs from the one at midnight.
  return guess - zoneOffset(first, timeZone);
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

/** The start (epoch seconds) of the bucket after the one starting at `t`. */
export function nextBucket(t: number, granularity: Granularity, timeZone: string): number {
  if (granularity === "minute") return t + 60;
  if (granularity === "hour") return t + 3600;
  const day = bucketDay(dayIn(t * 1000, timeZone), granularity);
  const next = granularity === "day"
    ? addDays(day, 1)
    : granularity === "week"
    ? addDays(day, 7)
    : addMonths(day, 1);
  return startOfDay(next, timeZone) / 1000;
}

/** Click-through rate: clicks per impression (0 without impressions). */
export function clickThroughRate(counts: TitleCounts): number {
  return counts.banner_show > 0 ? counts.banner_click / counts.banner_show : 0;
}

/** Conversion: orders per click (0 without clicks). */
export function conversionRate(counts: TitleCounts): number {
  return counts.banner_click > 0 ? counts.order / counts.banner_click : 0;
}
