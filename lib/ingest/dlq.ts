/**
 * Dead-letter messages: a rejected message's original key, bytes and headers, plus
 * headers saying why and where it came from, so it can be inspected, fixed and
 * replayed. Sent to `<topic>.dlq` after the batch's transaction commits and before
 * its offsets are committed to Kafka: a crash in between sends it again (consumers of
 * the DLQ can de-duplicate on `x-source-partition` + `x-source-offset`).
 *
 * @module
 */
import type { Reject } from "./batch.ts";

/** Header names the DLQ adds (the original message's headers are kept too). */
export const DLQ_HEADERS = {
  reason: "x-reject-reason",
  topic: "x-source-topic",
  partition: "x-source-partition",
  offset: "x-source-offset",
  rejectedAt: "x-rejected-at",
} as const;

/** A message as the kafkajs producer takes it. */
export interface DlqMessage {
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: Record<string, string | Uint8Array>;
}

/** Builds the DLQ messages for the rejects of one partition's batch. */
export function dlqMessages(
  topic: string,
  partition: number,
  rejects: readonly Reject[],
  now = new Date(),
): DlqMessage[] {
  return rejects.map(({ offset, reason, message }) => {
    const headers: Record<string, string | Uint8Array> = {};
    for (const [name, value] of Object.entries(message.headers ?? {})) {
      if (typeof value === "string" || value instanceof Uint8Array) headers[name] = value;
    }
    headers[DLQ_HEADERS.reason] = reason;
    headers[DLQ_HEADERS.topic] = topic;
    headers[DLQ_HEADERS.partition] = String(partition);
    headers[DLQ_HEADERS.offset] = offset;
    headers[DLQ_HEADERS.rejectedAt] = now.toISOString();
    return { key: message.key ?? null, value: message.value, headers };
  });
}
