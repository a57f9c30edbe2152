/**
 * The dashboard's explore panel: what `deno task stats` shows (`computeStats` in
 * lib/dashboard/stats.ts), for the dashboard's range of days. Top users and pages scan `events`
 * (seconds on millions of rows), so results are shared by concurrent requests and
 * cached briefly per range, and a web process runs at most {@linkcode EXPLORE_SCANS}
 * computations at once: a request for another range meanwhile is refused with
 * `BusyError` (a 503) instead of queueing more scans behind the shop.
 *
 * @module
 */
import type { Queryable, Sql } from "../db/client.ts";
import { BusyError } from "./gate.ts";
import { computeStats, type Stats } from "./stats.ts";
import type { DayRange } from "../core/calendar.ts";

/** The explore panel's numbers: `deno task stats --json` for the range. */
export type ExploreStats = Stats;

/**
 * Computations one web process runs at once, each on one Postgres backend without
 * parallel workers: at most about one core of the machine the shop shares.
 */
export const EXPLORE_SCANS = 1;
/** How long a result is served again, per range. */
export const EXPLORE_CACHE_MS = 30_000;
/** What a refused client is told to wait (`Retry-After`, seconds). */
export const EXPLORE_RETRY_S = 5;

/** Options for {@linkcode loadExploreCached}. */
export interface ExploreOptions {
  timeZone: string;
  /** Rows in each top list; default 5. */
  top?: number;
}

interface Entry {
  /** When it was computed (ms), undefined while it runs. */
  at?: number;
  range: DayRange;
  value: Promise<ExploreStats>;
}

/** Per connection pool (a process has one), so databases never share results or slots. */
const explorers = new WeakMap<Queryable, Map<string, Entry>>();

/**
 * `computeStats` in one transaction (its queries then run one after another on one
 * connection) with Postgres's parallel workers off: on 8.47M rows the top-users query
 * alone otherwise runs three backends (two workers and the leader), six with top pages
 * beside it, which is every core of a small machine.
 */
function scan(sql: Sql, range: DayRange, options: ExploreOptions): Promise<ExploreStats> {
  return sql.begin("read only", async (tx) => {
    await tx`set local max_parallel_workers_per_gather = 0`;
    return computeStats(tx, {
      from: range.from,
      to: range.to,
      timeZone: options.timeZone,
      top: options.top,
    });
  }) as Promise<ExploreStats>;
}

/**
 * `computeStats` for `range`: shared by concurrent callers and cached for
 * {@linkcode EXPLORE_CACHE_MS}; throws {@linkcode BusyError} when it would start
 * more than {@linkcode EXPLORE_SCANS} at once.
 */
export function loadExploreCached(
  sql: Sql,
  range: DayRange,
  options: ExploreOptions,
): Promise<ExploreStats> {
  let entries = explorers.get(sql);
  if (!entries) explorers.set(sql, entries = new Map());
  const now = Date.now();
  for (const [key, entry] of entries) {
    if (entry.at !== undefined && now - entry.at >= EXPLORE_CACHE_MS) entries.delete(key);
  }
  const key = `${range.from}|${range.to}|${options.timeZone}|${options.top ?? 5}`;
  const hit = entries.get(key);
  if (hit) return hit.value;
  const running = [...entries.values()].filter((entry) => entry.at === undefined);
  if (running.length >= EXPLORE_SCANS) {
    const days = running.map((entry) => `${entry.range.from} to ${entry.range.to}`).join(", ");
    throw new BusyError(
      `Cannot explore ${range.from} to ${range.to} now: the server already scans ${days} ` +
        `(at most ${EXPLORE_SCANS} at once); try again in ${EXPLORE_RETRY_S} s`,
      EXPLORE_RETRY_S,
    );
  }
  const entry: Entry = { range, value: scan(sql, range, options) };
  entries.set(key, entry);
  entry.value.then(
    () => entry.at = Date.now(),
    () => entries.delete(key),
  );
  return entry.value;
}
