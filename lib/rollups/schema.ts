/**
 * The rollups' schema in one place: the three tables, their time columns, the key every
 * row carries beside its count, and how long minute rows are kept. Writers, the merge,
 * the invariant and the dashboard's queries all take the names from here.
 *
 * @module
 */

/** The rollup tables (migration 002): each key's rows sum to `count(*)` of `events`. */
export const ROLLUP = {
  /** Calendar days in `ANALYTICS_TZ`: kept for all data. */
  daily: { table: "rollup_daily", time: "day" },
  /** UTC hours: kept for all data. */
  hourly: { table: "rollup_hourly", time: "hour" },
  /** UTC minutes: kept for {@linkcode MINUTE_WINDOW_HOURS} (the live charts). */
  minute: { table: "rollup_minute", time: "minute" },
} as const;

/** The three rollups, daily first. */
export const ROLLUPS = [ROLLUP.daily, ROLLUP.hourly, ROLLUP.minute] as const;

/** One of the rollup tables' names. */
export type RollupTable = typeof ROLLUPS[number]["table"];

/** The key columns of every rollup row, beside its time bucket. */
export const KEY_COLUMNS = ["product", "site_version", "title"] as const;

/** How long minute rollups are kept (the live charts' window). */
export const MINUTE_WINDOW_HOURS = 48;
