/**
 * One consumed batch of one partition: split the messages into valid events and
 * rejects (pure), then store everything in one Postgres transaction — events and
 * rollups, the partition's next offset, the rejects, and the live NOTIFY — so either
 * all of it is visible or none of it is.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { Sql, Tx } from "../db/client.ts";
import { type EcommerceEvent, parseEventMessage, type TimeBound } from "../core/event.ts";
import { encodeLiveUpdate, liveChannel } from "../live/notify.ts";
import { TICKER_LENGTH } from "../live/protocol.ts";
import {
  copyNewEvents,
  isCopyConflict,
  type MinuteDelta,
  storeEvents,
  type StoreResult,
} from "../rollups/store.ts";
import { forgetPartitionsOn, prepareEvents } from "../rollups/partitions.ts";
import { copyReject, type RejectCopy } from "./reject_copy.ts";

/** The parts of a Kafka message the worker reads (kafkajs's and others' shapes fit). */
export interface RawMessage {
  /** Offset as a decimal string (Kafka offsets are 64-bit). */
  offset: string;
  key?: Uint8Array | null;
  value: Uint8Array | null;
  headers?: Record<string, unknown>;
}

/** A message that failed validation. */
export interface Reject {
  offset: string;
  reason: string;
  /** The message as consumed (whole: only for this batch's lifetime). */
  message: RawMessage;
  /** What the DLQ and `rejected_events` keep of it (bounded, with size and hash). */
  copy: RejectCopy;
}

/** The result of {@linkcode splitBatch}. */
export interface SplitBatch {
  /** Valid events, in offset order. */
  events: EcommerceEvent[];
  rejects: Reject[];
}

/**
 * Parses every message of a batch; never throws on bad input. `bound` is the latest
 * event time accepted (the worker's clock plus `ANALYTICS_MAX_FUTURE`).
 */
export function splitBatch(messages: readonly RawMessage[], bound: TimeBound): SplitBatch {
  const events: EcommerceEvent[] = [];
  const rejects: Reject[] = [];
  for (const message of messages) {
    const result = parseEventMessage(message.value, bound);
    if (result.ok) events.push(result.value);
    else {
      const copy = copyReject(message);
      rejects.push({ offset: message.offset, reason: result.reason, message, copy });
    }
  }
  return { events, rejects };
}

/** What {@linkcode commitBatch} writes. */
export interface BatchInput {
  topic: string;
  partition: number;
  /** The offset after the batch's last message (what Kafka will be committed to). */
  nextOffset: string;
  /** The partition's end offset as the fetch saw it (for lag). */
  highWatermark?: string;
  events: readonly EcommerceEvent[];
  rejects: readonly Reject[];
  /** `ANALYTICS_TZ`: the daily rollup's calendar. */
  timeZone: string;
  /**
   * Postgres cancels any statement of the transaction still running after this long
   * (`statement_timeout`, local to the transaction), so a batch blocked on a lock gives
   * its backend back by itself instead of waiting beside its retry; default none.
   */
  statementTimeoutMs?: number;
  /** Told the transaction's backend pid first thing (so a caller can end a hung one). */
  onBackend?: (pid: number) => void;
}

/** What one committed batch changed. */
export interface BatchOutcome {
  /** Events newly stored (valid events minus duplicates). */
  inserted: number;
  /** Per-minute deltas of the stored events. */
  deltas: MinuteDelta[];
  /** Rejects newly recorded (a redelivered batch records none again). */
  rejected: number;
  /** Newest event time among the batch's valid events, if any. */
  newestEventTime?: string;
}

/**
 * Stores one batch in one transaction. Safe to repeat with the same input (after a
 * crash or a rebalance): duplicates add nothing, offsets only move forward, rejects
 * are keyed by (topic, partition, offset).
 */
