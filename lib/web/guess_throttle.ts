/**
 * Throttles guesses of the dashboard token per client address: a token bucket that
 * only wrong guesses drain (a person who mistypes a few times is never slowed, a
 * script guessing is held to a trickle), checked before the guess is compared, so an
 * address over its limit learns nothing from further tries. Kept in memory per web
 * process with a bounded number of addresses.
 *
 * @module
 */

/** Options for {@linkcode createGuessThrottle}. */
export interface GuessThrottleOptions {
  /** Wrong guesses allowed at once; default 10. */
  burst?: number;
  /** Wrong guesses per minute refilled after that; default 10 (one per 6 s). */
  perMinute?: number;
  /** Addresses remembered; the least recently seen are forgotten first; default 10,000. */
  maxKeys?: number;
  /** The clock (tests pass their own); default `Date.now`. */
  now?: () => number;
}

/** Per-address guess accounting. */
export interface GuessThrottle {
  /** Seconds until `key` may guess again; 0 when it may now. */
  retryAfter(key: string): number;
  /** Counts one wrong guess by `key`. */
  failed(key: string): void;
}

/** Creates a throttle; see {@linkcode GuessThrottleOptions} for the defaults. */
export function createGuessThrottle(options: GuessThrottleOptions = {}): GuessThrottle {
  const burst = options.burst ?? 10;
  const perMs = (options.perMinute ?? 10) / 60_000;
  const maxKeys = options.maxKeys ?? 10_000;
  const now = options.now ?? Date.now;
  // A Map iterates in insertion order: re-inserting on use keeps it ordered by recency.
  const buckets = new Map<string, { tokens: number; at: number }>();
  const refill = (key: string) => {
    const time = now();
    const bucket = buckets.get(key);
    if (!bucket) return undefined;
    bucket.tokens = Math.min(burst, bucket.tokens + (time - bucket.at) * perMs);
    bucket.at = time;
    if (bucket.tokens >= burst) {
      buckets.delete(key); // full again: nothing left to remember
      return undefined;
    }
    return bucket;
  };
  return {
    retryAfter(key) {
      const bucket = refill(key);
      if (!bucket || bucket.tokens >= 1) return 0;
      return Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
    },
    failed(key) {
      const bucket = refill(key) ?? { tokens: burst, at: now() };
      bucket.tokens = Math.max(0, bucket.tokens - 1);
      buckets.delete(key);
      buckets.set(key, bucket);
      if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value!);
    },
  };
}
