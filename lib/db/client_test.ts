import assert from "node:assert/strict";
import { connect } from "./client.ts";
import { storeEvents } from "../rollups/store.ts";
import { ensurePartitions } from "../rollups/partitions.ts";
import { newId } from "../core/event.ts";
import { createTestDatabase } from "../../tests/support/services.ts";

Deno.test("rollup hours are UTC hours even when the database's time zone has a half-hour offset", async () => {
  await using db = await createTestDatabase("db_tz");
  await db.sql.unsafe(
    `alter database "${new URL(db.url).pathname.slice(1)}" set timezone to 'Asia/Kolkata'`,
  );
  const sql = connect(db.url, { max: 1 });
  try {
    const [{ zone }] = await sql`select current_setting('TimeZone') as zone`;
    assert.equal(zone, "UTC");
    await ensurePartitions(sql, ["2019-03-01"]);
    await sql.begin((tx) =>
      storeEvents(tx, [{
        order_id: newId(),
        user_id: newId(),
        page_id: newId(),
        product: "clothes",
        site_version: "mobile",
        time: "2019-03-01T10:45:00.000Z",
        title: "order",
        target: 1,
      }], "Asia/Kolkata")
    );
    const [row] =
      await sql`select hour, (select day::text from rollup_daily) as day from rollup_hourly`;
    assert.equal((row.hour as Date).toISOString(), "2019-03-01T10:00:00.000Z");
    // 10:45 UTC is 16:15 in Kolkata: still 1 March there.
    assert.equal(row.day, "2019-03-01");
  } finally {
    await sql.end();
  }
});
