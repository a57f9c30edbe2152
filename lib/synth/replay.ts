/**
 * The replay's streaming core: a `product.csv`-format file, row by row through the
 * bulk importer's rules (lib/load/csv_row.ts), paced by {@linkcode ReplayClock}, into the
 * shop's producer. Memory stays flat: csv-parse streams, and the producer's bounded
 * queue pushes back.
 *
 * @module
 */
import { createReadStream } from "node:fs";
import { parse } from "csv-parse";
import { type CsvHeader, isBlankRow, parseCsvFields, parseCsvHeader } from "../load/csv_row.ts";
import { DEFAULT_MAX_FUTURE_MS, futureTimeReason, latestEventTime } from "../core/event.ts";
import type { EventProducer } from "../shop/producer.ts";
import { ReplayClock, shiftToNow, type Speed } from "./replay_clock.ts";
import { sleep } from "../core/async.ts";

/** Rejected rows printed one by one; past this, only counted. */
const SHOWN_REJECTS = 20;

/** What a replay did. */
export interface ReplayReport {
  rows: number;
  sent: number;
  rejected: number;
  seconds: number;
}

/** Options for {@linkcode replayFile}. */
export interface ReplayOptions {
  speed: Speed;
  shiftToNow: boolean;
  /**
   * `ANALYTICS_MAX_FUTURE`: rows whose time (after `shiftToNow`) is more than this
   * ahead of the clock are rejected as `time in the future "…"`, as the worker would;
   * default one day.
   */
  maxFutureMs?: number;
  /** Progress lines and rejected rows. */
  log?: (line: string) => void;
  /** Called about once a second; `final` on the last call. */
  onProgress?: (summary: ReplayReport, final: boolean) => void;
  /** Checked before each row: true ends the replay early (a shutdown signal). */
  shouldStop?: () => boolean;
}

/** Streams `path` through the row rules into `producer`, paced by `options.speed`. */
export async function replayFile(
  path: string,
  producer: EventProducer,
  options: ReplayOptions,
): Promise<ReplayReport> {
  const log = options.log ?? ((line: string) => console.error(line));
  const parser = createReadStream(path).pipe(parse({
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    info: true,
  }));
  let parseErrors = 0;
  parser.on("skip", (error: Error & { lines?: number }) => {
    parseErrors++;
    if (parseErrors <= SHOWN_REJECTS) {
      log(`replay: line ${error.lines ?? "?"} skipped: ${error.message}`);
    }
  });
  const clock = new ReplayClock(options.speed);
  const maxFutureMs = options.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS;
  const started = performance.now();
  const summary: ReplayReport = { rows: 0, sent: 0, rejected: 0, seconds: 0 };
  let header: CsvHeader | undefined;
  let shift: number | undefined;
  let lastProgress = started;
  for await (
    const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>
  ) {
    if (options.shouldStop?.()) break;
    if (!header) {
      const checked = parseCsvHeader(record);
      if (!checked.ok) throw new Error(`Cannot replay "${path}": ${checked.reason}`);
      header = checked.value;
      continue;
    }
    if (isBlankRow(record)) continue;
    summary.rows++;
    const reject = (reason: string) => {
      summary.rejected++;
      if (summary.rejected <= SHOWN_REJECTS) log(`replay: line ${info.lines} rejected: ${reason}`);
    };
    // Shifted rows are judged by the time they are sent with (below), others as read.
    const bound = options.shiftToNow ? {} : latestEventTime(Date.now(), maxFutureMs);
    const parsed = parseCsvFields(header, record, bound);
    if (!parsed.ok) {
      reject(parsed.reason);
      continue;
    }
    const event = parsed.value;
    const eventMs = Date.parse(event.time);
    const wait = clock.delay(eventMs, Date.now());
    if (options.shiftToNow) {
      shift ??= shiftToNow(eventMs, Date.now());
      event.time = new Date(eventMs + shift).toISOString();
    }
    if (wait > 0) await sleep(wait);
    // At --speed above 1 shifted rows run ahead of the clock: the worker would refuse them.
    if (Date.parse(event.time) > Date.now() + maxFutureMs) {
      reject(futureTimeReason(event.time));
      continue;
    }
    await producer.room();
    if (producer.send(event)) summary.sent++;
    const now = performance.now();
    if (now - lastProgress >= 1000) {
      lastProgress = now;
      summary.seconds = (now - started) / 1000;
      options.onProgress?.(summary, false);
    }
  }
  summary.rejected += parseErrors;
  summary.seconds = (performance.now() - started) / 1000;
  options.onProgress?.(summary, true);
  return summary;
}
