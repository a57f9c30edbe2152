/**
 * `deno task load <file.csv>`: streams a CSV file of events into `events` and the
 * rollups (see docs/bulk.md for the row rules). Exit status: 0 when the file was read
 * to the end (even with rejects), 130 when interrupted (run it again to finish), 1
 * when the file cannot be loaded, 2 for bad usage.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { bringUp } from "../lib/services/mod.ts";
import { readConfig } from "../lib/process/config.ts";
import { connect } from "../lib/db/client.ts";
import { latestEventTime } from "../lib/core/event.ts";
import { loadCsv, LoadError } from "../lib/load/loader.ts";
import { createProgressReporter, summaryLine } from "../lib/load/progress.ts";

const USAGE =
  "Usage: deno task load [--batch-size 20000] [--connections 2] [--progress-interval 10] <file.csv>";

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      "batch-size": { type: "string", default: "20000" },
      connections: { type: "string", default: "2" },
      "progress-interval": { type: "string", default: "10" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(`Expected one file to load, got ${positionals.length}\n${USAGE}`);
    return 2;
  }
  const batchSize = Number(values["batch-size"]);
  const connections = Number(values.connections);
  const interval = Number(values["progress-interval"]);
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    console.error(`Invalid --batch-size "${values["batch-size"]}": expected a whole number >= 1`);
    return 2;
  }
  if (!Number.isInteger(connections) || connections < 1 || connections > 16) {
    console.error(`Invalid --connections "${values.connections}": expected a whole number 1-16`);
    return 2;
  }
  if (!(interval > 0)) {
    console.error(
      `Invalid --progress-interval "${values["progress-interval"]}": expected seconds > 0`,
    );
    return 2;
  }
  const [path] = positionals;
  const config = readConfig();
  const { databaseUrl } = await bringUp(config);
  const sql = connect(databaseUrl, { max: connections, applicationName: "ecommerce-load" });

  // First Ctrl-C: stop reading, let the batch in flight commit or roll back, report.
  // A second one exits at once (the open transaction then rolls back in Postgres).
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) Deno.exit(130);
    console.error("load: stopping after the batches in flight (Ctrl-C again to quit now)");
    controller.abort();
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  const reporter = createProgressReporter({ intervalSeconds: interval });
  try {
    const summary = await loadCsv(sql, path, {
      timeZone: config.analyticsTz,
      ...latestEventTime(Date.now(), config.maxFutureMs),
      batchSize,
      connections,
      signal: controller.signal,
      onProgress: (progress) => reporter.update(progress),
    });
    reporter.stop();
    if (summary.rejectsPath) console.log(`rejected rows written to ${summary.rejectsPath}`);
    if (!summary.complete) {
      console.log(`interrupted: ${summaryLine(summary)}; run the same command again to finish`);
      return 130;
    }
    console.log(summaryLine(summary));
    return 0;
  } catch (error) {
    reporter.stop();
    if (error instanceof LoadError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    await sql.end({ timeout: 5 });
  }
}

if (import.meta.main) Deno.exit(await main());
