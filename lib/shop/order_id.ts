/**
 * The shop's `order_id`s: UUIDv7 (RFC 9562), a 48-bit Unix millisecond timestamp
 * followed by random bits, written as the event contract's 32 hex digits. Ids made
 * one after another sort one after another, so the `events` key index takes each new
 * id at its right-hand edge (a few hot pages) instead of at a random page of the
 * whole index, which is what slowed ingest as the table grew (issue 13).
 *
 * @module
 */
import { UUID, uuidv7 } from "uuidv7";

/**
 * A fresh time-ordered `order_id` (32 lowercase hex digits, no dashes). Within one
 * process, ids are strictly increasing even inside one millisecond (the package keeps
 * a counter in the random bits), and 74 random bits keep processes from colliding.
 */
export function newOrderId(): string {
  return uuidv7().replaceAll("-", "");
}

/**
 * The millisecond timestamp a UUIDv7 `order_id` carries (32 hex digits, dashes
 * optional), or `undefined` when the id is not version 7 (random ids from files).
 */
export function orderIdTime(id: string): Date | undefined {
  const hex = id.replaceAll("-", "").toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) return undefined;
  const uuid = UUID.parse(hex);
  if (uuid.getVariant() !== "VAR_10" || uuid.getVersion() !== 7) return undefined;
  return new Date(parseInt(hex.slice(0, 12), 16));
}
