/**
 * What a dashboard URL may ask for, and what it resolves to: the summary query (range,
 * days, categories, device) parsed from a bounded query string and printed back, the
 * days a query may reach, and the range picker's choices as calendar days. Pure and
 * browser-safe: the islands keep their URL state with the same rules.
 *
 * @module
 */
import { addDays, addMonths, dayCount, type DayRange, isCalendarDay } from "../core/calendar.ts";
import { type Product, PRODUCTS, quote, SITE_VERSIONS, type SiteVersion } from "../core/event.ts";

/** No query reaches before this day, whatever the data holds. */
export const EARLIEST_DAY = "1970-01-01";
/**
 * The longest query string the dashboard reads (the longest it writes is ~130
 * characters); checked before it is parsed.
 */
export const MAX_SEARCH_LENGTH = 1024;
/** The most `&`-separated parameters the dashboard reads (it writes at most 5). */
export const MAX_SEARCH_PARAMS = 20;

/** The range picker's choices. */
export const RANGES = ["today", "yesterday", "7d", "30d", "all", "custom"] as const;
/** One of {@linkcode RANGES}. */
export type RangeName = typeof RANGES[number];

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

/** Thrown for a query string the dashboard cannot answer; the message says why. */
export class BadQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BadQueryError";
  }
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

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
    if (value !== undefined && (!DAY.test(value) || !isCalendarDay(value))) {
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

/** Whether a delta passes the query's category and device filters. */
export function matchesFilters(
  query: SummaryQuery,
  product: Product,
  siteVersion: SiteVersion,
): boolean {
  return (query.products.length === 0 || query.products.includes(product)) &&
    (!query.siteVersion || query.siteVersion === siteVersion);
}
