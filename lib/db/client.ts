/**
 * Postgres access: one `sql` per process (postgres.js), creating the database named
 * in the URL when it is missing.
 *
 * @module
 */
import postgres from "postgres";
import { guardPostgresClosedSocketWrites } from "./guard.ts";
import { isPostgresError, SQLSTATE } from "./sqlstate.ts";

/** The postgres.js client type used throughout the project. */
export type Sql = postgres.Sql;
/** A postgres.js transaction handle (what `sql.begin` passes to its callback). */
export type Tx = postgres.TransactionSql;
/** Either: functions that take part in the caller's transaction accept both. */
export type Queryable = Sql | Tx;

/** Options for {@linkcode connect}. */
export interface ConnectOptions {
  /** Pool size; default 10. */
  max?: number;
  /** Tag shown in `pg_stat_activity.application_name`. */
  applicationName?: string;
}

/**
 * Opens a postgres.js pool for `url` (no connection is made until the first query), with
 * the process-wide guard against postgres.js's closed-socket race installed.
 */
export function connect(url: string, options: ConnectOptions = {}): Sql {
  // Every process with a pool may meet postgres.js's closed-socket race (lib/db/guard.ts).
  guardPostgresClosedSocketWrites();
  return postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    // UTC sessions: date_trunc('hour', …) and timestamp output must not depend on the
    // server's TimeZone setting (rollup hours are UTC instants by contract).
    connection: { application_name: options.applicationName ?? "ecommerce", TimeZone: "UTC" },
    types: {
      // int8 (count(*), sum(n)::int8) as JS numbers: counts here stay far below 2^53.
      bigint: {
        to: 20,
        from: [20],
        serialize: (value: number | bigint) => value.toString(),
        parse: (value: string) => Number(value),
      },
    },
    transform: { undefined: null },
  });
}

/** Returns the database name in a `postgres://` URL. */
export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

/** Returns `url` pointing at another database on the same server. */
export function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(name)}`;
  return parsed.toString();
}

/**
 * Creates the database named in `url` if it does not exist, connecting to the
 * server's `postgres` database to do so. Safe when several processes race.
 */
export async function ensureDatabase(url: string): Promise<void> {
  const name = databaseName(url);
  const admin = postgres(withDatabase(url, "postgres"), { max: 1, onnotice: () => {} });
  try {
    const [row] = await admin`select 1 as found from pg_database where datname = ${name}`;
    if (row) return;
    try {
      await admin`create database ${admin(name)}`;
    } catch (error) {
      // Another process created it at the same moment.
      if (!isPostgresError(error, SQLSTATE.duplicateDatabase, SQLSTATE.uniqueViolation)) {
        throw error;
      }
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/** Drops a database (tests use this to clean up their own databases). */
export async function dropDatabase(url: string): Promise<void> {
  const admin = postgres(withDatabase(url, "postgres"), { max: 1, onnotice: () => {} });
  try {
    await admin`drop database if exists ${admin(databaseName(url))} with (force)`;
  } finally {
    await admin.end({ timeout: 5 });
  }
}
