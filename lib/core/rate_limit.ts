/**
 * Per-client rate limiting: a token bucket per key (the client's address, a visitor…),
 * kept in memory with a bounded number of keys. One web process, one limiter: several
 * processes each apply the limit on their own.
 *
 * @module
 */

/** Options for {@linkcode createRateLimiter} and {@linkcode TokenBuckets}. */
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

/**
 * Token buckets by key, with the two steps apart so that several limits (a visitor's
 * and its address's) can be checked first and charged only when all allow.
 */
export class TokenBuckets {
  readonly #burst: number;
  readonly #perMs: number;
  readonly #maxKeys: number;
  readonly #now: () => number;
  // A Map iterates in insertion order: re-inserting on use keeps it ordered by recency.
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  /** See {@linkcode RateLimitOptions} for the defaults. */
  constructor(options: RateLimitOptions = {}) {
    this.#burst = options.burst ?? 30;
    this.#perMs = (options.perSecond ?? 10) / 1000;
    this.#maxKeys = options.maxKeys ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Milliseconds until `key` has a token: 0 when it has one now. */
  waitMs(key: string): number {
    const bucket = this.#refill(key);
    return bucket.tokens >= 1 ? 0 : Math.ceil((1 - bucket.tokens) / this.#perMs);
  }

  /** Takes one token from `key` (check {@linkcode waitMs} first; never goes below 0). */
  take(key: string): void {
    const bucket = this.#refill(key);
    bucket.tokens = Math.max(0, bucket.tokens - 1);
  }

  /** Keys remembered now (at most `maxKeys`). */
  get size(): number {
    return this.#buckets.size;
  }

  #refill(key: string): { tokens: number; at: number } {
    const time = this.#now();
    const bucket = this.#buckets.get(key) ?? { tokens: this.#burst, at: time };
    this.#buckets.delete(key);
    bucket.tokens = Math.min(this.#burst, bucket.tokens + (time - bucket.at) * this.#perMs);
    bucket.at = time;
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > this.#maxKeys) {
      this.#buckets.delete(this.#buckets.keys().next().value!);
    }
    return bucket;
  }
}

/** Creates a token-bucket limiter; see {@linkcode RateLimitOptions} for the defaults. */
export function createRateLimiter(options: RateLimitOptions = {}): RateLimiter {
  const buckets = new TokenBuckets(options);
  return function takeToken(key: string): boolean {
    if (buckets.waitMs(key) > 0) return false;
    buckets.take(key);
    return true;
  };
}
