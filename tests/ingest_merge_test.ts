/**
 * The rollup merge against the real database: folding while the worker ingests,
 * never changing what a concurrent reader sees, expiring old minute rows, and one
 * merger at a time.
 */
import assert, { deepEqual as assertEquals } from "node:assert/strict";
import { startIngestWorker } from "../workers/ingest.ts";
import { checkInvariant } from "../lib/rollups/invariant.ts";
import { MERGE_LOCK_ID, mergeRollups } from "../lib/rollups/merge.ts";
import { ROLLUPS } from "../lib/rollups/schema.ts";
import { storeEvents } from "../lib/rollups/store.ts";
import type { Sql } from "../lib/db/client.ts";
import { createTestDatabase, createTestTopic } from "./support/services.ts";
import { eventMessages, produce, randomEvent, waitFor } from "./support/ingest.ts";

/** Per-key sums of every rollup, read in one statement (one snapshot). */
async function keySums(sql: Sql): Promise<Map<string, number>> {
  const rows = await sql`
    select 'd' || day::text as k, product, site_version, title, sum(n)::int8 as n
    from rollup_daily group by 1, 2, 3, 4
    union all
    select 'h' || hour::text, product, site_version, title, sum(n)::int8
    from rollup_hourly group by 1, 2, 3, 4
    union all
    select 'm' || minute::text, product, site_version, title, sum(n)::int8
    from rollup_minute group by 1, 2, 3, 4`;
  return new Map(rows.map((r) => [`${r.k}|${r.product}|${r.site_version}|${r.title}`, r.n]));
}

async function rowCounts(sql: Sql): Promise<Record<string, { rows: number; keys: number }>> {
  const counts: Record<string, { rows: number; keys: number }> = {};
  for (const { table, time } of ROLLUPS) {
    const [row] = await sql`
      select count(*)::int8 as rows,
        count(distinct (${sql(time)}, product, site_version, title))::int8 as keys
      from ${sql(table)}`;
    counts[table] = row as unknown as { rows: number; keys: number };
  }
  return counts;
}

Deno.test({
  name: "merge folds rollup rows while the worker ingests, and readers never see a sum change",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using db = await createTestDatabase("ingest_merge");
    await using topic = await createTestTopic("ingest_merge");
    const worker = await startIngestWorker({
      databaseUrl: db.url,
      kafkaBrokers: topic.brokers,
      topic: topic.topic,
      mergeIntervalMs: 0,
      log: () => {},
    });
    const total = 40_000;
    let merged = 0;
    let checks = 0;
    try {
      // Phase 1: ingest in small chunks (many partial rows per key) while merging, and
      // check the invariant in snapshots all along.
      const events = Array.from({ length: total }, () => randomEvent(20));
      const messages = eventMessages(events);
      let producing = true;
      const producer = (async () => {
        for (let i = 0; i < total; i += 1_000) {
          await produce(topic.brokers, topic.topic, messages.slice(i, i + 1_000));
        }
        producing = false;
      })();
      while (producing || checks < 3) {
        const round = await mergeRollups(db.sql, { keysPerStatement: 50 });
        assert(round.ran);
        merged += Object.values(round.tables).reduce((s, t) => s + t.rowsRemoved, 0);
        const report = await checkInvariant(db.sql);
        assertEquals(report.violations, []);
        checks++;
      }
      await producer;
      await waitFor(async () => (await checkInvariant(db.sql)).events === total, 30_000, "all");
    } finally {
      await worker.stop();
    }
    assert(merged > 0, "the merge folded rows during ingestion");
    assert(checks >= 3);

    // Phase 2: ingestion stopped, partial rows appended in many small batches; a READ
    // COMMITTED reader polls the per-key sums while a merge runs: every read equals
    // the sums before the merge.
    for (let i = 0; i < 20; i++) {
      await storeEvents(db.sql, Array.from({ length: 200 }, () => randomEvent(20)), "UTC");
    }
    const before = await rowCounts(db.sql);
    assert(before.rollup_minute.rows > before.rollup_minute.keys, "partial rows to fold");
    const expected = await keySums(db.sql);
    let reading = true;
    let reads = 0;
    const reader = (async () => {
      while (reading) {
        assertEquals(await keySums(db.sql), expected);
        reads++;
      }
    })();
    try {
      const round = await mergeRollups(db.sql, { keysPerStatement: 7 });
      assert(round.ran);
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      reading = false;
      await reader;
    }
    assert(reads >= 2, `only ${reads} reads during the merge`);
    const after = await rowCounts(db.sql);
    for (const { table } of ROLLUPS) {
      assertEquals(after[table].rows, after[table].keys, `${table}: one row per key`);
      assertEquals(after[table].keys, before[table].keys);
    }
    assertEquals(await keySums(db.sql), expected);
    const report = await checkInvariant(db.sql);
    assertEquals(report.violations, []);
    assertEquals(report.events, total + 4_000);
  },
});

Deno.test("merge drops minute rows older than 48 hours and keeps the rest", async () => {
  await using db = await createTestDatabase("ingest_merge_old");
  const now = Date.now();
  const recent = Array.from({ length: 200 }, () => randomEvent(60, now));
  await storeEvents(db.sql, recent, "UTC");
  // Rows as they were written two and a half days ago, now outside the window.
  await db.sql`
    insert into rollup_minute (minute, product, site_version, title, n)
    values (date_trunc('minute', now() - interval '60 hours'), 'clothes', 'mobile', 'order', 3),
           (date_trunc('minute', now() - interval '49 hours'), 'clothes', 'mobile', 'order', 2)`;
  const result = await mergeRollups(db.sql);
  assertEquals(result.expiredMinuteRows, 2);
  const [{ n }] = await db.sql`select coalesce(sum(n), 0)::int8 as n from rollup_minute`;
  assertEquals(n, 200);
  assertEquals((await checkInvariant(db.sql)).violations, []);
});

Deno.test("merge skips the round while another process holds the merge lock", async () => {
  await using db = await createTestDatabase("ingest_merge_lock");
  await storeEvents(db.sql, [randomEvent()], "UTC");
  await storeEvents(db.sql, [randomEvent()], "UTC");
  const other = await db.sql.reserve();
  try {
    await other`select pg_advisory_lock(${MERGE_LOCK_ID})`;
    const skipped = await mergeRollups(db.sql);
    assertEquals(skipped.ran, false);
    await other`select pg_advisory_unlock(${MERGE_LOCK_ID})`;
  } finally {
    other.release();
  }
  const ran = await mergeRollups(db.sql);
  assert(ran.ran);
});

Deno.test("deno task merge --check folds rows and verifies the invariant", async () => {
  await using db = await createTestDatabase("ingest_merge_cli");
  const event = randomEvent();
  await storeEvents(db.sql, [event], "UTC");
  await storeEvents(db.sql, [{ ...event, order_id: randomEvent().order_id }], "UTC");
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../scripts/merge.ts", import.meta.url).pathname, "--check"],
    env: { DATABASE_URL: db.url },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(run.stdout);
  assertEquals(run.code, 0, new TextDecoder().decode(run.stderr));
  assert(out.includes("rollup_daily: folded 1 keys, 1 rows fewer"), out);
  assert(out.includes("Invariant holds: 2 events"), out);
  // A broken invariant makes it fail.
  await db.sql`update rollup_daily set n = n + 1`;
  const bad = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../scripts/merge.ts", import.meta.url).pathname, "--check"],
    env: { DATABASE_URL: db.url },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(bad.code, 1);
  assert(new TextDecoder().decode(bad.stderr).includes("Invariant violated for 1 keys"));
});