export async function commitBatch(sql: Sql, input: BatchInput): Promise<BatchOutcome> {
  // The months' partitions first, outside the transaction (creating one locks the
  // parent table); events of months retention dropped are left out (counted long ago).
  const prepared = await prepareEvents(sql, input.events);
  // Sorted by order_id, concurrent batches that share ids (a redelivery racing the
  // previous owner after a rebalance) take the unique index's locks in the same order,
  // which avoids most deadlocks; the rest are retried by the caller.
  const events = prepared.events.sort((a, b) =>
    a.order_id < b.order_id ? -1 : a.order_id > b.order_id ? 1 : 0
  );
  const newest = newestEvents(prepared.events, TICKER_LENGTH);
  return await sql.begin(async (tx) => {
    if (input.statementTimeoutMs !== undefined || input.onBackend) {
      // One round trip for both: the pid, and the timeout for the rest of the transaction.
      const timeout = input.statementTimeoutMs === undefined
        ? null
        : String(input.statementTimeoutMs);
      const [{ pid }] = await tx`select pg_backend_pid() as pid, set_config('statement_timeout',
        coalesce(${timeout}::text, current_setting('statement_timeout')), true)`;
      input.onBackend?.(pid);
    }
    const { inserted, deltas } = await storeNew(tx, events, input.timeZone);
    await tx`
      insert into ingest_offsets (topic, partition, next_offset, high_watermark)
      values (${input.topic}, ${input.partition}, ${input.nextOffset}, ${
      input.highWatermark ?? null
    })
      on conflict (topic, partition) do update set
        next_offset = greatest(ingest_offsets.next_offset, excluded.next_offset),
        high_watermark = greatest(ingest_offsets.high_watermark, excluded.high_watermark),
        updated_at = now()`;
    let rejected = 0;
    if (input.rejects.length > 0) {
      const rows = await tx`
        insert into rejected_events (topic, partition, "offset", reason, raw, size, sha256)
        select ${input.topic}, ${input.partition}, o, r, decode(b, 'hex'), n, h
        from unnest(
          ${input.rejects.map((r) => r.offset)}::int8[],
          ${input.rejects.map((r) => r.reason)}::text[],
          ${input.rejects.map((r) => toHex(r.copy.value))}::text[],
          ${input.rejects.map((r) => r.copy.size)}::int8[],
          ${input.rejects.map((r) => r.copy.sha256)}::text[]
        ) as u(o, r, b, n, h)
        on conflict (topic, partition, "offset") do nothing
        returning 1`;
      rejected = rows.length;
    }
    if (inserted > 0) {
      await tx`select pg_notify(${liveChannel(input.topic)}, ${encodeLiveUpdate(deltas, newest)})`;
    }
    return { inserted, deltas, rejected, newestEventTime: newest[0]?.time };
  }).catch((error) => {
    // A month dropped by retention since this pool cached it: the retry asks again.
    forgetPartitionsOn(sql, error);
    throw error;
  });
}

/** A reject whose DLQ copy the broker refused for good, and its error. */
export interface DlqRefusal {
  offset: string;
  error: string;
}

/**
 * Records in `rejected_events` why `<topic>.dlq` refused these rejects' copies (after
 * the batch committed, before its offsets are resolved): the row and its bounded raw
 * copy are then the only record, and the partition can move on.
 */
export async function recordDlqRefusals(
  sql: Sql,
  topic: string,
  partition: number,
  refusals: readonly DlqRefusal[],
): Promise<void> {
  if (refusals.length === 0) return;
  await sql`
    update rejected_events r set dlq_error = u.e
    from unnest(
      ${refusals.map((f) => f.offset)}::int8[],
      ${refusals.map((f) => f.error)}::text[]
    ) as u(o, e)
    where r.topic = ${topic} and r.partition = ${partition} and r."offset" = u.o`;
}

/**
 * Smallest batch stored with COPY. COPY takes more round trips (savepoint, the stream,
 * the rollups, release) and its small writes can stall on delayed ACKs for up to
 * 200 ms: worth it for the large batches of a backlog, not for the trickle of a live
 * stream, where one `storeEvents` statement keeps produce → NOTIFY in milliseconds.
 */
const COPY_MIN_EVENTS = 500;

/**
 * Stores `events` (sorted by order_id): for a large batch first with COPY, the cheap path when none is
 * stored yet (the usual case: duplicates are redeliveries and producer retries), inside
 * a savepoint; on a unique violation the savepoint is rolled back and
 * {@linkcode storeEvents} skips the duplicates. Both append rollups only for rows that
 * went in, so the invariant holds on either path.
 */
async function storeNew(
  tx: Tx,
  events: readonly EcommerceEvent[],
  timeZone: string,
): Promise<StoreResult> {
  const hasRepeat = events.some((event, i) => i > 0 && event.order_id === events[i - 1].order_id);
  if (events.length >= COPY_MIN_EVENTS && !hasRepeat) {
    try {
      return await tx.savepoint((sp) => copyNewEvents(sp, events, timeZone));
    } catch (error) {
      if (!isCopyConflict(error)) throw error;
    }
  }
  return await storeEvents(tx, events, timeZone);
}

/** The `count` newest events by event time, newest first. */
function newestEvents(events: readonly EcommerceEvent[], count: number): EcommerceEvent[] {
  const top: EcommerceEvent[] = [];
  for (const event of events) {
    if (top.length === count && event.time <= top[count - 1].time) continue;
    top.push(event);
    top.sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0));
    if (top.length > count) top.pop();
  }
  return top;
}

/**
 * Hex digits for `decode(…, 'hex')`. (A `\x…` string in a bytea[] parameter is not
 * read as hex: inside an array literal the backslash escapes the "x", so Postgres
 * stored the digits' text, twice the message's size; migration 008 repairs such rows.)
 */
function toHex(bytes: Uint8Array | null): string | null {
  if (bytes === null) return null;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("hex");
}
