/**
 * A batch blocked on a lock past its timeout: Postgres cancels it (the worker's backends
 * do not pile up beside retries on a new pool), the worker keeps heartbeating through
 * it (no rebalance, though the lock outlasts the session), and everything lands once
 * the lock is released.
 */
import assert, { deepEqual as assertEquals } from "node:assert/strict";
import { startIngestWorker } from "../workers/ingest.ts";
import { DEFAULT_SESSION_TIMEOUT_MS } from "../lib/ingest/worker.ts";
import { checkInvariant } from "../lib/rollups/invariant.ts";
import { ROLLUP } from "../lib/rollups/schema.ts";
import { connect, databaseName } from "../lib/db/client.ts";
import { sessionBounds } from "../lib/kafka/client.ts";
import { sleep } from "../lib/core/async.ts";
import { createTestDatabase, createTestTopic } from "./support/services.ts";
import { eventCount, eventMessages, produce, randomEvent, waitFor } from "./support/ingest.ts";

Deno.test({
  name: "a batch blocked on a table lock past its timeout is cancelled, heartbeats go on, " +
    "nothing is lost",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using db = await createTestDatabase("ingest_lock");
    await using topic = await createTestTopic("ingest_lock");
    const bounds = await sessionBounds(topic.brokers);
    const session = Math.max(DEFAULT_SESSION_TIMEOUT_MS, bounds.minMs);
    // One blocked attempt outlasts the session: without beats inside the batch the
    // coordinator would drop the member.
    const batchTimeoutMs = session + 2_000;
    const concurrency = 2;
    const logs: string[] = [];
    const worker = await startIngestWorker({
      databaseUrl: db.url,
      kafkaBrokers: topic.brokers,
      topic: topic.topic,
      mergeIntervalMs: 0,
      partitionsConsumedConcurrently: concurrency,
      batchTimeoutMs,
      log: (line) => logs.push(line),
    });
    const locker = connect(db.url, { max: 1, applicationName: "ecommerce-test-locker" });
    try {
      assertEquals(worker.sessionTimeoutMs, session);
      await produce(
        topic.brokers,
        topic.topic,
        eventMessages(
          Array.from({ length: 1_000 }, () => randomEvent()),
        ),
      );
      await waitFor(async () => (await eventCount(db.sql)) === 1_000, 30_000, "first events");
      const joinsBefore = logs.filter((line) => line.startsWith("Joined group")).length;
      assertEquals(joinsBefore, 1);

      const held = await locker.reserve();
      await held`begin`;
      await held.unsafe(`lock table ${ROLLUP.hourly.table} in access exclusive mode`);
      await produce(
        topic.brokers,
        topic.topic,
        eventMessages(
          Array.from({ length: 2_000 }, () => randomEvent()),
        ),
      );
      // Two timeouts and a half: retries run while the first attempt would still wait.
      const holdUntil = Date.now() + 2.5 * batchTimeoutMs;
      let mostWaiting = 0;
      let mostBackends = 0;
      while (Date.now() < holdUntil) {
        const [row] = await db.sql`
          select count(*)::int as backends,
            count(*) filter (where wait_event_type = 'Lock')::int as waiting
          from pg_stat_activity
          where datname = ${databaseName(db.url)} and application_name = 'ecommerce-worker'`;
        mostWaiting = Math.max(mostWaiting, row.waiting);
        mostBackends = Math.max(mostBackends, row.backends);
        await sleep(200);
      }
      assertEquals(await eventCount(db.sql), 1_000, "nothing stored while the lock is held");
      await held`rollback`;
      held.release();

      await waitFor(async () => (await eventCount(db.sql)) === 3_000, 60_000, "all events");
      // Batches did wait on the lock, and were cancelled at the timeout, not left waiting.
      assert(mostWaiting >= 1, "no batch waited on the lock");
      assert(
        logs.some((line) => line.includes("canceling statement due to statement timeout")),
        logs.join("\n"),
      );
      assert(mostWaiting <= concurrency, `${mostWaiting} backends waited on the lock`);
      assert(mostBackends <= concurrency + 2, `${mostBackends} worker backends (pool max 4)`);
      const joins = logs.filter((line) => line.startsWith("Joined group")).length;
      assertEquals(joins, 1, `rebalanced while blocked:\n${logs.join("\n")}`);
    } finally {
      await locker.end({ timeout: 1 });
      await worker.stop();
    }
    const report = await checkInvariant(db.sql);
    assertEquals(report.violations, []);
    assertEquals(report.events, 3_000);
  },
});
