/**
 * `deno task services [--stop]`: ensures Postgres and Kafka answer, leaving what it
 * brought up running in the background (logs under `.data/`), and prints the
 * `DATABASE_URL` and `KAFKA_BROKERS` to use. `--stop` stops what it brought up.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { loadConfig } from "../lib/process/config.ts";
import { bringUp, saveStarted, stopRecorded } from "../lib/services/mod.ts";

async function main() {
  const { values } = parseArgs({
    args: Deno.args,
    options: { stop: { type: "boolean" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    console.log("Usage: deno task services [--stop]");
    return;
  }
  if (values.stop) {
    const stopped = await stopRecorded();
    const names = [
      stopped.kafka && `Kafka (pid ${stopped.kafka.pid})`,
      stopped.postgres && `PostgreSQL (${stopped.postgres.dataDir})`,
      stopped.compose && "Docker compose services",
    ].filter(Boolean);
    console.log(names.length ? `Stopped ${names.join(", ")}` : "Nothing to stop");
    return;
  }
  const config = loadConfig();
  const ready = await bringUp(config, { onProgress: (line) => console.error(line) });
  await saveStarted(ready.services.started);
  console.log(`DATABASE_URL=${ready.databaseUrl}`);
  console.log(`KAFKA_BROKERS=${ready.kafkaBrokers.join(",")}`);
}

if (import.meta.main) {
  try {
    await main();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    Deno.exit(1);
  }
}
