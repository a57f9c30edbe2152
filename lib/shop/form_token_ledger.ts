/**
 * Used order-form tokens, in Postgres (`consumed_form_tokens`, migration 009), so that
 * "one form, one order" holds across any number of web processes. Claims go through
 * group commit like the impression ledger, but with the default (synchronous) commit:
 * orders are few, and a claim forgotten by a Postgres crash would let a form place a
 * second order.
 *
 * @module
 */
import type { Sql } from "../db/client.ts";
import type { Product } from "../core/event.ts";
import { FORM_TOKEN_TTL_MS, type FormToken } from "./form_token.ts";
import { GroupCommit, type GroupCommitOptions } from "../core/group_commit.ts";

/** A claim: the token and the order it would place. */
export interface TokenClaim {
  token: FormToken;
  orderId: string;
  product: Product;
}

/** Granted, or the order the token already placed. */
export type ClaimResult =
  | { claimed: true }
  | { claimed: false; first: { orderId: string; product: Product } | undefined };

let lastCleanup = 0;

/**
 * Records several claims in one transaction; returns, for each in order, whether it
 * is the token's first use. When two claims in the batch name the same token, the
 * first gets it.
 */
export async function claimFormTokens(
  sql: Sql,
  claims: readonly TokenClaim[],
): Promise<ClaimResult[]> {
  if (claims.length === 0) return [];
  const rows = claims.map((claim) => ({
    nonce: claim.token.nonce,
    order_id: claim.orderId,
    product: claim.product,
    expires_at: new Date(claim.token.issuedAt + FORM_TOKEN_TTL_MS + 60_000),
  }));
  const { inserted, earlier } = await sql.begin(async (tx) => {
    const inserted = await tx`
      insert into consumed_form_tokens ${tx(rows, "nonce", "order_id", "product", "expires_at")}
      on conflict do nothing
      returning nonce, replace(order_id::text, '-', '') as order_id`;
    const insertedNonces = new Set(inserted.map((row) => row.nonce as string));
    const others = rows.map((row) => row.nonce).filter((nonce) => !insertedNonces.has(nonce));
    const earlier = others.length === 0 ? [] : await tx`
      select nonce, replace(order_id::text, '-', '') as order_id, product
      from consumed_form_tokens where nonce in ${tx(others)}`;
    return { inserted, earlier };
  });
  // A claim won only if its own order id went in (a duplicate in the batch did not).
  const won = new Map(inserted.map((row) => [row.nonce as string, row.order_id as string]));
  const firsts = new Map<string, { orderId: string; product: Product }>(
    earlier.map((row) => [row.nonce, { orderId: row.order_id, product: row.product }]),
  );
  const results = claims.map((claim): ClaimResult => {
    const nonce = claim.token.nonce;
    if (won.get(nonce) === claim.orderId) return { claimed: true };
    const winner = won.get(nonce);
    const first = winner !== undefined
      ? { orderId: winner, product: claims.find((c) => c.orderId === winner)!.product }
      : firsts.get(nonce);
    return { claimed: false, first };
  });
  if (Date.now() - lastCleanup > 10 * 60_000) {
    lastCleanup = Date.now();
    // Not awaited: an expired token is refused by its own timestamp, so its row is no
    // longer needed.
    sql`delete from consumed_form_tokens where expires_at < now()`.catch((error) =>
      console.warn(`Cannot prune used form tokens: ${error.message}`)
    );
  }
  return results;
}

/** Claims form tokens with group commit; releases a claim whose order could not be sent. */
export class FormTokenLedger {
  readonly #sql: Sql;
  readonly #batches: GroupCommit<TokenClaim, ClaimResult>;

  /** See {@linkcode GroupCommitOptions} for the defaults. */
  constructor(sql: Sql, options: GroupCommitOptions = {}) {
    this.#sql = sql;
    this.#batches = new GroupCommit((batch) => claimFormTokens(sql, batch), options);
  }

  /** Records that `claim.token` places `claim.orderId`, unless it placed an order before. */
  claim(claim: TokenClaim): Promise<ClaimResult> {
    return this.#batches.submit(claim);
  }

  /**
   * Forgets a claim whose order was never sent (the producer dropped it), so the
   * visitor can send the same form again.
   */
  async release(claim: TokenClaim): Promise<void> {
    await this.#sql`
      delete from consumed_form_tokens
      where nonce = ${claim.token.nonce} and order_id = ${claim.orderId}::uuid`;
  }
}
