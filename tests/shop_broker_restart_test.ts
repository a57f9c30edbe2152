// The broker stops while the shop serves pages: pages stay fast (the producer waits at
// most ~50 ms and then spools), the producer reports the backlog, and after the broker
// comes back every event produced during the outage arrives at least once (a re-sent
// batch may arrive twice: counted and printed, not failed on), nothing else arrives,
// and the worker stores each exactly once. A private broker on a free port, so the
// shared one is never touched.
import assert from "node:assert/strict";
import { readConfig } from "../lib/process/config.ts";
import { createKafka, ensureTopics } from "../lib/kafka/client.ts";
import { freePortPair } from "../lib/services/net.ts";
import { kafkaDataDir, startLocalKafka, stopLocalKafka } from "../lib/services/kafka_local.ts";
import { startWebServer } from "../main.ts";
import { checkInvariant } from "../lib/rollups/invariant.ts";
import { startIngestWorker } from "../lib/ingest/worker.ts";
import { createTestDatabase, uniqueName } from "./support/services.ts";
import { waitFor } from "./support/ingest.ts";
import { TopicReader, Visitor } from "./support/shop.ts";

Deno.test({
  name: "pages stay fast while the broker is down, and every event arrives after it restarts",
  // kafkajs keeps timers and sockets past disconnect.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const port = await freePortPair();
    let broker = await startLocalKafka({ port });
    const brokers = [`127.0.0.1:${port}`];
    const topic = uniqueName("test_shop_restart");
    await using db = await createTestDatabase("shop_restart");
    let reader: TopicReader | undefined;
    try {
      await ensureTopics(brokers, topic);
      const web = await startWebServer({
        config: { ...readConfig({}), port: 0, kafkaTopic: topic },
        databaseUrl: db.url,
        kafkaBrokers: brokers,
      });
      try {
        const before = new Visitor(web.url);
        const firstOrder = await before.placeOrder("electronics");

        await stopLocalKafka(broker);
        const expected = new Set([firstOrder]);
        const clickers: string[] = [];
        const durations: number[] = [];
        const timed = async <T>(request: () => Promise<T>): Promise<T> => {
          const started = performance.now();
          const result = await request();
          durations.push(performance.now() - started);
          return result;
        };
        const visit = async () => {
          const visitor = new Visitor(web.url);
          const { href, product } = await timed(() => visitor.openFrontPage());
          await timed(async () => await (await visitor.fetch(href)).text());
          expected.add(await timed(() => visitor.placeOrder(product)));
          clickers.push(visitor.userId);
        };
        for (let i = 0; i < 8; i++) await visit();
        // Keep the broker away until the producer has seen a send fail (kafkajs's own
        // retries are short), then serve more pages while it backs off and retries.
        const deadline = Date.now() + 30_000;
        while (web.state.producer.stats().failedSends === 0 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        for (let i = 0; i < 7; i++) await visit();
        const stats = web.state.producer.stats();
        // In memory or, past the short wait, in the durable spool.
        const waiting = stats.queued + (stats.spool?.records ?? 0);
        assert.ok(waiting >= 30, `queued ${stats.queued}, spooled ${stats.spool?.records}`);
        assert.equal(stats.dropped, 0);
        assert.ok(stats.failedSends > 0);
        assert.equal(stats.connected, false);
        assert.ok(stats.lastError);
        // A page waits at most ~50 ms on Kafka; 1 s leaves room for a loaded machine
        // while still failing if a request blocked on the broker's absence.
        const slowest = Math.max(...durations);
        assert.ok(slowest < 1_000, `slowest request ${slowest.toFixed(0)} ms`);

        broker = await startLocalKafka({ port });
        reader = await TopicReader.start(brokers, topic);
        const r = reader;
        // The topic is at-least-once: a batch re-sent after an ambiguous failure arrives
        // twice. What must hold is that every event arrives at least once, by order_id.
        await r.waitFor("every order placed during the outage", (events) => {
          const orders = new Set(events.filter((e) => e.title === "order").map((e) => e.order_id));
          return [...expected].every((id) => orders.has(id));
        }, 60_000);
        await r.waitFor(
          "every visitor's show and click made during the outage",
          () =>
            clickers.every((userId) => {
              const titles = r.of(userId).map((e) => e.title);
              return titles.includes("banner_show") && titles.includes("banner_click");
            }),
        );
        assert.ok(await web.state.producer.flush(10_000));
        const after = web.state.producer.stats();
        assert.equal(after.queued, 0);
        assert.equal(after.spool?.records, 0);
        assert.equal(after.spool?.refused, 0);
        assert.equal(after.dropped, 0);
        assert.ok(after.failedSends > 0);
        assert.equal(after.connected, true);

        // Nothing else arrived: one distinct event per visitor and step, and only these.
        const produced = 1 + clickers.length * 3;
        const onTopic = await messagesOn(brokers, topic);
        assert.ok(onTopic >= after.delivered, `${onTopic} messages for ${after.delivered} sent`);
        await r.waitFor(`all ${onTopic} messages on the topic`, () => r.messages === onTopic);
        console.log(
          `topic: ${r.messages} messages, ${r.events.length} distinct events, ` +
            `${r.duplicates} duplicate(s) from producer re-sends`,
        );
        assert.deepEqual(r.invalid, []);
        assert.equal(r.events.length, produced);
        assert.deepEqual(r.of(before.userId).map((e) => e.order_id), [firstOrder]);
        for (const userId of clickers) {
          const events = r.of(userId);
          assert.deepEqual(events.map((e) => e.title).sort(), [
            "banner_click",
            "banner_show",
            "order",
          ]);
          assert.ok(expected.has(events.find((e) => e.title === "order")!.order_id));
        }

        // Through the worker, Postgres holds each distinct event exactly once, duplicates
        // on the topic included.
        const worker = await startIngestWorker({
          databaseUrl: db.url,
          kafkaBrokers: brokers,
          topic,
          mergeIntervalMs: 0,
          log: () => {},
        });
        try {
          await waitFor(
            async () => {
              const [row] = await db.sql`select coalesce(sum(next_offset), 0)::int8 as n
              from ingest_offsets where topic = ${topic}`;
              return row.n === onTopic;
            },
            30_000,
            "the worker to store every message on the topic",
          );
        } finally {
          await worker.stop();
        }
        const stored = await db.sql`select replace(order_id::text, '-', '') as id from events`;
        assert.deepEqual(
          stored.map((row) => row.id as string).sort(),
          r.events.map((e) => e.order_id).sort(),
        );
        const report = await checkInvariant(db.sql);
        assert.deepEqual(report.violations, []);
        assert.equal(report.events, produced);
      } finally {
        await web.close();
      }
    } finally {
      await reader?.close();
      await stopLocalKafka(broker);
      await Deno.remove(kafkaDataDir(port), { recursive: true }).catch(() => {});
    }
  },
});

/** Messages on `topic`, every copy included: the sum of its partitions' end offsets. */
async function messagesOn(brokers: string[], topic: string): Promise<number> {
  const admin = createKafka(brokers, { clientId: "shop-test-offsets" }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}
