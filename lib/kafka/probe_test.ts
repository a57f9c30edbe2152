import assert from "node:assert/strict";
import { createKafkaProbe } from "./probe.ts";
import { freePort } from "../services/net.ts";
import { createTestTopic } from "../../tests/support/services.ts";

const sanitize = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "the Kafka probe answers and reads offsets through one admin connection, many calls over",
  ...sanitize,
  async fn() {
    await using topic = await createTestTopic("probe");
    const probe = createKafkaProbe(topic.brokers);
    try {
      const answers = await Promise.all(Array.from({ length: 10 }, () => probe.answers()));
      assert.deepEqual(answers, Array(10).fill(true));
      for (let i = 0; i < 10; i++) {
        const ends = await probe.ends(topic.topic);
        assert.deepEqual(
          ends,
          [0, 1, 2, 3, 4, 5].map((partition) => ({ partition, low: 0, end: 0 })),
        );
      }
      assert.equal(probe.connects, 1);
    } finally {
      await probe.close();
    }
  },
});

Deno.test({
  name: "a probe of a broker that is not there answers false fast, and tries again next time",
  ...sanitize,
  async fn() {
    const probe = createKafkaProbe([`127.0.0.1:${freePort()}`], { timeoutMs: 3_000 });
    try {
      assert.equal(await probe.answers(), false);
      assert.equal(await probe.answers(), false);
      await assert.rejects(probe.ends("nothing"));
      // Each failure dropped the connection attempt: the next call made a new one.
      assert.equal(probe.connects, 3);
    } finally {
      await probe.close();
    }
  },
});
