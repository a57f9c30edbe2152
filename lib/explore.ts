/**
 * The dashboard's explore panel: what `deno task stats` shows, for a range of days.
 * Totals, the date range and top products come from `rollup_daily`; top users and
 * pages need `events` (bounded by the range through the BRIN index on `event_time`).
 * Results are cached briefly per range, since the scan is the slow part.
 *
 * @module
 */
import type { Queryable } from "./db.ts";
import { addDays, type DayRange, startOfDay } from "./summary.ts";

/** The explore panel's numbers. */
export interface ExploreStats {
  range: DayRange;
  /** Events in the range. */
  total: number;
  /** First and last day with data in the range. */
  first: string | null;
  last: string | null;
  byTitle: { title: string; events: number }[];
  topProducts: { product: string; events: number }[];
  /** 32-hex ids. */
  topUsers: { id: string; events: number }[];
  topPages: { id: string; events: number }[];
}

/** Options for {@linkcode loadExplore}. */
export interface ExploreOptions {
  timeZone: string;
  /** Rows in each top list; default 5. */
  top?: number;
}

/** Computes the panel's numbers for `range` (days in `timeZone`, inclusive). */
export async function loadExplore(
  sql: Queryable,
  range: DayRange,
  options: ExploreOptions,
): Promise<ExploreStats> {
  const top = options.top ?? 5;
  const start = new Date(startOfDay(range.from, options.timeZone));
  const end = new Date(startOfDay(addDays(range.to, 1), options.timeZone));
  const [byTitle, byProduct, bounds, users, pages] = await Promise.all([
    sql`select title, sum(n)::int8 as events from rollup_daily
        where day between ${range.from}::date and ${range.to}::date group by 1 order by 2 desc`,
    sql`select product, sum(n)::int8 as events from rollup_daily
        where day between ${range.from}::date and ${range.to}::date group by 1 order by 2 desc`,
    sql`select min(day)::text as first, max(day)::text as last from rollup_daily
        where day between ${range.from}::date and ${range.to}::date`,
    sql`select replace(user_id::text, '-', '') as id, count(*)::int8 as events from events
        where event_time >= ${start} and event_time < ${end}
        group by user_id order by 2 desc, 1 limit ${top}`,
    sql`select replace(page_id::text, '-', '') as id, count(*)::int8 as events from events
        where event_time >= ${start} and event_time < ${end}
        group by page_id order by 2 desc, 1 limit ${top}`,
  ]);
  return {
    range,
    total: byTitle.reduce((sum, row) => sum + (row.events as number), 0),
    first: (bounds[0]?.first as string | null) ?? null,
    last: (bounds[0]?.last as string | null) ?? null,
    byTitle: byTitle.map((row) => ({ title: row.title as string, events: row.events as number })),
    topProducts: byProduct.map((row) => ({
      product: row.product as string,
      events: row.events as number,
    })),
    topUsers: users.map((row) => ({ id: row.id as string, events: row.events as number })),
    topPages: pages.map((row) => ({ id: row.id as string, events: row.events as number })),
  };
}

const CACHE_MS = 30_000;
const cache = new Map<string, { at: number; value: Promise<ExploreStats> }>();

/** {@linkcode loadExplore}, shared by concurrent callers and cached for 30 s per range. */
export function loadExploreCached(
  sql: Queryable,
  range: DayRange,
  options: ExploreOptions,
): Promise<ExploreStats> {
  const key = `${range.from}|${range.to}|${options.timeZone}|${options.top ?? 5}`;
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.value;
  const value = loadExplore(sql, range, options);
  cache.set(key, { at: Date.now(), value });
  value.catch(() => cache.delete(key));
  for (const [k, entry] of cache) if (Date.now() - entry.at >= CACHE_MS) cache.delete(k);
  return value;
}
