/**
 * The dashboard's numbers, read from the rollups (never by scanning `events`, except
 * for the few newest rows of the ticker). Rollups are partial aggregates: every count
 * here is `sum(n)` grouped by key. Calendar days are days in `ANALYTICS_TZ`, which is
 * what `rollup_daily.day` already holds.
 *
 * @module
 */
import type { Queryable } from "../db/client.ts";
import { type Product, PRODUCTS, type SiteVersion, type Title } from "../core/event.ts";
import { TICKER_LENGTH, type TickerEvent } from "../live/protocol.ts";
import { addDays, dayIn, type DayRange, startOfDay } from "../core/calendar.ts";
import {
  allowedDays,
  checkRange,
  previousRange,
  resolveRange,
  type SummaryQuery,
} from "./query.ts";
import {
  emptyDeviceCounts,
  emptyProductCounts,
  type ProductCounts,
  type Summary,
} from "./model.ts";
import { type Granularity, granularityFor, nextBucket } from "./buckets.ts";
import { ROLLUP } from "../rollups/schema.ts";
import type { IngestStatus } from "../ingest/status.ts";

/** Options for {@linkcode loadSummary}. */
export interface SummaryOptions {
  /** `ANALYTICS_TZ`. */
  timeZone: string;
  /** The current instant (tests pin it); default now. */
  now?: Date;
  /** The live hub's position, read before querying (see `Summary.live`). */
  live?: { instance: string; seq: number };
  /** Ingest lag and rate (`lib/ingest/status.ts`); without it both are unknown. */
  status?: () => Promise<IngestStatus>;
  /** Ticker length; default `TICKER_LENGTH`. */
  tickerSize?: number;
}

/** The days a query covers, resolved against the data and checked against the bounds. */
export interface QueryDays {
  /** Today in `ANALYTICS_TZ`. */
  today: string;
  /** First and last day holding data, null when empty. */
  dataRange: DayRange | null;
  /** The days a query may ask for ({@linkcode allowedDays}). */
  bounds: DayRange;
  /** The query's days. */
  range: DayRange;
}

/**
 * Resolves the query's range and refuses one outside the allowed days with
 * `BadQueryError` (before any query that depends on its size runs).
 */
export async function resolveQueryDays(
  sql: Queryable,
  query: SummaryQuery,
  options: { timeZone: string; now?: Date },
): Promise<QueryDays> {
  const today = dayIn(options.now ?? new Date(), options.timeZone);
  const dataRange = await loadDataRange(sql);
  const bounds = allowedDays(today, dataRange);
  const range = resolveRange(query, today, dataRange);
  checkRange(range, bounds);
  return { today, dataRange, bounds, range };
}

/**
 * Builds the dashboard's summary for `query` from the rollups; throws `BadQueryError`
 * for a range outside the allowed days.
 */
export async function loadSummary(
  sql: Queryable,
  query: SummaryQuery,
  options: SummaryOptions,
): Promise<Summary> {
  const now = options.now ?? new Date();
  const { timeZone } = options;
  const { today, dataRange, bounds, range } = await resolveQueryDays(sql, query, {
    timeZone,
    now,
  });
  const previous = query.range === "all" ? null : previousRange(range);
  const granularity = granularityFor(range, today);
  const [
    todayCounts,
    current,
    previousTotals,
    series,
    lastEventAt,
    perSecond,
    ticker,
    status,
  ] = await Promise.all([
    countByProduct(sql, query, { from: today, to: today }),
    countByKey(sql, query, range),
    previous ? countByProduct(sql, query, previous) : Promise.resolve(null),
    loadOrderSeries(sql, query, range, { granularity, timeZone, now }),
    loadLastEventAt(sql),
    loadEventsPerSecond(sql, query, now),
    loadTicker(sql, query, options.tickerSize ?? TICKER_LENGTH),
    options.status?.() ?? Promise.resolve({ lag: null, eventsPerSecond: null }),
  ]);
  return {
    generatedAt: now.toISOString(),
    timeZone,
    query,
    range,
    previousRange: previous,
    bounds,
    granularity,
    today: { day: today, counts: todayCounts },
    totals: current.products,
    previous: previousTotals,
    devices: current.devices,
    series,
    dataRange,
    lastEventAt,
    eventsPerSecond: status.eventsPerSecond ?? perSecond,
    ticker,
    lag: status.lag,
    live: options.live ?? { instance: "", seq: 0 },
  };
}

