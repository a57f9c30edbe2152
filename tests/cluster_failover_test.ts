// A private three-node KRaft cluster, shared by the cases below: topics get three
// replicas and min.insync.replicas=2; then, under shop traffic with the ingest worker
// running, the broker leading the busiest partitions is SIGKILLed: every event the shop
// accepted reaches Postgres exactly once, and the time from the kill until the worker
// stores new events of the partitions the dead broker led is printed. Finally the dead
// node comes back and catches up.
import assert from "node:assert/strict";
import { readConfig } from "../lib/process/config.ts";
import type { Sql } from "../lib/db/client.ts";
import { createKafka, dlqTopic, ensureTopics, TOPIC_PARTITIONS } from "../lib/kafka/client.ts";
import { startWebServer } from "../main.ts";
import { startIngestWorker } from "../lib/ingest/worker.ts";
import { checkInvariant } from "../lib/rollups/invariant.ts";
import { createTestDatabase, startTestCluster, uniqueName } from "./support/services.ts";
import { waitFor } from "./support/ingest.ts";
import { Visitor } from "./support/shop.ts";

/** Concurrent visitors, each placing one order after another until told to stop. */
const VISITOR_LOOPS = 4;

Deno.test({
  name: "a three-broker cluster loses a leader under shop traffic and nothing is lost or doubled",
  // kafkajs keeps timers and sockets past disconnect.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using cluster = await startTestCluster({ brokers: 3 });
    const topic = uniqueName("test_cluster");

    await t.step("topics get three replicas and min.insync.replicas=2", async () => {
      await ensureTopics(cluster.brokers, topic);
      const admin = createKafka(cluster.brokers, { clientId: "cluster-test" }).admin();
      await admin.connect();
      try {
        const metadata = await admin.fetchTopicMetadata({
          topics: [topic, dlqTopic(topic), "__consumer_offsets"],
        });
        for (const { name, partitions } of metadata.topics) {
          if (name !== "__consumer_offsets") assert.equal(partitions.length, TOPIC_PARTITIONS);
          for (const p of partitions) {
            assert.equal(p.replicas.length, 3, `${name}[${p.partitionId}] replicas`);
            assert.equal(p.isr.length, 3, `${name}[${p.partitionId}] in-sync replicas`);
          }
        }
        const configs = await admin.describeConfigs({
          includeSynonyms: false,
          resources: [topic, dlqTopic(topic)].map((name) => ({
            type: TOPIC_RESOURCE,
            name,
            configNames: ["min.insync.replicas"],
          })),
        });
        for (const resource of configs.resources) {
          assert.deepEqual(
            resource.configEntries.map((e) => [e.configName, e.configValue]),
            [["min.insync.replicas", "2"]],
            resource.resourceName,
          );
        }
      } finally {
        await admin.disconnect();
      }
    });

    let victim = 0;
    await t.step(
      "kill -9 of the busiest leader: every accepted event stored exactly once",
      async () => {
        await using db = await createTestDatabase("cluster");
        const web = await startWebServer({
          config: {
            // One address sends all the traffic: lift the per-address limits.
            ...readConfig({
              SHOP_ADDRESS_LIMITS: "show=1000000/s,click=1000000/s,order=1000000/s",
            }),
            port: 0,
            kafkaTopic: topic,
          },
          databaseUrl: db.url,
          kafkaBrokers: cluster.brokers,
        });
        const workerLog: string[] = [];
        const worker = await startIngestWorker({
          databaseUrl: db.url,
          kafkaBrokers: cluster.brokers,
          topic,
          mergeIntervalMs: 0,
          log: (line) => workerLog.push(`${new Date().toISOString()} ${line}`),
        });
        const visitors: { userId: string; orderId: string }[] = [];
        let trafficOn = true;
        const loops = Array.from({ length: VISITOR_LOOPS }, async () => {
          while (trafficOn) {
            const visitor = new Visitor(web.url);
            const { href, product } = await visitor.openFrontPage();
            await (await visitor.fetch(href)).body?.cancel();
            visitors.push({ userId: visitor.userId, orderId: await visitor.placeOrder(product) });
          }
        });
        try {
          // Traffic on every partition, stored, before anything breaks.
          await waitFor(
            () =>
              storedOffsets(db.sql, topic).then((o) =>
                o.size === TOPIC_PARTITIONS &&
                [...o.values()].every((n) => n > 20)
              ),
            60_000,
            "events stored on every partition",
          );

          const before = await leadership(cluster.brokers, topic);
          const load = new Map<number, number>();
          for (const p of before) load.set(p.leader, (load.get(p.leader) ?? 0) + p.end);
          victim = [...load.entries()].sort((a, b) => b[1] - a[1])[0][0];
          const led = before.filter((p) => p.leader === victim);
          const survivors = cluster.brokers.filter((_, i) => i + 1 !== victim);

          const visitsAtKill = visitors.length;
          const killedAt = performance.now();
          await cluster.kill(victim);
          // Recovered once the worker stored an offset past the end each partition the
          // dead broker led had at the kill: events produced after it, through a new
          // leader, read by the worker and committed to Postgres.
          let leadersMovedMs: number | undefined;
          await waitFor(
            async () => {
              if (leadersMovedMs === undefined) {
                const now = await leadership(survivors, topic).catch(() => []);
                if (now.length && now.every((p) => p.leader !== victim && p.leader >= 0)) {
                  leadersMovedMs = performance.now() - killedAt;
                }
              }
              const stored = await storedOffsets(db.sql, topic);
              return led.every((p) => (stored.get(p.partition) ?? 0) > p.end);
            },
            90_000,
            "the worker to store new events of the dead leader's partitions",
            100,
          );
          const recoveryMs = performance.now() - killedAt;
          const acceptedAtRecovery = visitors.length;

          // More traffic on two brokers, then drain everything.
          await new Promise((resolve) => setTimeout(resolve, 2_000));
          trafficOn = false;
          await Promise.all(loops);
          assert.ok(await web.state.producer.flush(30_000), "the shop's producer drained");
          const stats = web.state.producer.stats();
          assert.equal(stats.dropped, 0);
          assert.equal(stats.queued, 0);
          const onTopic = await messagesOn(survivors, topic);
          await waitFor(
            async () => {
              const stored = await storedOffsets(db.sql, topic);
              return [...stored.values()].reduce((a, b) => a + b, 0) === onTopic;
            },
            60_000,
            `the worker to store all ${onTopic} messages on the topic`,
          );

          const produced = visitors.length * 3;
          const [row] = await db.sql`select count(*)::int8 as n,
          count(distinct order_id)::int8 as distinct_ids from events`;
          console.log(
            `killed node ${victim} (leader of partitions ${
              led.map((p) => p.partition).join(", ")
            }` +
              ` of ${TOPIC_PARTITIONS}); leaders moved after ${fmt(leadersMovedMs)}, worker ` +
              `consuming those partitions again after ${fmt(recoveryMs)}; ${produced} events ` +
              `accepted (${acceptedAtRecovery * 3} by then), ${onTopic} messages on the topic ` +
              `(${onTopic - produced} producer re-sends), ${row.n} rows stored, ` +
              `${stats.failedSends} failed sends retried, ${stats.delivered} delivered; ` +
              `${visitsAtKill} visits before the kill`,
          );
          // Each visit's three events, once each, and the order id the visitor was shown.
          const rows = await db.sql`select replace(user_id::text, '-', '') as user_id, title,
          replace(order_id::text, '-', '') as order_id from events`;
          const byUser = new Map<string, { titles: string[]; orders: string[] }>();
          for (const r of rows) {
            const entry = byUser.get(r.user_id) ?? { titles: [], orders: [] };
            entry.titles.push(r.title);
            if (r.title === "order") entry.orders.push(r.order_id);
            byUser.set(r.user_id, entry);
          }
          const missing = visitors.flatMap(({ userId, orderId }, visit) => {
            const entry = byUser.get(userId);
            const titles = entry?.titles ?? [];
            return [
              ...["banner_show", "banner_click", "order"].filter((t) => !titles.includes(t)),
              ...(titles.includes("order") && !entry?.orders.includes(orderId) ? ["order id"] : []),
            ].map((what) => `visit ${visit} (${userId}): ${what}`);
          });
          assert.deepEqual(missing, [], `producer delivered ${stats.delivered}`);
          assert.equal(row.n, produced, "rows stored");
          assert.equal(row.distinct_ids, produced, "distinct order ids stored");
          assert.equal(byUser.size, visitors.length);
          for (const { userId, orderId } of visitors) {
            const entry = byUser.get(userId);
            assert.deepEqual(
              entry?.titles.sort(),
              ["banner_click", "banner_show", "order"],
              userId,
            );
            assert.deepEqual(entry?.orders, [orderId]);
          }
          const report = await checkInvariant(db.sql);
          assert.deepEqual(report.violations, []);
          assert.equal(report.events, produced);
        } catch (error) {
          console.error(workerLog.join("\n"));
          throw error;
        } finally {
          trafficOn = false;
          await Promise.allSettled(loops);
          await worker.stop();
          await web.close();
        }
      },
    );

    await t.step("the killed node comes back and every replica is in sync again", async () => {
      assert.ok(victim > 0, "a node was killed");
      await cluster.restart(victim);
      await waitFor(
        async () => {
          const admin = createKafka(cluster.brokers, { clientId: "cluster-test" }).admin();
          await admin.connect();
          try {
            const { topics } = await admin.fetchTopicMetadata({ topics: [topic, dlqTopic(topic)] });
            return topics.every((t) => t.partitions.every((p) => p.isr.length === 3));
          } finally {
            await admin.disconnect();
          }
        },
        60_000,
        "all three replicas of every partition in sync",
      );
    });
  },
});

