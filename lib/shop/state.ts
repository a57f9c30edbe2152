/**
 * The shop's per-process resources beside the producer: the signing secret, the
 * impression and form-token ledgers, and the limits on what one client can make count.
 *
 * @module
 */
import type { Sql } from "../db/client.ts";
import { FormTokenLedger } from "./form_token_ledger.ts";
import { ImpressionLedger } from "./impressions.ts";
import { ShopLimits, type ShopLimitsConfig } from "./limits.ts";
import { readSecret } from "./secret.ts";

/** What the shop's routes need besides `sql` and `producer`. */
export interface ShopState {
  /** Signs visitor cookies, impression ids, form tokens and order receipts. */
  secret: Uint8Array;
  /** Consumed impression ids, with group commit. */
  ledger: ImpressionLedger;
  /** Used order-form tokens, with group commit. */
  formTokens: FormTokenLedger;
  /** Per-visitor and per-address limits, the beacon's flood limit, and their counts. */
  limits: ShopLimits;
}

/** Options for {@linkcode createShopState}: the configuration's shop settings. */
export interface ShopStateOptions {
  limits: ShopLimitsConfig;
  /** `IMPRESSION_SECRET`; undefined: the machine's generated secret. */
  secret?: string;
}

/** Reads the secret and creates the ledgers (on the process's pool) and the limits. */
export async function createShopState(sql: Sql, options: ShopStateOptions): Promise<ShopState> {
  const { limits } = options;
  return {
    secret: await readSecret(options.secret),
    ledger: new ImpressionLedger(sql),
    formTokens: new FormTokenLedger(sql),
    limits: new ShopLimits(limits),
  };
}
