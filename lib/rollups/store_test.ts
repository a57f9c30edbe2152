import assert from "node:assert/strict";
import { createTestDatabase } from "../../tests/support/services.ts";
import type { Sql } from "../db/client.ts";
import type { EcommerceEvent } from "../core/event.ts";
import { checkInvariant } from "./invariant.ts";
import { CopyBatch } from "./copy_batch.ts";
import { copyNewEvents, isCopyConflict, minuteDeltas, storeEvents } from "./store.ts";
import { ensurePartitions, monthOf } from "./partitions.ts";

function event(i: number, time: string, title: EcommerceEvent["title"] = "banner_show") {
  const hex = i.toString(16).padStart(32, "0");
  return {
    order_id: hex,
    user_id: hex,
    page_id: hex,
    product: i % 2 ? "clothes" : "electronics",
    site_version: i % 3 ? "desktop" : "mobile",
    time,
    title,
    target: title === "order" ? 1 : 0,
  } as EcommerceEvent;
}

// Around a New York midnight, to exercise the daily rollup's time zone.
const EVENTS = [
  event(1, "2019-03-01T04:59:10.000Z"),
  event(2, "2019-03-01T04:59:50.000Z"),
  event(3, "2019-03-01T05:00:00.000Z", "banner_click"),
  event(4, "2019-03-01T05:30:00.000Z", "order"),
  event(5, new Date(Date.now() - 60_000).toISOString()),
];

async function rollups(sql: Sql) {
  return {
    daily: await sql`
      select day::text, product, site_version, title, sum(n)::int8 as n from rollup_daily
      group by 1, 2, 3, 4 order by 1, 2, 3, 4`,
    hourly: await sql`
      select hour, product, site_version, title, sum(n)::int8 as n from rollup_hourly
      group by 1, 2, 3, 4 order by 1, 2, 3, 4`,
    minute: await sql`
      select minute, product, site_version, title, sum(n)::int8 as n from rollup_minute
      group by 1, 2, 3, 4 order by 1, 2, 3, 4`,
  };
}

Deno.test("copyNewEvents writes the same events and rollups as storeEvents", async () => {
  await using a = await createTestDatabase("store_a");
  await using b = await createTestDatabase("store_b");
  const zone = "America/New_York";
  // Writers make their months' partitions before their transaction (the worker and
  // the loader do it for every batch).
  for (const db of [a, b]) await ensurePartitions(db.sql, EVENTS.map((e) => monthOf(e.time)));
  const stored = await a.sql.begin((tx) => storeEvents(tx, EVENTS, zone));
  const copied = await b.sql.begin((tx) => copyNewEvents(tx, EVENTS, zone));
  assert.equal(stored.inserted, 5);
  assert.equal(copied.inserted, 5);
  const sortDeltas = (d: typeof stored.deltas) =>
    d.map((x) => [x.minute, x.product, x.site_version, x.title, x.n].join("|")).sort();
  assert.deepEqual(sortDeltas(copied.deltas), sortDeltas(stored.deltas));
  assert.deepEqual(await rollups(b.sql), await rollups(a.sql));
  const days = (await rollups(b.sql)).daily.map((row) => row.day);
  assert.deepEqual([...new Set(days)], ["2019-02-28", "2019-03-01", days.at(-1)]);
  assert.equal((await rollups(b.sql)).minute.length, 1);
  assert.deepEqual((await checkInvariant(b.sql, zone)).violations, []);
  const [row] = await b.sql`
    select replace(order_id::text, '-', '') as id, event_time from events where target = 1`;
  assert.equal(row.id, EVENTS[3].order_id);
  assert.equal((row.event_time as Date).toISOString(), EVENTS[3].time);
});

Deno.test("copyNewEvents fails on a stored order_id and the rollback leaves nothing", async () => {
  await using db = await createTestDatabase("store_dup");
  await ensurePartitions(db.sql, EVENTS.map((e) => monthOf(e.time)));
  await db.sql.begin((tx) => storeEvents(tx, EVENTS.slice(0, 1), "UTC"));
  await assert.rejects(
    db.sql.begin((tx) => copyNewEvents(tx, EVENTS, "UTC")),
    (error) => isCopyConflict(error),
  );
  const [{ n }] = await db.sql`select count(*)::int8 as n from events`;
  assert.equal(n, 1);
  const fallback = await db.sql.begin((tx) => storeEvents(tx, [...EVENTS, EVENTS[2]], "UTC"));
  assert.equal(fallback.inserted, 4);
  assert.deepEqual((await checkInvariant(db.sql)).violations, []);
});

Deno.test("minuteDeltas counts events per UTC minute and key", () => {
  const deltas = minuteDeltas([EVENTS[0], EVENTS[1], EVENTS[2]]);
  assert.deepEqual(deltas.map((d) => [d.minute, d.title, d.n]), [
    ["2019-03-01T04:59:00.000Z", "banner_show", 1],
    ["2019-03-01T04:59:00.000Z", "banner_show", 1],
    ["2019-03-01T05:00:00.000Z", "banner_click", 1],
  ]);
  const same = minuteDeltas([EVENTS[0], { ...EVENTS[1], product: EVENTS[0].product }]);
  assert.deepEqual(same.map((d) => d.n), [2]);
});

Deno.test("CopyBatch gives back the events it was given, and their minute counts", () => {
  const batch = new CopyBatch();
  const many = Array.from({ length: 4500 }, (_, i) => event(i + 10, EVENTS[i % 4].time, "order"));
  for (const e of many) batch.add(e);
  assert.equal(batch.size, 4500);
  // 4,500 rows of ~170 bytes need several of the 256 KB chunks; no row is split.
  const chunks = batch.chunks();
  assert.equal(chunks.length, 3);
  for (const chunk of chunks) assert.equal(chunk[chunk.length - 1], 10);
  assert.deepEqual(batch.events(), many);
  const sorted = (d: ReturnType<typeof minuteDeltas>) =>
    d.map((x) => [x.minute, x.product, x.site_version, x.title, x.n].join("|")).sort();
  assert.deepEqual(sorted(batch.counts.deltas()), sorted(minuteDeltas(many)));
});
