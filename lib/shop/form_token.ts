/**
 * The order form's token: `<nonce>.<issued>.<signature>`, 16 random hex digits, the
 * issue time (seconds, base 36) and an HMAC over both and the visitor's `user_id`. It
 * proves the form was rendered by this server to this visitor (cross-site protection)
 * and, through its nonce, places one order only: the nonce is recorded when an order
 * is placed with it (lib/shop/form_token_ledger.ts). It expires after
 * {@linkcode FORM_TOKEN_TTL_MS}, so recorded nonces can be pruned.
 *
 * @module
 */
import { quote } from "../core/event.ts";
import type { Result } from "../core/result.ts";
import { sign, verify } from "./signing.ts";

/** How long an order form can be sent after it was rendered. */
export const FORM_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;

/** A verified form token. */
export interface FormToken {
  /** 16 random hex digits: the token's identity, recorded once used. */
  nonce: string;
  /** When it was issued (ms since the epoch, second precision). */
  issuedAt: number;
}

const FORMAT = /^([0-9a-f]{16})\.([0-9a-z]{1,12})\.([0-9a-f]{32})$/;
/** Longest well-formed token; anything longer is refused before it is parsed. */
const MAX_LENGTH = 16 + 1 + 12 + 1 + 32;

/** Issues a form token for `userId`. */
export function issueFormToken(
  secret: Uint8Array,
  options: { userId: string; now?: number },
): string {
  const nonce = crypto.randomUUID().replaceAll("-", "").slice(0, 16);
  const issued = Math.floor((options.now ?? Date.now()) / 1000).toString(36);
  return `${nonce}.${issued}.${sign(secret, ["order-form", nonce, issued, options.userId])}`;
}

/**
 * Checks a form token presented by `userId`: well formed, signed by this server for
 * this visitor, not expired. Returns the token or the reason it is refused.
 */
export function verifyFormToken(
  secret: Uint8Array,
  token: unknown,
  options: { userId: string; now?: number },
): Result<FormToken> {
  if (typeof token !== "string" || token === "") {
    return { ok: false, reason: "missing form token: reload the page and try again" };
  }
  const match = token.length <= MAX_LENGTH ? FORMAT.exec(token) : null;
  if (!match) {
    return {
      ok: false,
      reason: `malformed form token ${quote(token)}: reload the page and try again`,
    };
  }
  const [, nonce, issued, signature] = match;
  if (!verify(secret, ["order-form", nonce, issued, options.userId], signature)) {
    return { ok: false, reason: "invalid form token: reload the page and try again" };
  }
  const issuedAt = parseInt(issued, 36) * 1000;
  const now = options.now ?? Date.now();
  if (issuedAt > now + 60_000) return { ok: false, reason: "form token issued in the future" };
  if (now - issuedAt > FORM_TOKEN_TTL_MS) {
    return { ok: false, reason: "the form has expired: reload the page and try again" };
  }
  return { ok: true, value: { nonce, issuedAt } };
}
