/**
 * The shop's per-process resources beside the producer: the signing secret, the
 * impression ledger and the beacon endpoint's rate limiter.
 *
 * @module
 */
import type { Sql } from "./db.ts";
import { ImpressionLedger } from "./impressions.ts";
import { createRateLimiter, type RateLimiter } from "./rate_limit.ts";
import { loadSecret } from "./secret.ts";

/** What the shop's routes need besides `sql` and `producer`. */
export interface ShopState {
  /** Signs impression ids, form tokens and order receipts. */
  secret: Uint8Array;
  /** Consumed impression ids, with group commit. */
  ledger: ImpressionLedger;
  /** Per-client limit on `/api/collect` (30 at once, 10 per second). */
  collectLimiter: RateLimiter;
}

/** Loads the secret and creates the ledger (on the process's pool) and the limiter. */
export async function createShopState(sql: Sql): Promise<ShopState> {
  return {
    secret: await loadSecret(),
    ledger: new ImpressionLedger(sql),
    collectLimiter: createRateLimiter(),
  };
}
