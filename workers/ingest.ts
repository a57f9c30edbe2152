/**
 * The ingest worker (`deno task worker`): a Kafka consumer-group member that writes
 * events and rollups to Postgres. This first version joins the group and logs; the
 * ingest issue fills in the pipeline.
 *
 * @module
 */
import { loadConfig } from "../lib/config.ts";
import { prepare } from "../lib/bootstrap.ts";
import { createKafka } from "../lib/kafka.ts";
import { onShutdown } from "../lib/shutdown.ts";

async function main() {
  const config = loadConfig();
  const ready = await prepare(config, { bringUp: false });
  const consumer = createKafka(ready.kafkaBrokers, { clientId: "ecommerce-worker" })
    .consumer({ groupId: `${config.kafkaTopic}-ingest` });
  await consumer.connect();
  await consumer.subscribe({ topic: config.kafkaTopic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      console.log(`Received ${batch.messages.length} messages from partition ${batch.partition}`);
      await Promise.resolve();
    },
  });
  console.log(`Worker consuming ${config.kafkaTopic} from ${ready.kafkaBrokers.join(",")}`);
  onShutdown(() => consumer.disconnect());
}

if (import.meta.main) {
  try {
    await main();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    Deno.exit(1);
  }
}
