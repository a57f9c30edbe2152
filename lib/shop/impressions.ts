/**
 * Ad impressions: the server issues a signed id with every ad it renders; the
 * viewability beacon (`banner_show`) and the click (`banner_click`) each present it
 * and each is accepted once. The id is bound to the product and to the visitor it was
 * shown to, and expires after {@linkcode IMPRESSION_TTL_MS}. Consumed ids are kept in
 * Postgres (`consumed_impressions`), so "once" holds across web processes.
 *
 * @module
 */
import { type Product, PRODUCTS, quote } from "../core/event.ts";
import type { Result } from "../core/result.ts";
import type { Sql } from "../db/client.ts";
import { GroupCommit, type GroupCommitOptions } from "../core/group_commit.ts";
import { sign, verify } from "./signing.ts";

/** How long an impression can be reported or clicked after it was issued. */
export const IMPRESSION_TTL_MS = 24 * 60 * 60 * 1000;

/** What a visitor did with an impression; each is accepted once per impression. */
export type ImpressionUse = "show" | "click";

/** A verified impression. */
export interface Impression {
  /** 16 random hex digits: the impression's identity. */
  nonce: string;
  product: Product;
  /** When it was issued (ms since the epoch, second precision). */
  issuedAt: number;
}

const FORMAT = /^([0-9a-f]{16})\.([a-z_]{1,40})\.([0-9a-z]{1,12})\.([0-9a-f]{32})$/;

/** Issues an impression id for `product` shown to `userId`: `nonce.product.time.signature`. */
export function issueImpression(
  secret: Uint8Array,
  options: { product: Product; userId: string; now?: number },
): string {
  const nonce = crypto.randomUUID().replaceAll("-", "").slice(0, 16);
  const issued = Math.floor((options.now ?? Date.now()) / 1000).toString(36);
  const signature = sign(secret, ["impression", nonce, options.product, issued, options.userId]);
  return `${nonce}.${options.product}.${issued}.${signature}`;
}

/**
 * Checks an impression id presented by `userId`: well formed, signed by this server for
 * this visitor, not expired. Returns the impression or the reason it is refused.
 */
export function verifyImpression(
  secret: Uint8Array,
  id: unknown,
  options: { userId: string | undefined; now?: number },
): Result<Impression> {
  if (typeof id !== "string" || id === "") return { ok: false, reason: "missing impression id" };
  const match = FORMAT.exec(id);
  if (!match) return { ok: false, reason: `malformed impression id ${quote(id)}` };
  const [, nonce, product, issued, signature] = match;
  if (!(PRODUCTS as readonly string[]).includes(product)) {
    return { ok: false, reason: `unknown product in impression id ${quote(id)}` };
  }
  if (!options.userId) {
    return { ok: false, reason: "no visitor cookie: an impression counts only for its visitor" };
  }
  if (!verify(secret, ["impression", nonce, product, issued, options.userId], signature)) {
    return {
      ok: false,
      reason: "impression id not signed by this server for this visitor",
    };
  }
  const issuedAt = parseInt(issued, 36) * 1000;
  const now = options.now ?? Date.now();
  if (issuedAt > now + 60_000) return { ok: false, reason: "impression id issued in the future" };
  if (now - issuedAt > IMPRESSION_TTL_MS) return { ok: false, reason: "impression id expired" };
  return { ok: true, value: { nonce, product: product as Product, issuedAt } };
}

let lastCleanup = 0;

/** One request to consume: an impression and the uses to count. */
export interface Consumption {
  impression: Impression;
  uses: readonly ImpressionUse[];
}

/**
 * Marks the uses of several impressions as consumed in one statement (one commit);
 * returns, for each request in order, the uses that were not consumed before (the
 * ones to count now). When two requests in the batch name the same use, the first
 * gets it. Expired rows are pruned now and then.
 */
export async function consumeImpressions(
  sql: Sql,
  requests: readonly Consumption[],
): Promise<Set<ImpressionUse>[]> {
  const rows = requests.flatMap(({ impression, uses }) => {
    const expiresAt = new Date(impression.issuedAt + IMPRESSION_TTL_MS + 60_000);
    return uses.map((use) => ({ nonce: impression.nonce, kind: use, expires_at: expiresAt }));
  });
  if (rows.length === 0) return requests.map(() => new Set());
  const inserted = await sql.begin(async (tx) => {
    // Pages must not wait for a WAL flush (fsync) per click. The cost: if Postgres
    // itself crashes, ids consumed in its last fraction of a second are forgotten, and
    // a replay of one of them in that window would count again.
    await tx`set local synchronous_commit = off`;
    return await tx`
      insert into consumed_impressions ${tx(rows, "nonce", "kind", "expires_at")}
      on conflict do nothing
      returning nonce, kind`;
  });
  const fresh = new Set(inserted.map((row) => `${row.nonce}:${row.kind}`));
  const results = requests.map(({ impression, uses }) => {
    const granted = new Set<ImpressionUse>();
    for (const use of uses) {
      const key = `${impression.nonce}:${use}`;
      if (fresh.delete(key)) granted.add(use);
    }
    return granted;
  });
  if (Date.now() - lastCleanup > 10 * 60_000) {
    lastCleanup = Date.now();
    // Not awaited: pruning must not slow the request; an id past its expiry is refused
    // by its own timestamp, so the row is no longer needed.
    sql`delete from consumed_impressions where expires_at < now()`.catch((error) =>
      console.warn(`Cannot prune consumed impressions: ${error.message}`)
    );
  }
  return results;
}

/**
 * Consumes impressions with group commit (lib/core/group_commit.ts): requests that arrive
 * while a statement is running go together in the next one.
 */
export class ImpressionLedger {
  readonly #batches: GroupCommit<Consumption, Set<ImpressionUse>>;

  /** `maxRunning` statements at once (default 2), each with up to `maxBatch` requests (500). */
  constructor(sql: Sql, options: GroupCommitOptions = {}) {
    this.#batches = new GroupCommit((batch) => consumeImpressions(sql, batch), options);
  }

  /** Consumes `uses` of `impression`; resolves to the uses not consumed before. */
  consume(impression: Impression, uses: readonly ImpressionUse[]): Promise<Set<ImpressionUse>> {
    return this.#batches.submit({ impression, uses });
  }
}
