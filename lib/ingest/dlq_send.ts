/**
 * Sending a batch's rejects to `<topic>.dlq` so that no message can stall its
 * partition. Failures come in two classes:
 *
 * - **permanent**: the broker refused these bytes and always will (the copy is larger
 *   than the DLQ topic's `max.message.bytes`, the record is invalid, the worker may
 *   not write the topic). Retrying would stop the partition for good, so the reject
 *   is reported back (the worker writes the reason to `rejected_events.dlq_error`,
 *   whose row and bounded raw copy are then the only record) and skipped;
 * - **transient**: anything else (broker down, leader election, timeouts): retried
 *   with backoff capped at 5 s until it succeeds or the batch is given up (shutdown,
 *   rebalance), never skipped, so nothing is lost.
 *
 * Sends are split so one send stays far below the broker's default 1 MiB batch limit
 * (each copy is at most about 74 KiB); when a send of several is refused, each is sent
 * alone, so only the ones at fault are skipped.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { DlqRefusal } from "./batch.ts";
import type { DlqMessage } from "./dlq.ts";
import { describeError, retryWithBackoff } from "../core/retry.ts";

/**
 * Broker error types (kafkajs's `type`) that the same message will always get again.
 * kafkajs marks most of them non-retriable; CORRUPT_MESSAGE it retries (a CRC error
 * could be the network's), but for a produce it means the record itself is refused
 * (e.g. too large for the log segment). Types such as BROKER_NOT_AVAILABLE or
 * REBALANCE_IN_PROGRESS are non-retriable for kafkajs yet pass: they stay transient.
 */
export const PERMANENT_SEND_ERRORS: ReadonlySet<string> = new Set([
  "MESSAGE_TOO_LARGE",
  "RECORD_LIST_TOO_LARGE",
  "INVALID_RECORD",
  "CORRUPT_MESSAGE",
  "INVALID_TOPIC_EXCEPTION",
  "TOPIC_AUTHORIZATION_FAILED",
  "CLUSTER_AUTHORIZATION_FAILED",
]);

/**
 * The broker's error type when `error` (or an error it wraps: kafkajs's retrier wraps
 * the broker's error in `KafkaJSNonRetriableError` or `KafkaJSNumberOfRetriesExceeded`)
 * is one of {@linkcode PERMANENT_SEND_ERRORS}; undefined for a transient failure.
 */
export function permanentSendError(error: unknown): string | undefined {
  let current = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const type = (current as { type?: unknown }).type;
    if (typeof type === "string" && PERMANENT_SEND_ERRORS.has(type)) return type;
    current = current.cause;
  }
  return undefined;
}

/** One reject to send: its source offset and its DLQ message. */
export interface DlqEntry {
  offset: string;
  message: DlqMessage;
  /** An upper bound of its size in bytes (reject_copy.ts `copyBytes`). */
  bytes: number;
}

/** Options for {@linkcode sendToDlq}. */
export interface DlqSendOptions {
  /** Produces messages to the DLQ topic (the worker's producer, heartbeating meanwhile). */
  send: (messages: KafkaMessage[]) => Promise<unknown>;
  /** Checked between retries: true gives the batch up (RetryAborted). */
  shouldStop: () => boolean;
  /** Called after each transient failure (log it; heartbeat). */
  onRetry: (error: unknown, attempt: number, delayMs: number) => void | Promise<void>;
  /** Bytes per send at most (one copy always goes); default 256 KiB. */
  maxSendBytes?: number;
}

/** A message in kafkajs's producer shape. */
export interface KafkaMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string | Buffer | (string | Buffer)[]>;
}

/**
 * Sends `entries` to the DLQ; resolves with the ones the broker refused for good (and
 * why) once every other one is sent. Throws `RetryAborted` when `shouldStop` says so.
 */
export async function sendToDlq(
  entries: readonly DlqEntry[],
  options: DlqSendOptions,
): Promise<DlqRefusal[]> {
  const maxBytes = options.maxSendBytes ?? 256 * 1024;
  const refused: DlqRefusal[] = [];
  /** Sends `group`, retrying transient failures; returns the permanent error, if any. */
  const attempt = (group: readonly DlqEntry[]) =>
    retryWithBackoff(async () => {
      try {
        await options.send(group.map((entry) => toKafka(entry.message)));
        return undefined;
      } catch (error) {
        if (permanentSendError(error)) return error;
        throw error;
      }
    }, { shouldStop: options.shouldStop, onRetry: options.onRetry });
  for (const group of groupBySize(entries, maxBytes)) {
    const error = await attempt(group);
    if (error === undefined) continue;
    if (group.length === 1) {
      refused.push({ offset: group[0].offset, error: describeSendError(error) });
      continue;
    }
    for (const entry of group) {
      const alone = await attempt([entry]);
      if (alone !== undefined) {
        refused.push({ offset: entry.offset, error: describeSendError(alone) });
      }
    }
  }
  return refused;
}

/** `MESSAGE_TOO_LARGE: The request included a message larger than …` for a broker error. */
export function describeSendError(error: unknown): string {
  let current = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const type = (current as { type?: unknown }).type;
    if (typeof type === "string") return `${type}: ${current.message}`;
    current = current.cause;
  }
  return describeError(error);
}

function groupBySize(entries: readonly DlqEntry[], maxBytes: number): DlqEntry[][] {
  const groups: DlqEntry[][] = [];
  let group: DlqEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (group.length > 0 && bytes + entry.bytes > maxBytes) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(entry);
    bytes += entry.bytes;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

function toKafka(message: DlqMessage): KafkaMessage {
  const buffer = (value: string | Uint8Array) =>
    typeof value === "string" ? value : Buffer.from(value.buffer, value.byteOffset, value.length);
  const headers: KafkaMessage["headers"] = {};
  for (const [name, value] of Object.entries(message.headers)) {
    headers[name] = Array.isArray(value) ? value.map(buffer) : buffer(value);
  }
  return {
    key: message.key
      ? Buffer.from(message.key.buffer, message.key.byteOffset, message.key.length)
      : null,
    value: message.value
      ? Buffer.from(message.value.buffer, message.value.byteOffset, message.value.length)
      : null,
    headers,
  };
}
