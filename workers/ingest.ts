/**
 * The ingest worker (`deno task worker`): a Kafka consumer-group member that writes
 * events and rollups to Postgres, exactly once in effect (see lib/ingest/worker.ts).
 * Run several (on one machine or many) to share the topic's partitions.
 *
 * @module
 */
import { readConfig } from "../lib/process/config.ts";
import { prepare } from "../lib/process/prepare.ts";
import { onShutdown } from "../lib/process/shutdown.ts";
import { startIngestWorker } from "../lib/ingest/worker.ts";
import { runMain } from "../lib/process/run_main.ts";

export { startIngestWorker } from "../lib/ingest/worker.ts";
export type { IngestWorker, IngestWorkerOptions } from "../lib/ingest/worker.ts";

async function main() {
  const config = readConfig();
  const ready = await prepare(config);
  const worker = await startIngestWorker({
    databaseUrl: ready.databaseUrl,
    kafkaBrokers: ready.kafkaBrokers,
    topic: ready.topic,
    timeZone: config.analyticsTz,
    maxFutureMs: config.maxFutureMs,
    retentionMs: config.retentionMs,
    sessionTimeoutMs: config.ingestSessionTimeoutMs,
  });
  onShutdown(() => worker.stop());
}

if (import.meta.main) await runMain(main);
