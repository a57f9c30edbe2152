/**
 * The worker's Postgres pool, replaceable. postgres.js 3.4 can leave a pooled
 * connection hung after the server closes it inside a transaction (the `rollback` it
 * sends on the dead socket is replayed on the reconnected one and never answered),
 * so after a connection-level error the worker swaps in a fresh pool instead of
 * trusting the old one; batches still running on the old pool fail and are retried.
 *
 * @module
 */
import { connect, type ConnectOptions, type Sql } from "./client.ts";
import { isPostgresErrorOfClass, SQLSTATE_CLASS } from "./sqlstate.ts";

/** postgres.js's own codes (not SQLSTATEs) and socket errors of a lost connection. */
const CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "CONNECTION_ENDED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  // A statement past its deadline (core/async.ts withTimeout): a hung pooled connection.
  "TIMEOUT",
]);

/**
 * True when `error` means the connection (not the statement) failed: postgres.js's
 * connection codes, socket errors, and the Postgres errors of SQLSTATE classes 08
 * (connection exception) and 57P (operator intervention: terminated backend, server
 * shutting down).
 */
export function isConnectionError(error: unknown): boolean {
  if (
    isPostgresErrorOfClass(
      error,
      SQLSTATE_CLASS.connectionException,
      SQLSTATE_CLASS.operatorIntervention,
    )
  ) return true;
  const code = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  return typeof code === "string" && CONNECTION_CODES.has(code);
}

/** A pool that can be replaced after a connection-level failure. */
export class ReplaceablePool {
  #url: string;
  #options: ConnectOptions;
  #sql: Sql;
  #retired: Promise<void>[] = [];

  constructor(url: string, options: ConnectOptions) {
    this.#url = url;
    this.#options = options;
    this.#sql = connect(url, options);
  }

  /** The current pool. */
  get sql(): Sql {
    return this.#sql;
  }

  /** Replaces `broken` (if it is still current) with a fresh pool and ends it. */
  replace(broken: Sql): void {
    if (broken !== this.#sql) return;
    this.#sql = connect(this.#url, this.#options);
    this.#retired.push(broken.end({ timeout: 1 }).catch(() => {}));
  }

  /** Ends the current pool and any being retired. */
  async end(): Promise<void> {
    await Promise.all([this.#sql.end({ timeout: 5 }), ...this.#retired]);
  }
}
