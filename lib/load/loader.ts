/**
 * The bulk loader: streams a CSV file into `events` and the rollups, keeping the
 * invariant (rollup rows only for rows actually inserted, in the same transaction).
 *
 * Each batch of valid rows is one transaction. The fast path COPYs the batch straight
 * into `events` ({@linkcode copyNewEvents}); if any `order_id` is already stored (a
 * re-run, a duplicate in the file) that transaction fails as a whole and the batch is
 * stored with `ON CONFLICT DO NOTHING` instead ({@linkcode storeEvents}), which skips
 * and counts duplicates. The loader stays on the slow path until a batch goes in
 * without duplicates. Two batches are written at once, on two connections, while the
 * next one is parsed; at most three batches are in memory. Lines already in the dataset's exact
 * form go from the file's bytes to COPY's bytes without a string per field
 * ({@linkcode CanonicalLineReader}); every other line gets the full row rules.
 *
 * Because `order_id` is unique and every batch commits atomically, an interrupted load
 * run again ends with the same database as one uninterrupted run, and a second load of
 * the same file changes nothing.
 *
 * @module
 */
import type { Sql } from "../db/client.ts";
import { CopyBatch } from "../rollups/copy_batch.ts";
import { type CsvHeader, isBlankRow, parseCsvFields, parseCsvHeader } from "./csv_row.ts";
import { latestEventTime, type TimeBound } from "../core/event.ts";
import { copyNewEvents, isCopyConflict, storeEvents } from "../rollups/store.ts";
import { ensurePartitions, forgetPartitionsOn, monthOf } from "../rollups/partitions.ts";
import { CanonicalLineReader } from "./canonical_line.ts";
import { LineCursor, openCsv } from "./csv_source.ts";
import { openRejects } from "./rejects.ts";
import { isPostgresError, SQLSTATE } from "../db/sqlstate.ts";

/** Options for {@linkcode loadCsv}. */
export interface LoadOptions {
  /** `ANALYTICS_TZ`: the daily rollup's calendar. */
  timeZone: string;
  /**
   * Rows dated after this instant (ms since the epoch) are rejected as
   * `time in the future "…"`; default the load's start plus one day (the task passes
   * its start plus `ANALYTICS_MAX_FUTURE`).
   */
  notAfter?: number;
  /** Valid rows per transaction; default 20,000. */
  batchSize?: number;
  /**
   * Batches written at once, each in its own transaction on its own connection
   * (`sql` must allow that many); default 2. More than one keeps Postgres busy on one
   * batch's index inserts while another's COPY streams in.
   */
  connections?: number;
  /** Bytes read from the file at a time; default 256 KiB. */
  chunkBytes?: number;
  /** Where rejected rows go; default `<path>.rejects.csv`. */
  rejectsPath?: string;
  /** Called as the file is read (often: throttle in the caller). */
  onProgress?: (progress: LoadProgress) => void;
  /** Aborting stops reading; the batch being written still commits or rolls back whole. */
  signal?: AbortSignal;
}

/** Counters of a load so far. */
export interface LoadProgress {
  /** Bytes of the file read. */
  bytesRead: number;
  /** The file's size. */
  totalBytes: number;
  /** Data rows read (blank lines and the header excluded). */
  rows: number;
  /** Rows inserted into `events` (committed). */
  loaded: number;
  /** Valid rows skipped because their `order_id` was already stored or seen. */
  duplicates: number;
  /** Rows that broke a rule (see the rejects file). */
  rejected: number;
  /** Seconds since the load started. */
  seconds: number;
}

/** The outcome of {@linkcode loadCsv}. */
export interface LoadReport extends LoadProgress {
  /** True when the file was read to the end (false after an abort). */
  complete: boolean;
  /** The rejects file, when any row was rejected. */
  rejectsPath?: string;
}

/** Thrown when the file cannot be loaded at all (unreadable, or a bad header). */
export class LoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LoadError";
  }
}

/** True for Postgres's "deadlock detected": the transaction can be retried. */
function isDeadlock(error: unknown): boolean {
  return isPostgresError(error, SQLSTATE.deadlockDetected);
}

