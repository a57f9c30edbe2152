/**
 * Dead-letter messages: the bounded copy of a rejected message (its key, the first
 * 64 KiB of its value and its headers within fixed caps; see reject_copy.ts) plus
 * headers saying why, where it came from, and the whole value's size and SHA-256, so
 * it can be inspected, fixed and replayed. Sent to `<topic>.dlq` after the batch's
 * transaction commits and before its offsets are committed to Kafka: a crash in
 * between sends it again (consumers of the DLQ can de-duplicate on
 * `x-source-partition` + `x-source-offset`).
 *
 * @module
 */
import type { Reject } from "./batch.ts";
import type { HeaderValue } from "./reject_copy.ts";

/** Header names the DLQ adds (the original message's headers are kept too, bounded). */
export const DLQ_HEADERS = {
  reason: "x-reject-reason",
  topic: "x-source-topic",
  partition: "x-source-partition",
  offset: "x-source-offset",
  rejectedAt: "x-rejected-at",
  /** Bytes of the whole original value. */
  size: "x-original-size",
  /** Hex SHA-256 of the whole original value (absent for a null value). */
  sha256: "x-original-sha256",
  /** What was cut to fit (`value`, `key`, `headers`, comma separated); absent when nothing. */
  truncated: "x-truncated",
} as const;

/** A message as the kafkajs producer takes it. */
export interface DlqMessage {
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: Record<string, HeaderValue | HeaderValue[]>;
}

/** Builds the DLQ messages for the rejects of one partition's batch (bounded copies). */
export function dlqMessages(
  topic: string,
  partition: number,
  rejects: readonly Reject[],
  now = new Date(),
): DlqMessage[] {
  return rejects.map(({ offset, reason, copy }) => {
    const headers: Record<string, HeaderValue | HeaderValue[]> = {};
    for (const [name, value] of copy.headers) {
      const seen = headers[name];
      if (seen === undefined) headers[name] = value;
      else headers[name] = Array.isArray(seen) ? [...seen, value] : [seen, value];
    }
    headers[DLQ_HEADERS.reason] = reason;
    headers[DLQ_HEADERS.topic] = topic;
    headers[DLQ_HEADERS.partition] = String(partition);
    headers[DLQ_HEADERS.offset] = offset;
    headers[DLQ_HEADERS.rejectedAt] = now.toISOString();
    headers[DLQ_HEADERS.size] = String(copy.size);
    if (copy.sha256) headers[DLQ_HEADERS.sha256] = copy.sha256;
    else delete headers[DLQ_HEADERS.sha256];
    if (copy.truncated.length > 0) headers[DLQ_HEADERS.truncated] = copy.truncated.join(",");
    else delete headers[DLQ_HEADERS.truncated];
    return { key: copy.key, value: copy.value, headers };
  });
}
