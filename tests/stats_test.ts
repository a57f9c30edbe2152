/** computeStats and `deno task stats` on a small known data set, checked against events. */
import assert from "node:assert/strict";
import { computeStats } from "../lib/dashboard/stats.ts";
import { createTestDatabase } from "./support/services.ts";
import { HEADER, load, row, tempDir } from "./support/load.ts";

// 12 events over two New York days; user 1 and page 1 are the busiest.
function rows(): string[] {
  const spec: [string, string, string, string, string][] = [
    // time (UTC), product, site_version, title, user/page key
    ["2019-03-01 04:30:00", "clothes", "desktop", "banner_show", "1"], // Feb 28 in New York
    ["2019-03-01 12:00:00", "clothes", "desktop", "banner_show", "1"],
    ["2019-03-01 12:01:00", "clothes", "desktop", "banner_click", "1"],
    ["2019-03-01 12:02:00", "clothes", "desktop", "order", "1"],
    ["2019-03-01 13:00:00", "company", "mobile", "banner_show", "2"],
    ["2019-03-01 13:00:05", "company", "mobile", "banner_show", "2"],
    ["2019-03-01 13:00:10", "company", "mobile", "banner_click", "3"],
    ["2019-03-02 09:00:00", "sneakers", "mobile", "banner_show", "1"],
    ["2019-03-02 09:00:01", "sneakers", "desktop", "banner_show", "4"],
    ["2019-03-02 09:00:02", "sneakers", "desktop", "banner_show", "5"],
    ["2019-03-02 09:00:03", "accessories", "desktop", "banner_show", "6"],
    ["2019-03-02 23:59:59", "accessories", "desktop", "banner_show", "7"],
  ];
  return spec.map(([time, product, site_version, title, key], i) =>
    row(i + 1, {
      time,
      product,
      site_version,
      title,
      target: title === "order" ? "1" : "0",
      user_id: key.padStart(32, "a"),
      page_id: key.padStart(32, "b"),
    })
  );
}

Deno.test("stats count events by title, product and device, with CTR and conversion", async () => {
  await using db = await createTestDatabase("stats_all");
  await using dir = await tempDir();
  assert.equal(
    (await load(db.sql, await dir.write("s.csv", [HEADER, ...rows()].join("\n")))).loaded,
    12,
  );
  const stats = await computeStats(db.sql);
  assert.equal(stats.events, 12);
  assert.equal(stats.firstEvent, "2019-03-01T04:30:00.000Z");
  assert.equal(stats.lastEvent, "2019-03-02T23:59:59.000Z");
  assert.deepEqual(stats.byTitle, { banner_show: 9, banner_click: 2, order: 1 });
  assert.deepEqual(stats.byProduct.map((p) => [p.product, p.events]), [
    ["clothes", 4],
    ["electronics", 3],
    ["sneakers", 3],
    ["accessories", 2],
    ["sports_nutrition", 0],
  ]);
  assert.deepEqual(stats.bySiteVersion.map((s) => [s.site_version, s.events, s.share]), [
    ["desktop", 8, 8 / 12],
    ["mobile", 4, 4 / 12],
  ]);
  const clothes = stats.funnelByProduct.find((f) => f.product === "clothes")!;
  assert.deepEqual(
    [clothes.shows, clothes.clicks, clothes.orders, clothes.ctr, clothes.conversion],
    [
      2,
      1,
      1,
      0.5,
      1,
    ],
  );
  const nutrition = stats.funnelByProduct.find((f) => f.product === "sports_nutrition")!;
  assert.deepEqual([nutrition.ctr, nutrition.conversion], [null, null]);
  const mobile = stats.funnelBySiteVersion.find((f) => f.site_version === "mobile")!;
  assert.deepEqual([mobile.shows, mobile.clicks, mobile.orders, mobile.conversion], [3, 1, 0, 0]);
  assert.deepEqual(stats.topUsers[0], { user_id: "1".padStart(32, "a"), events: 5 });
  assert.deepEqual(stats.topUsers[1], { user_id: "2".padStart(32, "a"), events: 2 });
  assert.equal(stats.topUsers.length, 5);
  assert.deepEqual(stats.topPages[0], { page_id: "1".padStart(32, "b"), events: 5 });
  // The rollups agree with a direct count of events.
  const [{ n }] = await db.sql`select count(*)::int8 as n from events`;
  assert.equal(stats.events, n);
});

