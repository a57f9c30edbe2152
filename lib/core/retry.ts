/**
 * Retrying an operation against a service that may be briefly unreachable (Postgres
 * restarting, a terminated connection, the broker electing a leader): exponential
 * backoff with jitter, until it succeeds or the caller gives up.
 *
 * @module
 */
import { sleep } from "./async.ts";

/** Options for {@linkcode retryWithBackoff}. */
export interface RetryOptions {
  /** First delay; default 100 ms. */
  initialDelayMs?: number;
  /** Longest delay; default 5 s. */
  maxDelayMs?: number;
  /** Checked before every attempt after the first: true stops with {@linkcode RetryAborted}. */
  shouldStop?: () => boolean;
  /** Called after each failed attempt (log it; keep the consumer's heartbeat going). */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void | Promise<void>;
}

/** Thrown when `shouldStop` ended the retries; `cause` is the last error. */
export class RetryAborted extends Error {
  constructor(cause: unknown) {
    super("Retries stopped: shutting down or the work was taken over", { cause });
    this.name = "RetryAborted";
  }
}

/** Runs `operation` until it resolves, waiting longer after each failure. */
export async function retryWithBackoff<T>(
  operation: () => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const initial = options.initialDelayMs ?? 100;
  const max = options.maxDelayMs ?? 5_000;
  for (let attempt = 1;; attempt++) {
    try {
      return await operation();
    } catch (error) {
      // Full jitter: workers that lost the database together do not retry in lockstep.
      const ceiling = Math.min(max, initial * 2 ** (attempt - 1));
      const delay = Math.round(ceiling / 2 + Math.random() * ceiling / 2);
      await options.onRetry?.(error, attempt, delay);
      await sleep(delay);
      if (options.shouldStop?.()) throw new RetryAborted(error);
    }
  }
}

/** A short description of an error for a log line (postgres.js and kafkajs errors). */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: string }).code;
  return code ? `${error.message} (${code})` : error.message;
}