/** kafkajs's `ConfigResourceTypes.TOPIC`. */
const TOPIC_RESOURCE = 2;

interface PartitionLead {
  partition: number;
  leader: number;
  /** The partition's end offset (high watermark). */
  end: number;
}

/** Each partition's leader and end offset, from `brokers`. */
async function leadership(brokers: string[], topic: string): Promise<PartitionLead[]> {
  const admin = createKafka(brokers, { clientId: "cluster-test", probe: true, quiet: true })
    .admin();
  await admin.connect();
  try {
    const [{ partitions }] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    const ends = new Map(
      (await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]),
    );
    return partitions.map((p) => ({
      partition: p.partitionId,
      leader: p.leader,
      end: ends.get(p.partitionId) ?? 0,
    }));
  } finally {
    await admin.disconnect();
  }
}

/** Messages on `topic`, every copy included: the sum of its partitions' end offsets. */
async function messagesOn(brokers: string[], topic: string): Promise<number> {
  return (await leadership(brokers, topic)).reduce((sum, p) => sum + p.end, 0);
}

/** The next offset the worker committed to Postgres, per partition. */
async function storedOffsets(sql: Sql, topic: string): Promise<Map<number, number>> {
  const rows = await sql`select partition, next_offset::int8 as n from ingest_offsets
    where topic = ${topic}`;
  return new Map(rows.map((r) => [r.partition as number, Number(r.n)]));
}

function fmt(ms: number | undefined): string {
  return ms === undefined ? "(not seen)" : `${(ms / 1000).toFixed(1)} s`;
}
