/**
 * The broker goes away under a running worker and comes back: the worker keeps
 * retrying by itself and stores everything produced before and after, once. A private
 * broker on a free port, so the shared one is never touched.
 */
import assert, { deepEqual as assertEquals } from "node:assert/strict";
import { startIngestWorker } from "../workers/ingest.ts";
import { checkInvariant } from "../lib/rollups/invariant.ts";
import { ensureTopics } from "../lib/kafka/client.ts";
import { freePortPair } from "../lib/services/net.ts";
import { kafkaDataDir, startLocalKafka, stopLocalKafka } from "../lib/services/kafka_local.ts";
import { createTestDatabase, uniqueName } from "./support/services.ts";
import { eventCount, eventMessages, produce, randomEvent, waitFor } from "./support/ingest.ts";

Deno.test({
  name: "the worker rides out a broker outage and stores everything once it is back",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const port = await freePortPair();
    let broker = await startLocalKafka({ port });
    const brokers = [`127.0.0.1:${port}`];
    const topic = uniqueName("test_ingest_outage");
    await using db = await createTestDatabase("ingest_outage");
    const logs: string[] = [];
    try {
      await ensureTopics(brokers, topic);
      const worker = await startIngestWorker({
        databaseUrl: db.url,
        kafkaBrokers: brokers,
        topic,
        log: (line) => logs.push(line),
      });
      try {
        const first = Array.from({ length: 1_000 }, () => randomEvent());
        await produce(brokers, topic, eventMessages(first));
        await waitFor(async () => (await eventCount(db.sql)) === 1_000, 30_000, "first events");

        await stopLocalKafka(broker);
        // Down long enough for the consumer to notice and start retrying.
        await waitFor(() => logs.some((line) => /crash|fail/i.test(line)), 60_000, "a retry");
        broker = await startLocalKafka({ port });

        const second = Array.from({ length: 1_000 }, () => randomEvent());
        await produce(brokers, topic, eventMessages(second));
        await waitFor(async () => (await eventCount(db.sql)) === 2_000, 90_000, "all events");
      } finally {
        await worker.stop();
      }
      const report = await checkInvariant(db.sql);
      assertEquals(report.violations, []);
      assertEquals(report.events, 2_000);
      assert(logs.some((line) => /crash|fail/i.test(line)));
    } finally {
      await stopLocalKafka(broker);
      await Deno.remove(kafkaDataDir(port), { recursive: true }).catch(() => {});
    }
  },
});