/** The query's category and device filters as an `and …` fragment for a rollup read. */
export function keyFilters(sql: Queryable, query: SummaryQuery) {
  const product = query.products.length > 0
    ? sql`and product = any(${query.products}::text[])`
    : sql``;
  const device = query.siteVersion ? sql`and site_version = ${query.siteVersion}` : sql``;
  return sql`${product} ${device}`;
}

/** First and last day in `rollup_daily` (index-only: the key starts with `day`). */
export async function loadDataRange(sql: Queryable): Promise<DayRange | null> {
  const [row] = await sql`
    select (select min(day) from ${sql(ROLLUP.daily.table)})::text as first,
           (select max(day) from ${sql(ROLLUP.daily.table)})::text as last`;
  return row?.first ? { from: row.first as string, to: row.last as string } : null;
}

/** `sum(n)` per category and event type over the days of `range`. */
export async function countByProduct(
  sql: Queryable,
  query: SummaryQuery,
  range: DayRange,
): Promise<ProductCounts> {
  const rows = await sql`
    select product, title, sum(n)::int8 as n from ${sql(ROLLUP.daily.table)}
    where day between ${range.from}::date and ${range.to}::date ${keyFilters(sql, query)}
    group by 1, 2`;
  const counts = emptyProductCounts();
  for (const row of rows) counts[row.product as Product][row.title as Title] = row.n as number;
  return counts;
}

/** One pass over the range's rollup rows, folded per category and per device. */
async function countByKey(sql: Queryable, query: SummaryQuery, range: DayRange) {
  const rows = await sql`
    select product, site_version, title, sum(n)::int8 as n from ${sql(ROLLUP.daily.table)}
    where day between ${range.from}::date and ${range.to}::date ${keyFilters(sql, query)}
    group by 1, 2, 3`;
  const products = emptyProductCounts();
  const devices = emptyDeviceCounts();
  for (const row of rows) {
    products[row.product as Product][row.title as Title] += row.n as number;
    devices[row.site_version as SiteVersion][row.title as Title] += row.n as number;
  }
  return { products, devices };
}

interface SeriesOptions {
  granularity: Granularity;
  timeZone: string;
  now: Date;
}

/**
 * The minute or hour bucket starts (epoch seconds) covering `range`, up to the current
 * bucket (plain arithmetic: no calendar needed).
 */
export function seriesBuckets(
  range: DayRange,
  options: SeriesOptions & { granularity: "minute" | "hour" },
): number[] {
  const { timeZone } = options;
  const size = options.granularity === "minute" ? 60 : 3600;
  // Hour buckets stay on whole UTC hours (the hourly rollup's), also in zones offset
  // by half an hour, whose first bucket then starts half an hour before midnight.
  const start = Math.floor(startOfDay(range.from, timeZone) / 1000 / size) * size;
  const end = Math.min(
    startOfDay(addDays(range.to, 1), timeZone) / 1000,
    // Up to and including the bucket holding "now": the live chart grows from there.
    Math.floor(options.now.getTime() / 1000 / size) * size + size,
  );
  const buckets: number[] = [];
  for (let t = start; t < end; t += size) buckets.push(t);
  return buckets;
}

function emptyOrders(length: number): Record<Product, number[]> {
  return Object.fromEntries(PRODUCTS.map((p) => [p, new Array(length).fill(0)])) as Record<
    Product,
    number[]
  >;
}

async function loadOrderSeries(
  sql: Queryable,
  query: SummaryQuery,
  range: DayRange,
  options: SeriesOptions,
): Promise<Summary["series"]> {
  const { granularity } = options;
  if (granularity === "minute" || granularity === "hour") {
    return loadClockSeries(sql, query, range, { ...options, granularity });
  }
  // Day, week and month buckets begin at midnight in the zone: Postgres lists them and
  // converts them to instants (Intl needs ~3 calls, tens of microseconds, per bucket on
  // the one JavaScript thread), and sends them as one row of JSON.
  const today = dayIn(options.now, options.timeZone);
  const last = range.to < today ? range.to : today;
  const step = `1 ${granularity}`;
  const [row] = await sql`
    with buckets as (
      select b::date as start
      from generate_series(
        date_trunc(${granularity}, ${range.from}::date::timestamp),
        date_trunc(${granularity}, ${last}::date::timestamp),
        ${step}::interval) b
    ), counts as (
      select date_trunc(${granularity}, day::timestamp)::date as start, product,
        sum(n)::int8 as n
      from ${sql(ROLLUP.daily.table)}
      where day between ${range.from}::date and ${range.to}::date and title = 'order'
        ${keyFilters(sql, query)}
      group by 1, 2
    )
    select
      (select coalesce(json_agg(start order by start), '[]')
        from (select extract(epoch from start::timestamp at time zone ${options.timeZone})::int8
          as start from buckets) b) as t,
      (select coalesce(json_agg(json_build_array(b.i, c.product, c.n)), '[]')
        from counts c
        join (select start, (row_number() over (order by start) - 1)::int as i from buckets) b
          using (start)) as cells`;
  const t = row.t as number[];
  const orders = emptyOrders(t.length);
  for (const [i, product, n] of row.cells as [number, Product, number][]) {
    orders[product][i] += n;
  }
  return { t, orders };
}

