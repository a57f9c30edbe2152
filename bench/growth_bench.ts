/**
 * `deno task bench:growth [--points 0,2000000,8470000] [--events 100000] [--batch 2000]
 *   [--ids v7|v4] [--age-days 365]`
 *
 * Does ingest slow down as `events` grows (issue 13, point 4)? One fresh database;
 * for each point N of the curve, `events` is first filled up to N rows with SQL
 * (`generate_series`, random v4 ids, event times spread over the `--age-days` before
 * yesterday: months of past traffic, as a bulk file or a long-running shop leaves),
 * then `VACUUM (ANALYZE)` and a CHECKPOINT, then `--events` new events of the last two hours (shop traffic)
 * go through the worker's own batch transaction (`commitBatch`: COPY, rollups,
 * offsets, NOTIFY) in batches of `--batch`, one after another. It prints events/s at
 * each point and the ratio to the empty database (measured after a 20,000-event warm-up). `--ids v4` makes the new events'
 * order_ids random (the shop before UUIDv7), `v7` time-ordered (the shop now).
 *
 * Kafka is left out on purpose: the consumer's cost does not depend on the table's
 * size, and without it the run measures only what does. The filler adds no rollup
 * rows (the invariant is not the point here). The database is dropped at the end.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { connect, dropDatabase, ensureDatabase, withDatabase } from "../lib/db/client.ts";
import { migrate } from "../lib/db/migrate.ts";
import { commitBatch } from "../lib/ingest/batch.ts";
import { newId } from "../lib/core/event.ts";
import { newOrderId } from "../lib/shop/order_id.ts";
import { randomEvent } from "../tests/support/ingest.ts";

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    points: { type: "string", default: "0,2000000,8470000" },
    events: { type: "string", default: "100000" },
    batch: { type: "string", default: "2000" },
    ids: { type: "string", default: "v7" },
    "age-days": { type: "string", default: "365" },
  },
});
const POINTS = args.points.split(",").map(Number);
const EVENTS = Number(args.events);
const BATCH = Number(args.batch);
const AGE_DAYS = Number(args["age-days"]);
if (args.ids !== "v7" && args.ids !== "v4") {
  throw new Error(`--ids must be v7 or v4, not "${args.ids}"`);
}
if (POINTS.some((n, i) => !Number.isInteger(n) || n < 0 || (i > 0 && n < POINTS[i - 1]))) {
  throw new Error(`--points must be increasing row counts, not "${args.points}"`);
}
const makeId = args.ids === "v7" ? newOrderId : newId;

const base = Deno.env.get("DATABASE_URL") ?? "postgres://root@127.0.0.1:5432/postgres";
const url = withDatabase(base, `bench_growth_${newId().slice(0, 8)}`);
await ensureDatabase(url);
const sql = connect(url, { max: 2, applicationName: "ecommerce-bench-growth" });
const log = (line: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
const fmt = (n: number) => n.toLocaleString("en-US");

/** Adds rows up to `target` in statements of 1M (the partitions they need first, if any). */
async function fillTo(target: number): Promise<void> {
  const [{ partitioned }] = await sql`
    select to_regproc('events_ensure_partitions') is not null as partitioned`;
  if (partitioned) {
    await sql`select events_ensure_partitions(array(select generate_series(
      date_trunc('month', now() - make_interval(days => ${AGE_DAYS + 1})), now(),
      interval '1 month')::date))`;
  }
  for (;;) {
    const [{ n }] = await sql`select count(*)::int8 as n from events`;
    if (n >= target) return;
    const add = Math.min(1_000_000, target - Number(n));
    await sql`
      insert into events (order_id, user_id, page_id, product, site_version, event_time, title, target)
      select gen_random_uuid(), gen_random_uuid(),
        ('00000000-0000-4000-8000-0000000000' || lpad((i % 50)::text, 2, '0'))::uuid,
        (array['accessories','clothes','electronics','sneakers','sports_nutrition'])[1 + i % 5],
        (array['desktop','mobile'])[1 + i % 2],
        now() - interval '1 day' - random() * make_interval(days => ${AGE_DAYS}),
        (array['banner_show','banner_click','order'])[1 + i % 3],
        (i % 3 = 2)::int::int2
      from generate_series(1, ${add}) as i`;
    log(`filled ${fmt(Number(n) + add)} rows`);
  }
}

/** Ingests `count` fresh events in batches; returns events/s. */
async function ingestRate(count: number): Promise<number> {
  const started = performance.now();
  let stored = 0;
  for (let offset = 0; offset < count; offset += BATCH) {
    const events = Array.from(
      { length: Math.min(BATCH, count - offset) },
      () => ({ ...randomEvent(120), order_id: makeId() }),
    );
    const outcome = await commitBatch(sql, {
      topic: "bench_growth",
      partition: 0,
      nextOffset: String(nextOffset += events.length),
      events,
      rejects: [],
      timeZone: "UTC",
    });
    stored += outcome.inserted;
  }
  if (stored !== count) throw new Error(`stored ${stored} of ${count} events`);
  return count / ((performance.now() - started) / 1000);
}

let nextOffset = 0;
const curve: { rows: number; rate: number }[] = [];
try {
  await migrate(sql);
  // Warm-up (JIT, connections, the first partition, rollup keys), not measured.
  await ingestRate(Math.min(EVENTS, 20_000));
  for (const point of POINTS) {
    await fillTo(point);
    // A partitioned table's own sizes are 0: sum over it and its partitions.
    const [{ rows, bytes, indexes }] = await sql`
      select (select count(*) from events)::int8 as rows,
        coalesce(sum(pg_total_relation_size(c)), 0)::int8 as bytes,
        coalesce(sum(pg_indexes_size(c)), 0)::int8 as indexes
      from (select 'events'::regclass as c union all
        select inhrelid::regclass from pg_inherits where inhparent = 'events'::regclass) t`;
    // Months-old rows of a live system were vacuumed long ago: without this, the
    // insert-triggered autovacuum of the fresh rows competes for the same 2 cores.
    if (point > 0) await sql`vacuum (analyze) events`;
    await sql`checkpoint`;
    const rate = await ingestRate(EVENTS);
    curve.push({ rows: Number(rows), rate });
    log(
      `at ${fmt(Number(rows))} rows (${fmt(Math.round(Number(bytes) / 2 ** 20))} MB, indexes ${
        fmt(Math.round(Number(indexes) / 2 ** 20))
      } MB): ${fmt(Math.round(rate))} events/s`,
    );
  }
} finally {
  await sql.end({ timeout: 5 });
  await dropDatabase(url);
}
console.log(
  `ingest rate as events grows (ids ${args.ids}, ${
    fmt(EVENTS)
  } events per point, batches of ${BATCH}):`,
);
for (const { rows, rate } of curve) {
  console.log(
    `  ${fmt(rows).padStart(12)} rows before: ${fmt(Math.round(rate)).padStart(7)} events/s  ${
      (rate / curve[0].rate).toFixed(2)
    }x empty`,
  );
}