Deno.test("stats --from/--to select calendar days in ANALYTICS_TZ", async () => {
  await using db = await createTestDatabase("stats_range");
  await using dir = await tempDir();
  const path = await dir.write("s.csv", [HEADER, ...rows()].join("\n"));
  await load(db.sql, path);
  // Reload the rollups' days in New York time, as the loader does with that zone.
  await db.sql`truncate events, rollup_daily, rollup_hourly, rollup_minute`;
  const { loadCsv } = await import("../lib/load/loader.ts");
  await loadCsv(db.sql, path, { timeZone: "America/New_York" });
  const day = await computeStats(db.sql, {
    from: "2019-03-01",
    to: "2019-03-01",
    timeZone: "America/New_York",
  });
  // 2019-03-01 in New York is 05:00Z..05:00Z next day: the 04:30Z show is Feb 28.
  assert.equal(day.events, 6);
  assert.equal(day.firstEvent, "2019-03-01T12:00:00.000Z");
  assert.equal(day.lastEvent, "2019-03-01T13:00:10.000Z");
  assert.deepEqual(day.topUsers.map((u) => u.events), [3, 2, 1]);
  const before = await computeStats(db.sql, { to: "2019-02-28", timeZone: "America/New_York" });
  assert.deepEqual([before.events, before.topUsers.length, before.firstEvent], [
    1,
    1,
    "2019-03-01T04:30:00.000Z",
  ]);
  const after = await computeStats(db.sql, { from: "2019-03-02", timeZone: "America/New_York" });
  assert.deepEqual([after.events, after.firstEvent, after.lastEvent, after.topUsers.length], [
    5,
    "2019-03-02T09:00:00.000Z",
    "2019-03-02T23:59:59.000Z",
    5,
  ]);
  const none = await computeStats(db.sql, { from: "2019-03-03", timeZone: "America/New_York" });
  assert.deepEqual([none.events, none.firstEvent, none.topUsers], [0, null, []]);
});

Deno.test("stats on an empty database and with invalid options", async () => {
  await using db = await createTestDatabase("stats_empty");
  const stats = await computeStats(db.sql);
  assert.deepEqual([stats.events, stats.firstEvent, stats.topUsers, stats.bySiteVersion[0].share], [
    0,
    null,
    [],
    null,
  ]);
  await assert.rejects(
    computeStats(db.sql, { from: "2019-02-30" }),
    /Invalid --from "2019-02-30": expected a date/,
  );
  await assert.rejects(
    computeStats(db.sql, { from: "2019-03-02", to: "2019-03-01" }),
    /--from is after --to/,
  );
});

Deno.test("deno task stats prints the table and --json the same numbers", async () => {
  await using db = await createTestDatabase("stats_cli");
  await using dir = await tempDir();
  await load(db.sql, await dir.write("s.csv", [HEADER, ...rows()].join("\n")));
  const run = async (args: string[]) => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("../scripts/stats.ts", import.meta.url).pathname, ...args],
      env: { DATABASE_URL: db.url, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    return {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
  };
  const text = await run([]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^events: 12$/m);
  assert.match(text.stdout, /^ {2}clothes +4 +33\.33%$/m);
  assert.match(text.stdout, /^ {2}clothes +2 +1 +1 +50\.00% +100\.00%$/m);
  assert.match(text.stdout, /^ {2}a{31}1 +5$/m);
  const json = await run(["--json", "--from", "2019-03-02"]);
  assert.equal(json.code, 0, json.stderr);
  assert.equal(JSON.parse(json.stdout).events, 5);
  const bad = await run(["--to", "March"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Invalid --to "March"/);
});
