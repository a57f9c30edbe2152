// The producer's behaviour when Kafka cannot be reached: a page's publish returns
// "queued" after its short wait, a full queue drops events and says so (count and
// log), and close() reports what it could not deliver. Port 1 on the loopback has no
// broker, so no Kafka is needed.
import assert from "node:assert/strict";
import { EventProducer } from "../lib/shop/producer.ts";
import { shopEvent } from "../lib/shop/events.ts";

const event = () =>
  shopEvent({
    title: "order",
    product: "sneakers",
    userId: "0123456789abcdef0123456789abcdef",
    siteVersion: "desktop",
    page: "/product/sneakers",
  });

Deno.test({
  name: "without Kafka, events queue up to the limit, then drops are counted and logged",
  // kafkajs keeps timers and sockets past disconnect.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const lines: string[] = [];
    const producer = new EventProducer({
      brokers: ["127.0.0.1:1"],
      topic: "unreachable",
      maxQueue: 5,
      sendTimeoutMs: 300,
      log: (line) => lines.push(line),
    });
    producer.start();
    const waited = performance.now();
    assert.equal(await producer.publish(event(), { waitMs: 50 }), "queued");
    assert.ok(performance.now() - waited < 1_000);
    // The first event is in the batch being sent (and failing); five more fill the queue.
    const accepted = Array.from({ length: 8 }, () => producer.send(event()));
    assert.deepEqual(accepted, [true, true, true, true, true, false, false, false]);
    assert.equal(await producer.publish(event()), "dropped");
    const stats = producer.stats();
    assert.equal(stats.queued, 6);
    assert.equal(stats.dropped, 4);
    assert.equal(stats.delivered, 0);
    assert.ok(
      lines.some((line) => /^Kafka producer queue full \(5 events\): dropped 1 event/.test(line)),
    );
    // The failed sends are counted and logged with the reason.
    const deadline = Date.now() + 10_000;
    while (producer.stats().failedSends === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(producer.stats().failedSends > 0);
    assert.equal(producer.stats().connected, false);
    assert.ok(
      lines.some((line) =>
        line.startsWith('Kafka producer cannot send to "unreachable" (6 events waiting): ')
      ),
    );
    await producer.close(200);
    assert.ok(
      lines.some((line) =>
        line === 'Kafka producer closing: 6 events not delivered to "unreachable" are lost'
      ),
    );
    assert.equal(producer.send(event()), false, "a closed producer accepts nothing");
  },
});
