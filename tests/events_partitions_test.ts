// events in monthly partitions: exactly-once kept, retention drops whole months and
// keeps the rollups, and migration 010 moves an existing table's rows.
import assert from "node:assert/strict";
import { createTestDatabase } from "./support/services.ts";
import type { Sql } from "../lib/db/client.ts";
import { migrate, readMigrations } from "../lib/db/migrate.ts";
import type { EcommerceEvent } from "../lib/core/event.ts";
import { commitBatch } from "../lib/ingest/batch.ts";
import { checkInvariant } from "../lib/rollups/invariant.ts";
import { mergeRollups } from "../lib/rollups/merge.ts";
import { maintainPartitions, monthOf } from "../lib/rollups/partitions.ts";
import { randomEvent } from "./support/ingest.ts";
import { generateCsv } from "../lib/synth/csv_writer.ts";
import { loadCsv } from "../lib/load/loader.ts";

const DAY = 86_400_000;

function at(time: string): EcommerceEvent {
  return { ...randomEvent(), time };
}

async function partitions(sql: Sql): Promise<string[]> {
  const rows = await sql`select c.relname as name from pg_inherits h
    join pg_class c on c.oid = h.inhrelid where h.inhparent = 'events'::regclass order by 1`;
  return rows.map((r) => r.name as string);
}

async function dailyTotal(sql: Sql): Promise<number> {
  const [{ n }] = await sql`select coalesce(sum(n), 0)::int8 as n from rollup_daily`;
  return Number(n);
}

let offset = 0;
function batch(events: EcommerceEvent[]) {
  offset += events.length;
  return {
    topic: "t",
    partition: 0,
    nextOffset: String(offset),
    events,
    rejects: [],
    timeZone: "UTC",
  };
}

Deno.test("a batch makes its months' partitions, and a redelivery stores nothing again", async () => {
  await using db = await createTestDatabase("part_redeliver");
  // 600 events: the COPY path, then its redelivery goes through ON CONFLICT.
  const events = [
    ...Array.from({ length: 300 }, () => at("2019-10-15T12:00:00.000Z")),
    ...Array.from({ length: 300 }, () => randomEvent()),
  ];
  const first = await commitBatch(db.sql, batch(events));
  assert.equal(first.inserted, 600);
  assert.ok((await partitions(db.sql)).includes("events_p201910"));
  const again = await commitBatch(db.sql, batch([...events].reverse()));
  assert.equal(again.inserted, 0);
  const [{ n }] = await db.sql`select count(*)::int8 as n from events`;
  assert.equal(Number(n), 600);
  assert.deepEqual((await checkInvariant(db.sql)).violations, []);
  assert.equal(await dailyTotal(db.sql), 600);
});

Deno.test("retention drops whole months older than it, keeps rollups, and never recounts them", async () => {
  await using db = await createTestDatabase("part_retention");
  const now = Date.now();
  const old = [at("2020-01-10T00:00:00.000Z"), at("2020-02-20T00:00:00.000Z")];
  const recent = Array.from({ length: 5 }, () => randomEvent(60, now));
  assert.equal((await commitBatch(db.sql, batch([...old, ...recent]))).inserted, 7);

  // Forever (no retention) drops nothing; it only keeps last/this/next month there.
  assert.deepEqual(await maintainPartitions(db.sql, undefined, now), []);
  const before = await partitions(db.sql);
  assert.ok(before.includes("events_p202001") && before.includes("events_p202002"));

  const round = await mergeRollups(db.sql, { retentionMs: 400 * DAY });
  assert.deepEqual(round.retiredMonths.map((m) => m.month), ["2020-01-01", "2020-02-01"]);
  const after = await partitions(db.sql);
  assert.ok(!after.includes("events_p202001") && !after.includes("events_p202002"));
  assert.ok(after.includes(`events_p${monthOf(now).slice(0, 7).replace("-", "")}`));
  const [{ n }] = await db.sql`select count(*)::int8 as n from events`;
  assert.equal(Number(n), 5, "the recent events stay");
  assert.equal(await dailyTotal(db.sql), 7, "rollups keep the dropped months' counts");
  assert.deepEqual((await checkInvariant(db.sql)).violations, []);

  // A redelivery of the old events (and a new event of a retired month) is not stored
  // and not counted: the rollups already hold them.
  const redelivered = await commitBatch(db.sql, batch([...old, at("2020-01-11T00:00:00.000Z")]));
  assert.equal(redelivered.inserted, 0);
  assert.equal(await dailyTotal(db.sql), 7);
  assert.ok(!(await partitions(db.sql)).includes("events_p202001"), "no partition comes back");
  // A second round finds nothing more to drop.
  assert.deepEqual((await mergeRollups(db.sql, { retentionMs: 400 * DAY })).retiredMonths, []);
  const [retired] = await db.sql`select count(*)::int8 as n from events_retired_months`;
  assert.equal(Number(retired.n), 2);
});

