/**
 * The background merge of the rollups (like ClickHouse's SummingMergeTree): writers
 * only append partial rows, and this folds each key's rows into one, and drops minute
 * rows older than the live window.
 *
 * Each fold is one statement — `delete … returning` the key's rows and insert their
 * sum — so it commits atomically: a concurrent reader (READ COMMITTED or stricter)
 * sees either all the old rows or the one new row, and `sum(n)` per key never
 * changes. Rows appended by writers after the statement's snapshot are not touched.
 * Only one merger runs at a time (a session advisory lock; others skip the round).
 *
 * @module
 */
import type { Sql } from "../db/client.ts";
import { MINUTE_WINDOW_HOURS, ROLLUP, ROLLUPS } from "./schema.ts";
import { maintainPartitions, type RetiredMonth } from "./partitions.ts";

/** Advisory lock id that elects the one merger (any constant shared by all processes). */
export const MERGE_LOCK_ID = 7_301_947_113;

/** Options for {@linkcode mergeRollups}. */
export interface MergeOptions {
  /** Keys folded per statement (bounds each transaction); default 5,000. */
  keysPerStatement?: number;
  /** Minute rows older than this are dropped; default {@linkcode MINUTE_WINDOW_HOURS}. */
  minuteWindowHours?: number;
  /** Set to stop between statements (shutdown). */
  signal?: AbortSignal;
  /**
   * `ANALYTICS_RETENTION`: raw-event months older than this are dropped in the round
   * (rollups are kept); undefined keeps every month. Either way the round makes sure
   * last, this and next month's partitions exist.
   */
  retentionMs?: number;
}

/** What one merge round did. */
export interface MergeResult {
  /** False when another process held the merge lock (nothing was done). */
  ran: boolean;
  /** Per table: keys folded, rows removed by folding (rows before − rows after). */
  tables: Record<string, { keys: number; rowsRemoved: number }>;
  /** Minute rows dropped for being older than the window. */
  expiredMinuteRows: number;
  /** Raw-event months dropped by retention in this round. */
  retiredMonths: RetiredMonth[];
  durationMs: number;
}

/**
 * Runs one merge round unless another process is merging. Holds one connection of
 * `sql` for the duration (the advisory lock is per session).
 */
export async function mergeRollups(sql: Sql, options: MergeOptions = {}): Promise<MergeResult> {
  const started = performance.now();
  const limit = options.keysPerStatement ?? 5_000;
  const windowHours = options.minuteWindowHours ?? MINUTE_WINDOW_HOURS;
  const result: MergeResult = {
    ran: false,
    tables: {},
    expiredMinuteRows: 0,
    retiredMonths: [],
    durationMs: 0,
  };
  const session = await sql.reserve();
  try {
    const [{ locked }] = await session`select pg_try_advisory_lock(${MERGE_LOCK_ID}) as locked`;
    if (!locked) return result;
    try {
      result.ran = true;
      // Retention rides on the merge's election: one process drops, the others skip.
      result.retiredMonths = await maintainPartitions(sql, options.retentionMs);
      const expired = await session`
        delete from ${session(ROLLUP.minute.table)}
        where minute < now() - make_interval(hours => ${windowHours})`;
      result.expiredMinuteRows = expired.count;
      for (const { table, time } of ROLLUPS) {
        const totals = { keys: 0, rowsRemoved: 0 };
        while (!options.signal?.aborted) {
          const [{ keys, removed }] = await session`
            with keys as (
              select ${session(time)} as t, product, site_version, title
              from ${session(table)}
              group by 1, 2, 3, 4
              having count(*) > 1
              limit ${limit}
            ),
            gone as (
              delete from ${session(table)} r
              using keys k
              where r.${session(time)} = k.t and r.product = k.product
                and r.site_version = k.site_version and r.title = k.title
              returning r.${session(time)} as t, r.product, r.site_version, r.title, r.n
            ),
            folded as (
              insert into ${session(table)} (${session(time)}, product, site_version, title, n)
              select t, product, site_version, title, sum(n) from gone group by 1, 2, 3, 4
              returning 1
            )
            select (select count(*) from folded)::int8 as keys,
              ((select count(*) from gone) - (select count(*) from folded))::int8 as removed`;
          totals.keys += keys;
          totals.rowsRemoved += removed;
          if (keys < limit) break;
        }
        result.tables[table] = totals;
      }
    } finally {
      // A broken connection already released the lock with its session.
      await session`select pg_advisory_unlock(${MERGE_LOCK_ID})`.catch(() => {});
    }
  } finally {
    session.release();
    result.durationMs = Math.round(performance.now() - started);
  }
  return result;
}

/** Options for {@linkcode startMergeLoop}. */
export interface MergeLoopOptions {
  /** Time between rounds; default 60 s. */
  intervalMs?: number;
  /** Passed to each round ({@linkcode MergeOptions.retentionMs}). */
  retentionMs?: number;
  /** Called after each round that ran, and with each error (the loop keeps going). */
  onRound?: (result: MergeResult) => void;
  onError?: (error: unknown) => void;
}

/**
 * Runs {@linkcode mergeRollups} every `intervalMs` until the returned stop is awaited.
 * `currentSql` returns the pool to use for each round (the worker may replace its pool).
 */
export function startMergeLoop(
  currentSql: () => Sql,
  options: MergeLoopOptions = {},
): { stop(): Promise<void> } {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> | undefined;
  const round = () => {
    running = mergeRollups(currentSql(), {
      signal: controller.signal,
      retentionMs: options.retentionMs,
    })
      .then((result) => {
        if (result.ran) options.onRound?.(result);
      }, (error) => options.onError?.(error))
      .finally(() => {
        running = undefined;
        if (!controller.signal.aborted) timer = setTimeout(round, options.intervalMs ?? 60_000);
      });
  };
  timer = setTimeout(round, options.intervalMs ?? 60_000);
  return {
    async stop() {
      controller.abort();
      clearTimeout(timer);
      await running;
    },
  };
}
