/**
 * `deno task replay <file.csv> [--speed 3600|max] [--shift-to-now]`: sends the rows of
 * a `product.csv`-format file to Kafka through the shop's producer, keeping their
 * relative timing scaled by `--speed` (default 3600: an hour of data per second;
 * `max`: as fast as Kafka takes them). `--shift-to-now` moves every timestamp by one
 * constant so the first row is now. Rows follow the bulk importer's rules
 * (lib/load/csv_row.ts); rejected rows are reported with their line and skipped.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { readConfig } from "../lib/process/config.ts";
import { prepare } from "../lib/process/prepare.ts";
import { createEventProducer, type EventProducer } from "../lib/shop/producer.ts";
import { parseSpeed } from "../lib/synth/replay_clock.ts";
import { replayFile, type ReplayReport } from "../lib/synth/replay.ts";
import { isShuttingDown, onShutdown } from "../lib/process/shutdown.ts";
import { runMain } from "../lib/process/run_main.ts";

const USAGE = "Usage: deno task replay <file.csv> [--speed 3600|max] [--shift-to-now]";

function progressLine(producer: EventProducer) {
  const tty = Deno.stderr.isTerminal();
  const encoder = new TextEncoder();
  return (summary: ReplayReport, final: boolean) => {
    const stats = producer.stats();
    const rate = summary.seconds > 0 ? summary.rows / summary.seconds : 0;
    const line = `replay: ${summary.rows} rows (${rate.toFixed(0)} rows/s), ` +
      `${summary.rejected} rejected, sent ${summary.sent}, delivered ${stats.delivered}, ` +
      `queued ${stats.queued}`;
    // On a terminal the line rewrites itself; in a log, one line a second.
    Deno.stderr.writeSync(encoder.encode(tty ? `\r${line}${final ? "\n" : ""}` : `${line}\n`));
  };
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      speed: { type: "string", default: "3600" },
      "shift-to-now": { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new Error(`Expected one CSV file\n${USAGE}`);
  const path = positionals[0];
  const speed = parseSpeed(values.speed);
  await Deno.stat(path).catch(() => {
    throw new Error(`Cannot read "${path}": no such file`);
  });
  const config = readConfig();
  const ready = await prepare(config);
  const producer = createEventProducer({ brokers: ready.kafkaBrokers, topic: ready.topic });
  onShutdown(() => producer.close());
  console.error(
    `replay: "${path}" to "${ready.topic}" at ${
      speed === "max" ? "max speed" : `${speed}× real time`
    }${values["shift-to-now"] ? ", first row moved to now" : ""}`,
  );
  const summary = await replayFile(path, producer, {
    shouldStop: isShuttingDown,
    speed,
    shiftToNow: values["shift-to-now"],
    maxFutureMs: config.maxFutureMs,
    onProgress: progressLine(producer),
  });
  await producer.close(60_000);
  const stats = producer.stats();
  console.error(
    `replay: done: ${summary.rows} rows in ${
      summary.seconds.toFixed(1)
    } s, ${summary.sent} sent, ` +
      `${stats.delivered} delivered, ${summary.rejected} rejected, ${stats.dropped} dropped`,
  );
  return stats.delivered === summary.sent ? 0 : 1;
}

if (import.meta.main) await runMain(main);
