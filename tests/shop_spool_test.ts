// Durable before confirmed (issue 13): the broker goes down, the shop keeps serving
// orders, views and clicks, and the web process is SIGKILLed in the middle of that
// traffic; then the broker and the web process come back. Every order answered "went
// through" (303) and every view (204) and click (product page served) the shop accepted
// must reach Postgres through the ingest worker exactly once: the killed process had put
// them in its fsync'd spool, and the new one drains it on start. A private broker on a
// port of this test's own, a `deno run main.ts` child process, the real worker.
import assert from "node:assert/strict";
import { createKafka, ensureTopics } from "../lib/kafka/client.ts";
import { kafkaDataDir, startLocalKafka, stopLocalKafka } from "../lib/services/kafka_local.ts";
import { isListening } from "../lib/services/net.ts";
import { startIngestWorker } from "../lib/ingest/worker.ts";
import { checkInvariant } from "../lib/rollups/invariant.ts";
import { createTestDatabase, uniqueName } from "./support/services.ts";
import { waitFor } from "./support/ingest.ts";
import { orderRefusal, startTestShop, Visitor } from "./support/shop.ts";
import { Spool } from "../lib/shop/spool.ts";
import { startWebProcess, type WebProcess } from "./support/web_process.ts";

/** This test's broker (and its controller one port up), in the range given to it. */
const BROKER_PORT = 22_140;

interface Made {
  userId: string;
  /** The beacon answered 204: the view was accepted. */
  show: boolean;
  /** The product page opened from the ad was served: the click was accepted. */
  click: boolean;
  /** The order answered 303: confirmed to the visitor. */
  order?: string;
}

