/**
 * `deno task services [--brokers N] [--kafka-port P] [--stop]`: ensures Postgres and
 * Kafka answer, leaving what it brought up running in the background (logs under
 * `.data/`), and prints the `DATABASE_URL` and `KAFKA_BROKERS` to use. `--brokers 3`
 * finds or brings up a three-node KRaft cluster (127.0.0.1:9192, :9194, :9196 unless
 * `--kafka-port` says where the first node listens). `--stop` stops what it brought up.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { readConfig } from "../lib/process/config.ts";
import { replicationFor } from "../lib/kafka/client.ts";
import { bringUp, parseBrokerCount, saveStarted, stopRecorded } from "../lib/services/mod.ts";
import { runMain } from "../lib/process/run_main.ts";

const USAGE = "Usage: deno task services [--brokers N] [--kafka-port PORT] [--stop]";

async function main() {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      stop: { type: "boolean" },
      brokers: { type: "string" },
      "kafka-port": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.stop) {
    const stopped = await stopRecorded();
    const names = [
      stopped.kafka && `Kafka (pid ${stopped.kafka.pid})`,
      stopped.kafkaCluster &&
      `a Kafka cluster (pids ${stopped.kafkaCluster.map((node) => node.pid).join(", ")})`,
      stopped.postgres && `PostgreSQL (${stopped.postgres.dataDir})`,
      stopped.compose && "Docker compose services",
    ].filter(Boolean);
    console.log(names.length ? `Stopped ${names.join(", ")}` : "Nothing to stop");
    return;
  }
  const kafkaBrokerCount = parseBrokerCount(values.brokers ?? "1");
  const kafkaPort = values["kafka-port"] === undefined
    ? undefined
    : parsePort(values["kafka-port"]);
  const config = readConfig();
  const ready = await bringUp(config, {
    onProgress: (line) => console.error(line),
    kafkaBrokerCount,
    kafkaPort,
  });
  await saveStarted(ready.services.started);
  if (kafkaBrokerCount > 1) {
    const { replicationFactor, minInsyncReplicas } = replicationFor(kafkaBrokerCount);
    console.error(
      `Kafka cluster of ${kafkaBrokerCount} brokers: new topics get ${replicationFactor} ` +
        `replicas, min.insync.replicas=${minInsyncReplicas}`,
    );
  }
  console.log(`DATABASE_URL=${ready.databaseUrl}`);
  console.log(`KAFKA_BROKERS=${ready.kafkaBrokers.join(",")}`);
}

function parsePort(text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65_000)) {
    throw new Error(`Cannot use --kafka-port "${text}": expected a port from 1 to 65000`);
  }
  return port;
}

if (import.meta.main) await runMain(main, { usage: USAGE });
