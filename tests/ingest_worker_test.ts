import assert, { deepEqual as assertEquals } from "node:assert/strict";
import { startIngestWorker } from "../workers/ingest.ts";
import { checkInvariant } from "../lib/ingest/invariant.ts";
import { decodeLiveUpdate, liveChannel } from "../lib/live_update.ts";
import { createTestDatabase, createTestTopic } from "./support/services.ts";
import { eventCount, eventMessages, produce, randomEvent, waitFor } from "./ingest_support.ts";

Deno.test({
  name: "worker stores produced events, keeps the invariant and NOTIFYs within a second",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using db = await createTestDatabase("ingest_smoke");
    await using topic = await createTestTopic("ingest_smoke");
    const worker = await startIngestWorker({
      databaseUrl: db.url,
      kafkaBrokers: topic.brokers,
      topic: topic.topic,
      log: () => {},
    });
    try {
      const updates: { at: number; n: number }[] = [];
      const listener = await db.sql.listen(liveChannel(topic.topic), (payload) => {
        const update = decodeLiveUpdate(payload);
        if (update) updates.push({ at: Date.now(), n: update.d.reduce((s, d) => s + d[4], 0) });
      });
      // A few minutes of events: the deltas fit one NOTIFY payload without truncation.
      const events = Array.from({ length: 2_000 }, () => randomEvent(1));
      const started = Date.now();
      await produce(topic.brokers, topic.topic, eventMessages(events));
      await waitFor(async () => (await eventCount(db.sql)) === events.length, 20_000, "events");
      await waitFor(() => updates.reduce((s, u) => s + u.n, 0) === events.length, 5_000, "NOTIFY");
      assert(updates[0].at - started < 5_000, "the first NOTIFY came late");
      const report = await checkInvariant(db.sql);
      assertEquals(report.violations, []);
      assertEquals(report.events, events.length);
      assertEquals(report.totals.daily, events.length);
      assertEquals(report.totals.minute, events.length);
      const offsets = await db.sql`select sum(next_offset)::int8 as n from ingest_offsets`;
      assertEquals(offsets[0].n, events.length);
      await listener.unlisten();
    } finally {
      await worker.stop();
    }
    const [row] = await db.sql`select events_total, stopped_at from ingest_workers`;
    assertEquals(row.events_total, 2_000);
    assert(row.stopped_at !== null);
  },
});