/** One visitor's funnel: view (beacon), click, order; records what the shop confirmed. */
async function funnel(base: string, made: Made[], latencies: number[]): Promise<void> {
  // Each visitor from its own address (the shop trusts loopback as its proxy), so the
  // beacon's per-address flood limit does not refuse this test's pace.
  const address = `10.${(Math.random() * 256) | 0}.${(Math.random() * 256) | 0}.${
    1 + ((Math.random() * 254) | 0)
  }`;
  const visitor = new Visitor(base, undefined, address);
  const { impression, href, product } = await visitor.openFrontPage();
  const entry: Made = { userId: visitor.userId, show: false, click: false };
  made.push(entry);
  const beacon = await visitor.beacon(impression);
  await beacon.body?.cancel();
  entry.show = beacon.status === 204;
  const page = await visitor.fetch(href);
  const html = await page.text();
  entry.click = page.status === 200 && html.includes('name="csrf"');
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1];
  const started = performance.now();
  const response = await visitor.order({ csrf, product });
  await response.body?.cancel();
  latencies.push(performance.now() - started);
  if (response.status === 303) {
    entry.order = /^\/order\/([0-9a-f]{32})\?/.exec(response.headers.get("location")!)![1];
  } else {
    assert.equal(response.status, 503, `POST /order answered ${response.status}`);
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

async function healthz(web: WebProcess) {
  const response = await fetch(`${web.url}/healthz`);
  return await response.json() as {
    producer: { connected: boolean; queued: number; spool: Record<string, number> };
  };
}

Deno.test({
  name: "a web process SIGKILLed while the broker is down loses nothing it confirmed",
  // kafkajs keeps timers and sockets past disconnect.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    for (const port of [BROKER_PORT, BROKER_PORT + 1]) {
      assert.ok(!await isListening("127.0.0.1", port), `port ${port} is taken`);
    }
    let broker = await startLocalKafka({ port: BROKER_PORT, heap: "384m" });
    const brokers = [`127.0.0.1:${BROKER_PORT}`];
    const topic = uniqueName("test_shop_spool");
    const spoolDir = await Deno.makeTempDir({ prefix: "shop_spool_" });
    await using db = await createTestDatabase("shop_spool");
    const env = {
      DATABASE_URL: db.url,
      KAFKA_BROKERS: brokers.join(","),
      KAFKA_TOPIC: topic,
      SHOP_SPOOL_DIR: spoolDir,
      TRUST_PROXY: "loopback",
    };
    let web: WebProcess | undefined;
    try {
      await ensureTopics(brokers, topic);
      web = await startWebProcess(env);
      const made: Made[] = [];
      const up: number[] = [];
      for (let i = 0; i < 20; i++) await funnel(web.url, made, up);
      assert.ok(made.every((m) => m.order), "orders go through with the broker up");

      await stopLocalKafka(broker);
      const downSequential: number[] = [];
      const down: number[] = [];
      // Sequential visitors first (latency comparable with the broker up): every one of
      // them finishes before the kill.
      for (let i = 0; i < 20; i++) await funnel(web.url, made, downSequential);
      // Then four visitor loops, killed in mid-flight.
      let stop = false;
      const loops = Array.from({ length: 4 }, async () => {
        while (!stop) await funnel(web!.url, made, down).catch(() => {});
      });
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const health = await healthz(web);
      assert.equal(health.producer.connected, false);
      assert.ok(health.producer.spool.records > 0, JSON.stringify(health.producer.spool));
      assert.equal(health.producer.spool.refused, 0);
      await web.kill();
      stop = true;
      await Promise.all(loops);
      web = undefined;

      const confirmed = made.filter((m) => m.order).map((m) => m.order!);
      const downConfirmed = confirmed.length - 20;
      assert.ok(downConfirmed >= 20, `${downConfirmed} orders confirmed during the outage`);
      console.log(
        `outage: ${made.length - 20} visitors, ${downConfirmed} orders confirmed, ` +
          `${made.filter((m) => m.show).length} views and ` +
          `${made.filter((m) => m.click).length} clicks accepted, then SIGKILL; ` +
          `spool held ${health.producer.spool.records} events (${health.producer.spool.bytes} bytes) 3 s in`,
      );
      const figures = (values: number[]) =>
        `p50 ${percentile(values, 0.5).toFixed(1)} ms, p95 ${
          percentile(values, 0.95).toFixed(1)
        } ms`;
      console.log(
        `POST /order latency, one visitor at a time: broker up ${figures(up)}; broker down ` +
          `(spooled) ${figures(downSequential)}; broker down, 4 visitor loops ${figures(down)}`,
      );

      broker = await startLocalKafka({ port: BROKER_PORT, heap: "384m" });
      web = await startWebProcess(env);
      const restarted = web;
      await waitFor(
        async () => (await healthz(restarted)).producer.spool.records === 0,
        60_000,
        "the restarted web process to drain the spool",
      );
      const worker = await startIngestWorker({
        databaseUrl: db.url,
        kafkaBrokers: brokers,
        topic,
        mergeIntervalMs: 0,
        log: () => {},
      });
      try {
        const onTopic = await messagesOn(brokers, topic);
        await waitFor(
          async () => {
            const [row] = await db.sql`select coalesce(sum(next_offset), 0)::int8 as n
              from ingest_offsets where topic = ${topic}`;
            return Number(row.n) === onTopic;
          },
          60_000,
          "the worker to store every message on the topic",
        );
        const rows = await db.sql`select replace(order_id::text, '-', '') as id,
          replace(user_id::text, '-', '') as user_id, title from events`;
        const orders = new Map<string, number>();
        const perUser = new Map<string, Map<string, number>>();
        for (const row of rows) {
          if (row.title === "order") orders.set(row.id, (orders.get(row.id) ?? 0) + 1);
          const titles = perUser.get(row.user_id) ?? new Map<string, number>();
          titles.set(row.title, (titles.get(row.title) ?? 0) + 1);
          perUser.set(row.user_id, titles);
        }
        const lostOrders = confirmed.filter((id) => orders.get(id) !== 1);
        assert.deepEqual(lostOrders, [], "every confirmed order exactly once");
        const lostViews = made.filter((m) =>
          m.show && perUser.get(m.userId)?.get("banner_show") !== 1
        );
        assert.deepEqual(lostViews, [], "every accepted view exactly once");
        const lostClicks = made.filter((m) =>
          m.click && perUser.get(m.userId)?.get("banner_click") !== 1
        );
        assert.deepEqual(lostClicks, [], "every accepted click exactly once");
        // Nothing doubled and nothing from anywhere else: at most one event per visitor and
        // title (requests cut by the kill may have been kept without being answered).
        const known = new Set(made.map((m) => m.userId));
        for (const [userId, titles] of perUser) {
          assert.ok(known.has(userId), `an event of unknown visitor ${userId}`);
          for (const [title, n] of titles) assert.equal(n, 1, `${userId} ${title} ×${n}`);
        }
        const report = await checkInvariant(db.sql);
        assert.deepEqual(report.violations, []);
        console.log(
          `after restart: ${rows.length} events in Postgres from ${onTopic} messages on the topic; ` +
            `${confirmed.length} confirmed orders, all there once`,
        );
      } finally {
        await worker.stop();
      }
    } finally {
      await web?.close();
      await stopLocalKafka(broker);
      await Deno.remove(kafkaDataDir(BROKER_PORT), { recursive: true }).catch(() => {});
      await Deno.remove(spoolDir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "a full spool refuses with an honest 503, counts it, and keeps what it confirmed",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // Nothing listens here: every send fails at once, so events go straight to the spool.
    const deadBroker = `127.0.0.1:${BROKER_PORT + 10}`;
    assert.ok(!await isListening("127.0.0.1", BROKER_PORT + 10));
    const spoolDir = await Deno.makeTempDir({ prefix: "shop_spool_full_" });
    const maxBytes = 64 * 1024;
    try {
      const shop = await startTestShop(uniqueName("test_spool_full"), [deadBroker], {
        trustProxy: ["loopback"],
        shopSpool: { dir: spoolDir, maxBytes },
      });
      const confirmed: string[] = [];
      let refused: { visitor: Visitor; csrf: string; product: string; reason: string } | undefined;
      try {
        const { web } = shop;
        for (let i = 0; i < 1_000 && !refused; i++) {
          const visitor = new Visitor(web.url, undefined, `10.9.${i >> 8}.${i & 255}`);
          const csrf = await visitor.formToken("sneakers");
          const response = await visitor.order({ csrf, product: "sneakers" });
          if (response.status === 303) {
            await response.body?.cancel();
            confirmed.push(
              /^\/order\/([0-9a-f]{32})\?/.exec(response.headers.get("location")!)![1],
            );
          } else {
            assert.equal(response.status, 503);
            refused = { visitor, csrf, product: "sneakers", reason: await orderRefusal(response) };
          }
        }
        assert.ok(refused, "the spool never filled");
        assert.match(refused.reason, /your order was not placed, please try again/);
        // The form was not used up: sent again it is refused again for the same reason
        // (not "already sent").
        const again = await refused.visitor.order({ csrf: refused.csrf, product: refused.product });
        assert.equal(again.status, 503);
        assert.match(await orderRefusal(again), /not placed/);
        const stats = web.state.producer.stats();
        assert.equal(stats.spool?.records, confirmed.length);
        assert.ok((stats.spool?.refused ?? 0) >= 2, JSON.stringify(stats.spool));
        assert.ok((stats.spool?.bytes ?? Infinity) <= maxBytes);
        const health = await (await fetch(`${web.url}/healthz`)).json();
        assert.equal(health.producer.spool.refused, stats.spool?.refused);
        console.log(
          `${confirmed.length} orders spooled in ${stats.spool?.bytes} of ${maxBytes} bytes, ` +
            `then refused (${stats.spool?.refused} refusals counted)`,
        );
      } finally {
        // SIGTERM's path: the producer closes; what it spooled stays for the next start.
        await shop.close();
      }
      const reopened = await Spool.openSlot({ parent: spoolDir, log: () => {} });
      try {
        const orders = reopened.peek(10_000).map((r) => JSON.parse(r.value).order_id);
        assert.deepEqual(orders, confirmed, "every confirmed order, in order, on disk");
      } finally {
        await reopened.close();
      }
    } finally {
      await Deno.remove(spoolDir, { recursive: true }).catch(() => {});
    }
  },
});

/** Messages on `topic`, every copy included: the sum of its partitions' end offsets. */
async function messagesOn(brokers: string[], topic: string): Promise<number> {
  const admin = createKafka(brokers, { clientId: "shop-spool-test-offsets" }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}