async function loadClockSeries(
  sql: Queryable,
  query: SummaryQuery,
  range: DayRange,
  options: SeriesOptions & { granularity: "minute" | "hour" },
): Promise<Summary["series"]> {
  const t = seriesBuckets(range, options);
  const orders = emptyOrders(t.length);
  if (t.length === 0) return { t, orders };
  const start = new Date(t[0] * 1000);
  const end = new Date(nextBucket(t.at(-1)!, options.granularity, options.timeZone) * 1000);
  const grouped = options.granularity === "hour"
    ? sql`
      select extract(epoch from hour)::int8 as t, product, sum(n)::int8 as n
      from ${sql(ROLLUP.hourly.table)}
      where hour >= ${start} and hour < ${end} and title = 'order' ${keyFilters(sql, query)}
      group by 1, 2`
    : sql`
      select extract(epoch from minute)::int8 as t, product, sum(n)::int8 as n
      from ${sql(ROLLUP.minute.table)}
      where minute >= ${start} and minute < ${end} and title = 'order' ${keyFilters(sql, query)}
      group by 1, 2`;
  // One row of JSON: a busy day has 7,200 (minute, category) cells, which as rows would
  // cost postgres.js tens of milliseconds to parse on the one JavaScript thread.
  const [row] = await sql`
    select coalesce(json_agg(json_build_array(t, product, n)), '[]') as cells
    from (${grouped}) grouped`;
  const size = options.granularity === "minute" ? 60 : 3600;
  for (const [bucket, product, n] of row.cells as [number, Product, number][]) {
    const i = (bucket - t[0]) / size;
    if (Number.isInteger(i) && i >= 0 && i < t.length) orders[product][i] += n;
  }
  return { t, orders };
}

/**
 * The newest event's time: the last hour in `rollup_hourly` (an index lookup) bounds
 * the search, so the BRIN index on `event_time` reads only that hour of `events`.
 */
export async function loadLastEventAt(sql: Queryable): Promise<string | null> {
  // Two statements, so the planner sees the hour as a value: with a subquery it guesses
  // a third of the table and plans a parallel scan (80 ms instead of 1).
  const [hour] = await sql`select max(hour) as hour from ${sql(ROLLUP.hourly.table)}`;
  if (!hour?.hour) return null;
  const [row] = await sql`select max(event_time) as last from events
    where event_time >= ${hour.hour as Date}`;
  return row?.last ? (row.last as Date).toISOString() : null;
}

async function loadEventsPerSecond(sql: Queryable, query: SummaryQuery, now: Date) {
  const minute = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
  const [row] = await sql`
    select coalesce(sum(n), 0)::int8 as n from ${sql(ROLLUP.minute.table)}
    where minute >= ${new Date(minute.getTime() - 60_000)} and minute < ${minute}
      ${keyFilters(sql, query)}`;
  return Math.round(((row?.n as number) ?? 0) / 60 * 10) / 10;
}

/** The newest events of the last two days, newest first (the BRIN index bounds the scan). */
export async function loadTicker(
  sql: Queryable,
  query: SummaryQuery,
  limit: number,
): Promise<TickerEvent[]> {
  const rows = await sql`
    select event_time, product, site_version, title from events
    where event_time >= now() - interval '2 days' ${keyFilters(sql, query)}
    order by event_time desc limit ${limit}`;
  return rows.map((row) => ({
    time: (row.event_time as Date).toISOString(),
    product: row.product as Product,
    site_version: row.site_version as SiteVersion,
    title: row.title as Title,
  }));
}
