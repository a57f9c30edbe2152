/**
 * A bulkhead for the dashboard's reads (summary, page, CSV export): each runs in one
 * read-only transaction (one connection of the pool, one Postgres backend, one snapshot:
 * its totals and series agree), and one web process runs at most
 * {@linkcode DASHBOARD_READS} at once. However many clients loop on them, they hold at
 * most that many connections of the pool the shop uses and that many backends on the
 * cores it shares; up to {@linkcode DASHBOARD_WAITING} more wait their turn (fifty
 * dashboards reloading at midnight), and beyond that a read is refused with
 * {@linkcode BusyError} (a 503 with `Retry-After`).
 *
 * @module
 */
import pLimit, { type LimitFunction } from "p-limit";
import type { Sql, Tx } from "../db/client.ts";

/** Dashboard reads one web process computes at once. */
export const DASHBOARD_READS = 2;
/** Reads that may wait for a turn; more are refused. */
export const DASHBOARD_WAITING = 100;
/** What a refused client is told to wait (`Retry-After`, seconds). */
export const DASHBOARD_RETRY_S = 1;

/**
 * Thrown when the server refuses work it is already doing enough of (dashboard reads,
 * explore scans): a 503 with `Retry-After`; the message says what is busy.
 */
export class BusyError extends Error {
  /** Seconds to wait before asking again. */
  readonly retryAfter: number;
  constructor(message: string, retryAfter: number) {
    super(message);
    this.name = "BusyError";
    this.retryAfter = retryAfter;
  }
}

/** Per connection pool (a process has one), so test servers in one process stay apart. */
const gates = new WeakMap<object, LimitFunction>();

/**
 * Runs `read` in a read-only repeatable-read transaction when one of the process's
 * {@linkcode DASHBOARD_READS} turns is free; throws {@linkcode BusyError} at once when
 * {@linkcode DASHBOARD_WAITING} already wait.
 */
export function dashboardRead<T>(sql: Sql, read: (tx: Tx) => Promise<T>): Promise<T> {
  let limit = gates.get(sql);
  if (!limit) gates.set(sql, limit = pLimit(DASHBOARD_READS));
  if (limit.pendingCount >= DASHBOARD_WAITING) {
    return Promise.reject(
      new BusyError(
        `Cannot answer now: ${limit.pendingCount} dashboard reads already wait for the ` +
          `${DASHBOARD_READS} this server runs at once; try again in ${DASHBOARD_RETRY_S} s`,
        DASHBOARD_RETRY_S,
      ),
    );
  }
  // Queries the read issues together are pipelined on the transaction's one connection.
  return limit(() => sql.begin("isolation level repeatable read read only", read) as Promise<T>);
}
