/**
 * The dashboard's explore panel: what `deno task stats` shows (`computeStats` in
 * lib/stats.ts), for the dashboard's range of days. Top users and pages scan `events`,
 * so results are shared by concurrent requests and cached briefly per range.
 *
 * @module
 */
import type { Queryable } from "./db.ts";
import { computeStats, type Stats } from "./stats.ts";
import type { DayRange } from "./summary.ts";

/** The explore panel's numbers: `deno task stats --json` for the range. */
export type ExploreStats = Stats;

/** Options for {@linkcode loadExploreCached}. */
export interface ExploreOptions {
  timeZone: string;
  /** Rows in each top list; default 5. */
  top?: number;
}

const CACHE_MS = 30_000;
const cache = new Map<string, { at: number; value: Promise<ExploreStats> }>();

/** `computeStats` for `range`, shared by concurrent callers and cached for 30 s. */
export function loadExploreCached(
  sql: Queryable,
  range: DayRange,
  options: ExploreOptions,
): Promise<ExploreStats> {
  const now = Date.now();
  for (const [key, entry] of cache) if (now - entry.at >= CACHE_MS) cache.delete(key);
  const key = `${range.from}|${range.to}|${options.timeZone}|${options.top ?? 5}`;
  const hit = cache.get(key);
  if (hit) return hit.value;
  const value = computeStats(sql, {
    from: range.from,
    to: range.to,
    timeZone: options.timeZone,
    top: options.top,
  });
  cache.set(key, { at: now, value });
  value.catch(() => cache.delete(key));
  return value;
}