Deno.test("a month still partly inside the retention is kept", async () => {
  await using db = await createTestDatabase("part_edge");
  const now = Date.parse("2021-03-15T00:00:00.000Z");
  await commitBatch(
    db.sql,
    batch([at("2021-02-01T00:00:00.000Z"), at("2021-01-31T23:59:59.999Z")]),
  );
  // 30 days before now is 2021-02-13: February's end is after it, January's is not.
  const dropped = await maintainPartitions(db.sql, 30 * DAY, now);
  assert.deepEqual(dropped.map((m) => m.month), ["2021-01-01"]);
  const [{ n }] = await db.sql`select count(*)::int8 as n from events`;
  assert.equal(Number(n), 1);
});

Deno.test("migration 010 moves an existing events table into monthly partitions", async () => {
  await using db = await createTestDatabase("part_migrate", { migrated: false });
  const all = await readMigrations();
  await migrate(db.sql, all.filter((m) => m.version < 10));
  const times = [
    "2019-10-01T00:00:00.000Z",
    "2019-10-31T23:59:59.000Z",
    "2019-11-01T00:00:00.000Z",
  ];
  for (const time of times) {
    const e = at(time);
    await db.sql`insert into events (order_id, user_id, page_id, product, site_version,
      event_time, title, target) values (${e.order_id}, ${e.user_id}, ${e.page_id},
      ${e.product}, ${e.site_version}, ${e.time}, ${e.title}, ${e.target})`;
  }
  const [{ ids: idsBefore }] = await db.sql`select string_agg(order_id::text, ',' order by
    order_id) as ids from events`;
  assert.deepEqual(await migrate(db.sql, all), ["010_events_partitioned.sql"]);
  const [{ ids, kind }] = await db.sql`select string_agg(order_id::text, ',' order by order_id)
    as ids, (select relkind from pg_class where relname = 'events') as kind from events`;
  assert.equal(ids, idsBefore, "every row moved, once");
  assert.equal(kind, "p");
  const parts = await partitions(db.sql);
  assert.ok(parts.includes("events_p201910") && parts.includes("events_p201911"));
  const [{ n }] = await db.sql`select count(*)::int8 as n from events_p201910`;
  assert.equal(Number(n), 2);
  const [{ old }] = await db.sql`select to_regclass('events_unpartitioned') as old`;
  assert.equal(old, null);
});

Deno.test("a file reloaded after retention dropped its months inserts and counts nothing", async () => {
  await using db = await createTestDatabase("part_reload");
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/file.csv`;
    const file = await Deno.open(path, { write: true, create: true, truncate: true });
    try {
      await generateCsv({ rows: 3_000, seed: 11 }, async (chunk) => {
        for (let done = 0; done < chunk.length;) done += await file.write(chunk.subarray(done));
      });
    } finally {
      file.close();
    }
    const first = await loadCsv(db.sql, path, { timeZone: "UTC", batchSize: 1_000 });
    assert.ok(first.loaded > 2_900, `loaded ${first.loaded}`);
    const total = await dailyTotal(db.sql);
    assert.equal(total, first.loaded);
    // The file's rows are years old: a one-day retention drops every month they are in.
    const dropped = await maintainPartitions(db.sql, DAY);
    assert.ok(dropped.length > 0);
    const [{ n }] = await db.sql`select count(*)::int8 as n from events`;
    assert.equal(Number(n), 0);
    const second = await loadCsv(db.sql, path, { timeZone: "UTC", batchSize: 1_000 });
    assert.equal(second.loaded, 0);
    assert.equal(second.duplicates, first.loaded + first.duplicates);
    assert.equal(await dailyTotal(db.sql), total, "rollups count every row once");
    assert.deepEqual((await checkInvariant(db.sql)).violations, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
