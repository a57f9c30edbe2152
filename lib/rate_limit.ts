/**
 * Per-client rate limiting: a token bucket per key (the client's address), kept in
 * memory with a bounded number of keys. One web process, one limiter: several
 * processes each apply the limit on their own.
 *
 * @module
 */

/** Options for {@linkcode createRateLimiter}. */
export interface RateLimitOptions {
  /** Requests allowed at once (the bucket's size); default 30. */
  burst?: number;
  /** Requests per second refilled; default 10. */
  perSecond?: number;
  /** Keys remembered; the least recently seen are forgotten first; default 10,000. */
  maxKeys?: number;
  /** The clock (tests pass their own); default `Date.now`. */
  now?: () => number;
}

/** Takes one token for `key`; returns false when the client is over its limit. */
export type RateLimiter = (key: string) => boolean;

/** Creates a token-bucket limiter; see {@linkcode RateLimitOptions} for the defaults. */
export function createRateLimiter(options: RateLimitOptions = {}): RateLimiter {
  const burst = options.burst ?? 30;
  const perMs = (options.perSecond ?? 10) / 1000;
  const maxKeys = options.maxKeys ?? 10_000;
  const now = options.now ?? Date.now;
  // A Map iterates in insertion order: re-inserting on use keeps it ordered by recency.
  const buckets = new Map<string, { tokens: number; at: number }>();
  return function takeToken(key: string): boolean {
    const time = now();
    const bucket = buckets.get(key) ?? { tokens: burst, at: time };
    buckets.delete(key);
    bucket.tokens = Math.min(burst, bucket.tokens + (time - bucket.at) * perMs);
    bucket.at = time;
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    buckets.set(key, bucket);
    if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value!);
    return allowed;
  };
}