/** Loads `path` into the database behind `sql`. */
export async function loadCsv(sql: Sql, path: string, options: LoadOptions): Promise<LoadReport> {
  const started = performance.now();
  const batchSize = options.batchSize ?? 20_000;
  const connections = options.connections ?? 2;
  // One bound for the whole file: a row is judged the same wherever it stands in it.
  const bound: TimeBound = options.notAfter === undefined
    ? latestEventTime(Date.now())
    : { notAfter: options.notAfter };
  const rejects = await openRejects(options.rejectsPath ?? `${path}.rejects.csv`);
  let source;
  try {
    source = await openCsv(path, { chunkBytes: options.chunkBytes ?? 256 * 1024 });
  } catch (error) {
    await rejects.close();
    throw new LoadError((error as Error).message);
  }
  const counts = { rows: 0, loaded: 0, duplicates: 0 };
  let fastPath = true;
  const progress = (): LoadProgress => ({
    bytesRead: source.bytesRead(),
    totalBytes: source.size,
    rows: counts.rows,
    loaded: counts.loaded,
    duplicates: counts.duplicates,
    rejected: rejects.count(),
    seconds: (performance.now() - started) / 1000,
  });

  const send = async (batch: CopyBatch) => {
    for (let attempt = 1;; attempt++) {
      try {
        await store(batch);
        return;
      } catch (error) {
        // Two batches in flight that share an order_id (a duplicate in the file) can
        // wait on each other's index entries; Postgres aborts one, which is retried.
        // A month another process's retention dropped since this pool cached it: the
        // retry asks again and leaves that month's rows out.
        if (forgetPartitionsOn(sql, error) && attempt < 5) continue;
        if (!isDeadlock(error) || attempt === 5) throw error;
        fastPath = false;
      }
    }
  };

  const store = async (batch: CopyBatch) => {
    // The months' partitions first, outside the transaction (creating one locks the
    // parent table). The batch's per-minute counts name its months without decoding it.
    const months = [...batch.counts.minutes()].map((m) => monthOf(m * 60_000));
    const retired = await ensurePartitions(sql, months);
    if (fastPath && retired.size === 0) {
      try {
        await sql.begin((tx) => copyNewEvents(tx, batch, options.timeZone, { deltas: false }));
        counts.loaded += batch.size;
        return;
      } catch (error) {
        if (!isCopyConflict(error) && !isDeadlock(error)) throw error;
        fastPath = false;
      }
    }
    const all = batch.events();
    // Events of months retention dropped were counted when first loaded: duplicates.
    const events = retired.size === 0 ? all : all.filter((e) => !retired.has(monthOf(e.time)));
    const { inserted } = await sql.begin((tx) => storeEvents(tx, events, options.timeZone));
    counts.loaded += inserted;
    counts.duplicates += all.length - inserted;
    // A batch with no duplicate at all: the rest of the file is probably new too.
    if (inserted === events.length) fastPath = true;
  };

  let header: CsvHeader | undefined;
  let canonical: CanonicalLineReader | undefined;
  let batch = new CopyBatch();
  /** Batches being written, by their promise. */
  const inflight = new Map<Promise<void>, CopyBatch>();
  let failure: { error: unknown } | undefined;
  let complete = true;
  let rejectsPath: string | undefined;
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

  /** Waits until fewer than `limit` batches are in flight; throws the first failure. */
  const drain = async (limit: number) => {
    while (inflight.size >= limit && !failure) await Promise.race(inflight.keys());
    if (failure) throw failure.error;
  };

  const sendWhenFull = async () => {
    if (batch.size < batchSize) return;
    await drain(connections);
    // A batch sharing an order_id with one in flight waits for it, so the row earlier
    // in the file is the one stored (the later is then skipped as a duplicate).
    for (const [sending, earlier] of inflight) {
      if (earlier.mayShareOrderIds(batch)) await sending;
    }
    if (failure) throw failure.error;
    const sending: Promise<void> = send(batch).catch((error) => {
      failure ??= { error };
    }).finally(() => inflight.delete(sending));
    inflight.set(sending, batch);
    batch = new CopyBatch();
  };

  /** The header, or one row through the full rules. */
  const takeFields = async (line: number, fields: string[]) => {
    if (!header) {
      const parsed = parseCsvHeader(fields);
      if (!parsed.ok) throw new LoadError(`Cannot load "${path}": ${parsed.reason}`);
      header = parsed.value;
      canonical = new CanonicalLineReader(header, bound);
      return;
    }
    if (isBlankRow(fields)) return;
    counts.rows++;
    const result = parseCsvFields(header, fields, bound);
    if (!result.ok) {
      await rejects.add(line, result.reason, fields);
      return;
    }
    batch.add(result.value);
    await sendWhenFull();
  };

  try {
    for await (const block of source.blocks()) {
      if (block.kind === "lines") {
        const { bytes } = block;
        const cursor = new LineCursor(block);
        while (cursor.advance()) {
          if (canonical?.read(bytes, cursor.start, cursor.end)) {
            counts.rows++;
            batch.addCanonical(canonical.row);
            if (batch.size >= batchSize) await sendWhenFull();
            continue;
          }
          // No quotes in this stretch of the file: its fields are what is between commas.
          const text = decoder.decode(bytes.subarray(cursor.start, cursor.end));
          await takeFields(cursor.line, text.split(","));
        }
      } else {
        for (const item of block.items) {
          if (item.kind === "malformed") {
            counts.rows++;
            await rejects.add(item.line, item.reason, []);
          } else {
            await takeFields(item.line, item.fields);
          }
        }
      }
      options.onProgress?.(progress());
      if (options.signal?.aborted) {
        complete = false;
        break;
      }
    }
    if (!header && complete) throw new LoadError(`Cannot load "${path}": the file is empty`);
    await drain(1);
    if (complete) await send(batch);
  } finally {
    source.close();
    // Wait for batches still in flight even when failing, so nothing outlives the call.
    await Promise.all(inflight.keys());
    rejectsPath = await rejects.close();
  }
  return { ...progress(), complete, rejectsPath };
}
