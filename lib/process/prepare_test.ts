import assert from "node:assert/strict";
import { prepare } from "./prepare.ts";
import { readConfig } from "./config.ts";
import { connect, dropDatabase, withDatabase } from "../db/client.ts";
import { createKafka, deleteTopics } from "../kafka/client.ts";
import { testServices, uniqueName } from "../../tests/support/services.ts";

Deno.test({
  name: "an entry point pointed at a new database and topic creates and migrates them",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { databaseUrl, kafkaBrokers } = await testServices();
    const url = withDatabase(databaseUrl, uniqueName("test_bootstrap"));
    const topic = uniqueName("test_bootstrap");
    const config = readConfig({
      DATABASE_URL: url,
      KAFKA_BROKERS: kafkaBrokers.join(","),
      KAFKA_TOPIC: topic,
    });
    try {
      const ready = await prepare(config);
      assert.ok(ready.applied.includes("002_events_and_rollups.sql"));
      const again = await prepare(config);
      assert.deepEqual(again.applied, []);
      const sql = connect(url, { max: 1 });
      const [row] = await sql`select count(*)::int8 as n from events`;
      await sql.end();
      assert.equal(row.n, 0);
      const admin = createKafka(kafkaBrokers).admin();
      await admin.connect();
      const metadata = await admin.fetchTopicMetadata({ topics: [topic, `${topic}.dlq`] });
      await admin.disconnect();
      assert.deepEqual(metadata.topics.map((t) => t.partitions.length), [6, 6]);
    } finally {
      await dropDatabase(url);
      await deleteTopics(kafkaBrokers, [topic, `${topic}.dlq`]).catch(() => {});
    }
  },
});
