/** /healthz's ingest section against a real worker, broker and database. */
import assert, { deepEqual as assertEquals } from "node:assert/strict";
import { startIngestWorker } from "../workers/ingest.ts";
import { startWebServer } from "../main.ts";
import { readConfig } from "../lib/process/config.ts";
import { loadIngestHealth } from "../lib/ingest/health.ts";
import { createTestDatabase, createTestTopic } from "./support/services.ts";
import {
  eventMessages,
  malformedMessage,
  produce,
  randomEvent,
  waitFor,
} from "./support/ingest.ts";

Deno.test({
  name:
    "/healthz reports the running worker, its rate, last event age, zero lag and rejects by kind",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using db = await createTestDatabase("ingest_health");
    await using topic = await createTestTopic("ingest_health");
    const worker = await startIngestWorker({
      databaseUrl: db.url,
      kafkaBrokers: topic.brokers,
      topic: topic.topic,
      metricsIntervalMs: 200,
      log: () => {},
    });
    const web = await startWebServer({
      config: readConfig({ KAFKA_TOPIC: topic.topic, PORT: "0", DATABASE_URL: db.url }),
      databaseUrl: db.url,
      kafkaBrokers: topic.brokers,
    });
    try {
      const bad = [2, 2, 2, 0].map((i) => malformedMessage(i));
      await produce(topic.brokers, topic.topic, [
        ...eventMessages(Array.from({ length: 3_000 }, () => randomEvent())),
        ...bad.map((b) => ({ key: null, value: b.value })),
      ]);
      const health = await waitFor(
        async () => {
          const h = await loadIngestHealth(db.sql, { topic: topic.topic, brokers: topic.brokers });
          return h.lag?.total === 0 && h.workers[0]?.eventsTotal === 3_000 ? h : undefined;
        },
        20_000,
        "the worker to catch up and report",
      );
      assertEquals(health.workers.length, 1);
      assertEquals(health.workers[0].workerId, worker.workerId);
      assert(health.eventsPerSecond > 0, "a recent rate");
      assert(health.lastEventAgeSeconds !== null && health.lastEventAgeSeconds < 10);
      assertEquals(health.lag!.partitions.length, 6);
      assertEquals(health.lag!.partitions.reduce((s, p) => s + p.end, 0), 3_004);
      assertEquals(health.rejects, {
        total: 4,
        byKind: { "unknown product": 3, "not JSON": 1 },
      });

      const response = await fetch(`${web.url}/healthz`);
      const body = await response.json();
      assertEquals(response.status, 200);
      assertEquals(body.ingest.workers.length, 1);
      assertEquals(body.ingest.lag.total, 0);
      assertEquals(body.ingest.rejects.byKind["unknown product"], 3);

      // A stopped worker is no longer listed, and lag shows what is left unread: the
      // same figure on /healthz, in the dashboard's summary and in its live status.
      await worker.stop();
      await produce(topic.brokers, topic.topic, eventMessages([randomEvent(), randomEvent()]));
      const after = await loadIngestHealth(db.sql, { topic: topic.topic, brokers: topic.brokers });
      assertEquals(after.workers, []);
      assertEquals(after.lag?.total, 2);
      assertEquals(after.lag?.partitions.reduce((s, p) => s + (p.stored ?? 0), 0), 3_004);
      const healthz = await (await fetch(`${web.url}/healthz`)).json();
      assertEquals(healthz.ingest.lag.total, 2);
      const summary = await (await fetch(`${web.url}/api/summary?range=today`)).json();
      assertEquals(summary.lag, 2);
    } finally {
      await web.close();
      await worker.stop();
    }
  },
});
