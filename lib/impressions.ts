/**
 * Ad impressions: the server issues a signed id with every ad it renders; the
 * viewability beacon (`banner_show`) and the click (`banner_click`) each present it
 * and each is accepted once. The id is bound to the product and to the visitor it was
 * shown to, and expires after {@linkcode IMPRESSION_TTL_MS}. Consumed ids are kept in
 * Postgres (`consumed_impressions`), so "once" holds across web processes.
 *
 * @module
 */
import { type ParseResult, type Product, PRODUCTS, quote } from "./event.ts";
import type { Queryable } from "./db.ts";
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
): ParseResult<Impression> {
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

/**
 * Marks `uses` of `impression` as consumed; returns the uses that were not consumed
 * before (the ones to count now). Expired rows are pruned now and then.
 */
export async function consumeImpression(
  sql: Queryable,
  impression: Impression,
  uses: readonly ImpressionUse[],
): Promise<Set<ImpressionUse>> {
  const expiresAt = new Date(impression.issuedAt + IMPRESSION_TTL_MS + 60_000);
  const rows = uses.map((use) => ({ nonce: impression.nonce, kind: use, expires_at: expiresAt }));
  const inserted = await sql`
    insert into consumed_impressions ${sql(rows, "nonce", "kind", "expires_at")}
    on conflict do nothing
    returning kind`;
  if (Date.now() - lastCleanup > 10 * 60_000) {
    lastCleanup = Date.now();
    // Not awaited: pruning must not slow the request; an id past its expiry is refused
    // by its own timestamp, so the row is no longer needed.
    sql`delete from consumed_impressions where expires_at < now()`.catch((error) =>
      console.warn(`Cannot prune consumed impressions: ${error.message}`)
    );
  }
  return new Set(inserted.map((row) => row.kind as ImpressionUse));
}
