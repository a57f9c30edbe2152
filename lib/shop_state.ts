/**
 * The shop's per-process resources beside the producer: the signing secret and the
 * beacon endpoint's rate limiter.
 *
 * @module
 */
import { createRateLimiter, type RateLimiter } from "./rate_limit.ts";
import { loadSecret } from "./secret.ts";

/** What the shop's routes need besides `sql` and `producer`. */
export interface ShopState {
  /** Signs impression ids, form tokens and order receipts. */
  secret: Uint8Array;
  /** Per-client limit on `/api/collect` (30 at once, 10 per second). */
  collectLimiter: RateLimiter;
}

/** Loads the secret and creates the limiter. */
export async function createShopState(): Promise<ShopState> {
  return { secret: await loadSecret(), collectLimiter: createRateLimiter() };
}
