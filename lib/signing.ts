/**
 * HMAC-SHA256 signatures over a few string parts, truncated to 128 bits and written as
 * 32 hex digits: what impression ids, form tokens and order receipts carry.
 *
 * @module
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** Signs `parts` (joined with a separator no part may contain) with `secret`. */
export function sign(secret: Uint8Array, parts: readonly string[]): string {
  for (const part of parts) {
    if (part.includes("\n")) {
      throw new Error(`Cannot sign ${JSON.stringify(part)}: it has a newline`);
    }
  }
  return createHmac("sha256", secret).update(parts.join("\n")).digest("hex").slice(0, 32);
}

/** True when `signature` is {@linkcode sign}'s output for `parts`, compared in constant time. */
export function verify(secret: Uint8Array, parts: readonly string[], signature: string): boolean {
  if (!/^[0-9a-f]{32}$/.test(signature)) return false;
  const expected = new TextEncoder().encode(sign(secret, parts));
  return timingSafeEqual(expected, new TextEncoder().encode(signature));
}
