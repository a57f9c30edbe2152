import assert from "node:assert/strict";
import { connect } from "./client.ts";
import { migrate, type Migration, readMigrations } from "./migrate.ts";
import { createTestDatabase } from "../../tests/support/services.ts";

const fixture: Migration[] = [
  { version: 1, name: "001_a.sql", sql: "create table applied_log (name text);" },
  {
    version: 2,
    name: "002_b.sql",
    // pg_sleep widens the window in which a second starter could slip in.
    sql: "select pg_sleep(0.3); insert into applied_log values ('002');",
  },
  { version: 3, name: "003_c.sql", sql: "insert into applied_log values ('003');" },
];

Deno.test("migrations are applied once, in order, under two concurrent starters", async () => {
  await using db = await createTestDatabase("migrate", { migrated: false });
  const first = connect(db.url, { max: 1 });
  const second = connect(db.url, { max: 1 });
  try {
    const [a, b] = await Promise.all([migrate(first, fixture), migrate(second, fixture)]);
    // One starter applied all three; the other found nothing left to do.
    assert.deepEqual([a, b].map((list) => list.length).sort(), [0, 3]);
    const log = await db.sql`select name from applied_log`;
    assert.deepEqual(log.map((row) => row.name), ["002", "003"]);
    const recorded = await db.sql`
      select version, name from schema_migrations order by version`;
    assert.deepEqual(recorded.map((row) => row.name), ["001_a.sql", "002_b.sql", "003_c.sql"]);
    assert.deepEqual(await migrate(first, fixture), []);
  } finally {
    await first.end();
    await second.end();
  }
});

Deno.test("a failing migration names its file and leaves nothing half-applied", async () => {
  await using db = await createTestDatabase("migrate_fail", { migrated: false });
  const broken: Migration[] = [
    { version: 1, name: "001_ok.sql", sql: "create table kept (x int);" },
    { version: 2, name: "002_broken.sql", sql: "create table t (x int); select nonsense;" },
  ];
  await assert.rejects(migrate(db.sql, broken), /Cannot apply migration "002_broken\.sql"/);
  const [row] = await db.sql`select to_regclass('kept') as kept, to_regclass('t') as t`;
  assert.equal(row.kept, null);
  assert.equal(row.t, null);
});

Deno.test("the repository's migrations are numbered uniquely and create the contract's tables", async () => {
  const migrations = await readMigrations();
  assert.ok(migrations.length >= 2);
  await using db = await createTestDatabase("schema");
  const tables = await db.sql`
    select table_name from information_schema.tables where table_schema = 'public'`;
  const names = new Set(tables.map((row) => row.table_name));
  for (
    const table of [
      "events",
      "rollup_daily",
      "rollup_hourly",
      "rollup_minute",
      "ingest_offsets",
      "rejected_events",
    ]
  ) {
    assert.ok(names.has(table), `missing table ${table}`);
  }
  const columns = await db.sql`
    select column_name from information_schema.columns
    where table_name = 'events' order by ordinal_position`;
  assert.deepEqual(columns.map((row) => row.column_name).slice(0, 9), [
    "order_id",
    "user_id",
    "page_id",
    "product",
    "site_version",
    "event_time",
    "title",
    "target",
    "ingested_at",
  ]);
});
