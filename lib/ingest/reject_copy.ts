/**
 * The bounded copy of a rejected message that `rejected_events` and `<topic>.dlq`
 * keep. A topic whose `max.message.bytes` was raised can carry a message (value, key
 * or headers) far larger than the DLQ or a table row should hold; copied whole, its
 * DLQ send would be refused by the broker forever and stall the partition. So every
 * part is capped, and the whole value is still identified by its size and SHA-256.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { RawMessage } from "./batch.ts";

/** The caps of a {@linkcode RejectCopy}; the largest copy is about 74 KiB. */
export const REJECT_COPY_LIMITS = {
  /** Bytes of the value kept: the size limit of a valid message, so any valid-sized one is whole. */
  valueBytes: 64 * 1024,
  /** Bytes of the key kept (keys are 32-hex user ids). */
  keyBytes: 1024,
  /** Original headers kept, at most. */
  headerCount: 32,
  /** A header whose name is longer (UTF-8 bytes) is dropped: a cut name would mislead. */
  headerNameBytes: 256,
  /** Bytes of one header value kept. */
  headerValueBytes: 1024,
  /** Bytes of all kept header names and values together. */
  headerBytes: 8 * 1024,
} as const;

/** A header value as kafkajs gives and takes it. */
export type HeaderValue = string | Uint8Array;

/** What is kept of a rejected message. */
export interface RejectCopy {
  /** The first {@linkcode REJECT_COPY_LIMITS}.valueBytes of the value (null for a null value). */
  value: Uint8Array | null;
  /** Bytes of the whole original value (0 for a null value). */
  size: number;
  /** Lower-case hex SHA-256 of the whole original value (null for a null value). */
  sha256: string | null;
  /** The key, cut to {@linkcode REJECT_COPY_LIMITS}.keyBytes. */
  key: Uint8Array | null;
  /** The original headers that fit the caps, values cut; repeated names keep their order. */
  headers: [string, HeaderValue][];
  /** Which parts were cut or dropped (empty when the copy is the whole message). */
  truncated: ("value" | "key" | "headers")[];
}

const encoder = new TextEncoder();

/** Makes the bounded copy of `message`; reads the whole value once (for its hash). */
export function copyReject(message: RawMessage): RejectCopy {
  const truncated: RejectCopy["truncated"] = [];
  const { value } = message;
  let copy: Uint8Array | null = null;
  if (value) {
    copy = value.length > REJECT_COPY_LIMITS.valueBytes
      ? value.slice(0, REJECT_COPY_LIMITS.valueBytes)
      : value;
    if (copy !== value) truncated.push("value");
  }
  let key = message.key ?? null;
  if (key && key.length > REJECT_COPY_LIMITS.keyBytes) {
    key = key.slice(0, REJECT_COPY_LIMITS.keyBytes);
    truncated.push("key");
  }
  const headers = boundHeaders(message.headers);
  if (headers.cut) truncated.push("headers");
  return {
    value: copy,
    size: value?.length ?? 0,
    sha256: value ? createHash("sha256").update(value).digest("hex") : null,
    key,
    headers: headers.kept,
    truncated,
  };
}

/** An upper bound of the bytes a copy takes in a record (for sizing DLQ sends). */
export function copyBytes(copy: RejectCopy): number {
  let bytes = (copy.value?.length ?? 0) + (copy.key?.length ?? 0) + 32;
  for (const [name, value] of copy.headers) {
    // A UTF-16 code unit is at most 3 UTF-8 bytes; 10 covers the varint lengths.
    bytes += name.length * 3 + (typeof value === "string" ? value.length * 3 : value.length) + 10;
  }
  return bytes;
}

function boundHeaders(
  headers: Record<string, unknown> | undefined,
): { kept: [string, HeaderValue][]; cut: boolean } {
  const kept: [string, HeaderValue][] = [];
  let cut = false;
  let budget = REJECT_COPY_LIMITS.headerBytes;
  for (const [name, raw] of Object.entries(headers ?? {})) {
    // kafkajs gives a repeated header as an array of its values.
    for (const value of Array.isArray(raw) ? raw : [raw]) {
      if (typeof value !== "string" && !(value instanceof Uint8Array)) {
        if (value !== undefined) cut = true;
        continue;
      }
      const nameBytes = encoder.encode(name).length;
      if (
        kept.length === REJECT_COPY_LIMITS.headerCount ||
        nameBytes > REJECT_COPY_LIMITS.headerNameBytes
      ) {
        cut = true;
        continue;
      }
      const bytes = typeof value === "string" ? encoder.encode(value) : value;
      const room = Math.min(REJECT_COPY_LIMITS.headerValueBytes, budget - nameBytes);
      if (room < 0) {
        cut = true;
        continue;
      }
      if (bytes.length > room) {
        // Cut as bytes (a cut can split a UTF-8 sequence, so it is no string any more).
        kept.push([name, bytes.slice(0, room)]);
        budget -= nameBytes + room;
        cut = true;
      } else {
        kept.push([name, value]);
        budget -= nameBytes + bytes.length;
      }
    }
  }
  return { kept, cut };
}
