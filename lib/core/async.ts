/**
 * Waiting, for every step of the flow: a sleep, and a deadline on a promise.
 *
 * @module
 */

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What {@linkcode withTimeout} rejects with; `code` is stable for callers that classify errors. */
export class TimeoutError extends Error {
  /** Always `TIMEOUT`. */
  readonly code = "TIMEOUT";
  constructor(message: string) {
    super(message);
    this.name = "TimeoutError";
  }
}

/**
 * `promise`, or a {@linkcode TimeoutError} (`"<what> took longer than <ms> ms"`) when it
 * has not settled after `ms`. The promise itself is left to settle unobserved: a late
 * rejection is not reported as unhandled.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  promise.catch(() => {});
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
