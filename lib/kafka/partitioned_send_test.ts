import assert from "node:assert/strict";
import { createKafka, deleteTopics, ensureTopics, Kafka, replicationFor } from "./client.ts";
import { testServices, uniqueName } from "../../tests/support/services.ts";

Deno.test("replication: min(3, brokers) copies, two of them needed for a write from 3 brokers", () => {
  assert.deepEqual(replicationFor(1), { replicationFactor: 1, minInsyncReplicas: 1 });
  assert.deepEqual(replicationFor(2), { replicationFactor: 2, minInsyncReplicas: 1 });
  assert.deepEqual(replicationFor(3), { replicationFactor: 3, minInsyncReplicas: 2 });
  assert.deepEqual(replicationFor(5), { replicationFactor: 3, minInsyncReplicas: 2 });
  assert.throws(() => replicationFor(0), /Cannot plan replication for 0 brokers/);
  assert.throws(() => replicationFor(2.5), /whole number/);
});

Deno.test({
  name: "a project producer puts every keyed message on the partition plain kafkajs picks",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { kafkaBrokers } = await testServices();
    const topic = uniqueName("test_partitioned");
    await ensureTopics(kafkaBrokers, topic);
    const keys = Array.from({ length: 200 }, (_, i) => `user-${i}`);
    const plain = new Kafka({ brokers: kafkaBrokers, clientId: "plain" }).producer();
    const ours = createKafka(kafkaBrokers).producer();
    await Promise.all([plain.connect(), ours.connect()]);
    try {
      const messages = keys.map((key) => ({ key, value: key }));
      // Twice: the first send learns the partitions from one message, the next knows them.
      for (let round = 0; round < 2; round++) {
        const [, ours_] = await Promise.all([
          plain.send({ topic, messages }),
          ours.send({ topic, messages }),
        ]);
        const partitions = ours_.map((r) => r.partition);
        // After the first send's lone message: one send, so one result, per partition.
        if (round === 1) assert.deepEqual(partitions.sort(), [0, 1, 2, 3, 4, 5]);
      }
      // Where each copy of each key went, read back: plain and ours, the same partition.
      const consumer = createKafka(kafkaBrokers).consumer({ groupId: uniqueName("g") });
      const seen = new Map<string, Set<number>>();
      let read = 0;
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: ({ partition, message }) => {
          const key = message.key!.toString();
          seen.set(key, (seen.get(key) ?? new Set()).add(partition));
          read++;
          return Promise.resolve();
        },
      });
      const deadline = Date.now() + 20_000;
      while (read < keys.length * 4 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      await consumer.disconnect();
      assert.equal(read, keys.length * 4);
      assert.equal(seen.size, keys.length);
      for (const [key, partitions] of seen) assert.equal(partitions.size, 1, key);
    } finally {
      await Promise.all([plain.disconnect(), ours.disconnect()]);
      await deleteTopics(kafkaBrokers, [topic, `${topic}.dlq`]).catch(() => {});
    }
  },
});
