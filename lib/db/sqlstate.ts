/**
 * Postgres errors by name: the SQLSTATEs this project reacts to, and one test for
 * them, on postgres.js's own error class (never a duck-typed `code`).
 *
 * @module
 */
import postgres from "postgres";

/** The SQLSTATEs the code reacts to (see the Postgres manual, "Errcodes"). */
export const SQLSTATE = {
  /** A row's unique key is taken (a stored `order_id`, a race to create a database). */
  uniqueViolation: "23505",
  /** A row fits no check, or (partitioned tables) no partition of the table. */
  checkViolation: "23514",
  /** Two transactions waited on each other; Postgres rolled one back: retry it. */
  deadlockDetected: "40P01",
  /** `create database` lost a race to another process. */
  duplicateDatabase: "42P04",
} as const;

/** SQLSTATE classes: the first two characters. */
export const SQLSTATE_CLASS = {
  /** The connection failed (`08…`). */
  connectionException: "08",
  /** The backend was terminated or the server is shutting down (`57P…`, three characters). */
  operatorIntervention: "57P",
} as const;

/** A Postgres error as postgres.js raises it. */
export type PostgresError = InstanceType<typeof postgres.PostgresError>;

/** True when `error` is a Postgres error whose SQLSTATE is one of `codes`. */
export function isPostgresError(error: unknown, ...codes: string[]): error is PostgresError {
  return error instanceof postgres.PostgresError && codes.includes(error.code);
}

/** True when `error` is a Postgres error of one of the SQLSTATE classes `prefixes`. */
export function isPostgresErrorOfClass(error: unknown, ...prefixes: string[]): boolean {
  return error instanceof postgres.PostgresError &&
    prefixes.some((prefix) => error.code.startsWith(prefix));
}
