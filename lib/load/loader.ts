/**
 * The bulk loader: streams a CSV file into `events` and the rollups, keeping the
 * invariant (rollup rows only for rows actually inserted, in the same transaction).
 *
 * Each batch of valid rows is one transaction. The fast path COPYs the batch straight
 * into `events` ({@linkcode copyNewEvents}); if any `order_id` is already stored (a
 * re-run, a duplicate in the file) that transaction fails as a whole and the batch is
 * stored with `ON CONFLICT DO NOTHING` instead ({@linkcode storeEvents}), which skips
 * and counts duplicates. The loader stays on the slow path until a batch goes in
 * without duplicates. Parsing the next batch overlaps the database's work on the
 * current one; at most two batches are in memory.
 *
 * Because `order_id` is unique and every batch commits atomically, an interrupted load
 * run again ends with the same database as one uninterrupted run, and a second load of
 * the same file changes nothing.
 *
 * @module
 */
import type { Sql } from "../db.ts";
import { type CsvHeader, isBlankRow, parseCsvFields, parseCsvHeader } from "../csv_row.ts";
import { CopyBatch, copyNewEvents, isCopyConflict, storeEvents } from "../store.ts";
import { openCsv } from "./csv_source.ts";
import { openRejects } from "./rejects.ts";

/** Options for {@linkcode loadCsv}. */
export interface LoadOptions {
  /** `ANALYTICS_TZ`: the daily rollup's calendar. */
  timeZone: string;
  /** Valid rows per transaction; default 20,000. */
  batchSize?: number;
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
export interface LoadSummary extends LoadProgress {
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

/** Loads `path` into the database behind `sql`. */
export async function loadCsv(sql: Sql, path: string, options: LoadOptions): Promise<LoadSummary> {
  const started = performance.now();
  const batchSize = options.batchSize ?? 20_000;
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
    if (fastPath) {
      try {
        await sql.begin((tx) => copyNewEvents(tx, batch, options.timeZone));
        counts.loaded += batch.size;
        return;
      } catch (error) {
        if (!isCopyConflict(error)) throw error;
        fastPath = false;
      }
    }
    const events = batch.events();
    const { inserted } = await sql.begin((tx) => storeEvents(tx, events, options.timeZone));
    counts.loaded += inserted;
    counts.duplicates += events.length - inserted;
    // A batch with no duplicate at all: the rest of the file is probably new too.
    if (inserted === events.length) fastPath = true;
  };

  let header: CsvHeader | undefined;
  let batch = new CopyBatch();
  let inflight: Promise<void> = Promise.resolve();
  let complete = true;
  let rejectsPath: string | undefined;
  try {
    for await (const items of source.items()) {
      for (const item of items) {
        if (item.kind === "malformed") {
          counts.rows++;
          await rejects.add(item.line, item.reason, []);
          continue;
        }
        if (!header) {
          const parsed = parseCsvHeader(item.fields);
          if (!parsed.ok) throw new LoadError(`Cannot load "${path}": ${parsed.reason}`);
          header = parsed.value;
          continue;
        }
        if (isBlankRow(item.fields)) continue;
        counts.rows++;
        const result = parseCsvFields(header, item.fields);
        if (!result.ok) {
          await rejects.add(item.line, result.reason, item.fields);
          continue;
        }
        batch.add(result.value);
        if (batch.size >= batchSize) {
          await inflight;
          inflight = send(batch);
          // Surfaced by the next await; this only avoids an unhandled rejection meanwhile.
          inflight.catch(() => {});
          batch = new CopyBatch();
        }
      }
      options.onProgress?.(progress());
      if (options.signal?.aborted) {
        complete = false;
        break;
      }
    }
    if (!header && complete) throw new LoadError(`Cannot load "${path}": the file is empty`);
    await inflight;
    if (complete) await send(batch);
  } finally {
    source.close();
    // Wait for a batch still in flight even when failing, so nothing outlives the call.
    await inflight.catch(() => {});
    rejectsPath = await rejects.close();
  }
  return { ...progress(), complete, rejectsPath };
}
