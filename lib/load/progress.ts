/**
 * Progress of a load for people: a bar on a terminal (cli-progress: bytes read as a
 * percentage, rows/s, ETA), or a plain line every few seconds when the output is a
 * pipe or a log file (bars would fill logs with control characters).
 *
 * @module
 */
import cliProgress from "cli-progress";
import type { LoadProgress, LoadReport } from "./loader.ts";

/** Receives progress updates; `stop()` clears the bar before the final line. */
export interface ProgressReporter {
  update(progress: LoadProgress): void;
  stop(): void;
}

/** Options for {@linkcode createProgressReporter}. */
export interface ProgressOptions {
  /** Draw a bar (default: when stderr is a terminal). */
  bar?: boolean;
  /** Seconds between plain lines; default 10. */
  intervalSeconds?: number;
  /** Where plain lines go; default stderr. */
  write?: (line: string) => void;
}

/** Rows per second, rounded, guarding the first instant. */
export function rowsPerSecond(rows: number, seconds: number): number {
  return seconds > 0 ? Math.round(rows / seconds) : 0;
}

/** The final line: `loaded N, duplicates D, rejected R in T s (X rows/s)`. */
export function summaryLine(summary: LoadReport): string {
  return `loaded ${summary.loaded}, duplicates ${summary.duplicates}, rejected ${summary.rejected} ` +
    `in ${summary.seconds.toFixed(1)} s (${rowsPerSecond(summary.rows, summary.seconds)} rows/s)`;
}

/** One plain progress line. */
export function progressLine(progress: LoadProgress): string {
  const fraction = progress.totalBytes > 0 ? progress.bytesRead / progress.totalBytes : 1;
  const rate = rowsPerSecond(progress.rows, progress.seconds);
  const eta = fraction > 0 ? Math.round(progress.seconds * (1 - fraction) / fraction) : NaN;
  return `load: ${(fraction * 100).toFixed(1)}% read, ${progress.rows} rows ` +
    `(${progress.loaded} loaded, ${progress.duplicates} duplicates, ${progress.rejected} rejected), ` +
    `${rate} rows/s, ETA ${Number.isFinite(eta) ? `${eta} s` : "unknown"}`;
}

/** Creates the reporter suited to the output. */
export function createProgressReporter(options: ProgressOptions = {}): ProgressReporter {
  if (options.bar ?? Deno.stderr.isTerminal()) {
    const bar = new cliProgress.SingleBar({
      format: "load |{bar}| {percentage}% | {rows} rows | {rate} rows/s | ETA {eta_formatted}",
      hideCursor: true,
      etaBuffer: 50,
      fps: 5,
    }, cliProgress.Presets.shades_classic);
    let started = false;
    return {
      update(progress) {
        const payload = {
          rows: progress.rows,
          rate: rowsPerSecond(progress.rows, progress.seconds),
        };
        if (!started) {
          bar.start(Math.max(progress.totalBytes, 1), progress.bytesRead, payload);
          started = true;
        } else {
          bar.update(progress.bytesRead, payload);
        }
      },
      stop: () => started && bar.stop(),
    };
  }
  const write = options.write ?? ((line: string) => console.error(line));
  const interval = options.intervalSeconds ?? 10;
  let next = interval;
  return {
    update(progress) {
      if (progress.seconds < next) return;
      next = progress.seconds + interval;
      write(progressLine(progress));
    },
    stop() {},
  };
}
