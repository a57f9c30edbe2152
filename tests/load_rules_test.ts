/**
 * The bulk loader's row rules, one test each, through the real importer (loadCsv, the
 * function `deno task load` runs) into a fresh database.
 */
import assert from "node:assert/strict";
import { checkInvariant } from "../lib/rollups/invariant.ts";
import { LoadError } from "../lib/load/loader.ts";
import { createTestDatabase } from "./support/services.ts";
import { HEADER, load, readRejects, row, storedEvents, tempDir } from "./support/load.ts";

Deno.test("load accepts a UTF-8 BOM, CRLF and LF line ends, and skips blank lines", async () => {
  await using db = await createTestDatabase("load_bom");
  await using dir = await tempDir();
  const text = `\uFEFF${HEADER}\r\n${row(1)}\r\n\r\n${row(2)}\n\n   \n${row(3)}\n${
    row(4, { target: "7" })
  }`;
  const path = await dir.write("bom.csv", text);
  const summary = await load(db.sql, path);
  assert.deepEqual([summary.rows, summary.loaded, summary.rejected], [4, 3, 1]);
  // Blank lines are not rows but still count as lines: the bad row is on line 8.
  assert.deepEqual(await readRejects(summary.rejectsPath!), [
    ["8", 'invalid target "7"', row(4, { target: "7" })],
  ]);
  assert.deepEqual((await checkInvariant(db.sql)).violations, []);
});

Deno.test("load requires a header naming all eight columns", async () => {
  await using db = await createTestDatabase("load_header");
  await using dir = await tempDir();
  const noHeader = await dir.write("no_header.csv", `${row(1)}\n${row(2)}\n`);
  await assert.rejects(load(db.sql, noHeader), (error: Error) => {
    assert.ok(error instanceof LoadError);
    assert.match(error.message, /^Cannot load ".*no_header.csv": missing columns "order_id"/);
    return true;
  });
  const missing = await dir.write("missing.csv", "order_id,user_id,page_id,product,time,title\n");
  await assert.rejects(load(db.sql, missing), /missing columns "site_version", "target"/);
  const empty = await dir.write("empty.csv", "");
  await assert.rejects(load(db.sql, empty), /the file is empty/);
  await assert.rejects(
    load(db.sql, `${dir.path}/absent.csv`),
    /Cannot read ".*absent.csv": no such file/,
  );
  const [{ n }] = await db.sql`select count(*)::int8 as n from events`;
  assert.equal(n, 0);
});

Deno.test("load matches columns by name in any order and ignores extra columns", async () => {
  await using plain = await createTestDatabase("load_order_a");
  await using shuffled = await createTestDatabase("load_order_b");
  await using dir = await tempDir();
  const rows = [1, 2, 3].map((i) => row(i, { title: i === 2 ? "order" : "banner_show" }));
  const order = [5, 7, 0, 3, 6, 1, 4, 2]; // time,target,order_id,product,title,user_id,...
  const names = HEADER.split(",");
  const reorder = (line: string) => {
    const fields = line.split(",");
    return [...order.map((i) => fields[i]), "extra"].join(",");
  };
  const a = await dir.write("plain.csv", [HEADER, ...rows].join("\n"));
  const b = await dir.write(
    "shuffled.csv",
    [[...order.map((i) => names[i]), "note"].join(","), ...rows.map(reorder)].join("\n"),
  );
  assert.equal((await load(plain.sql, a)).loaded, 3);
  assert.equal((await load(shuffled.sql, b)).loaded, 3);
  assert.deepEqual(await storedEvents(shuffled.sql), await storedEvents(plain.sql));
});

Deno.test("load rejects a row whose field count differs from the header's", async () => {
  await using db = await createTestDatabase("load_width");
  await using dir = await tempDir();
  const short = row(1).split(",").slice(0, 7).join(",");
  const long = `${row(2)},surplus`;
  const path = await dir.write("width.csv", [HEADER, short, long, row(3)].join("\n"));
  const summary = await load(db.sql, path);
  assert.deepEqual([summary.loaded, summary.rejected], [1, 2]);
  assert.deepEqual((await readRejects(summary.rejectsPath!)).map(([l, r]) => [l, r]), [
    ["2", "expected 8 fields, got 7"],
    ["3", "expected 8 fields, got 9"],
  ]);
});

Deno.test("load ignores whitespace around fields and the case of product, site_version, title", async () => {
  await using db = await createTestDatabase("load_space");
  await using dir = await tempDir();
  const padded = row(1).split(",").map((field) => `  ${field}\t`).join(",");
  const shouting = row(2, { product: "Sneakers", site_version: "MOBILE", title: "Banner_Click" });
  const path = await dir.write("space.csv", [HEADER, padded, shouting].join("\n"));
  assert.equal((await load(db.sql, path)).loaded, 2);
  const events = await storedEvents(db.sql);
  const second = events.find((e) => e.order_id === (2 * 7919 + 1).toString(16).padStart(32, "0"));
  assert.deepEqual([second?.product, second?.site_version, second?.title], [
    "sneakers",
    "mobile",
    "banner_click",
  ]);
  assert.equal(events.find((e) => e.product === "clothes")?.time, "2019-01-11T09:24:43.000Z");
});

Deno.test("load accepts ids as 32 hex digits or dashed UUIDs in any case, and rejects others", async () => {
  await using db = await createTestDatabase("load_ids");
  await using dir = await tempDir();
  const upper = "ABCDEF0123456789ABCDEF0123456789";
  const dashed = "0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9";
  const path = await dir.write(
    "ids.csv",
    [
      HEADER,
      row(1, { order_id: upper }),
      row(2, { user_id: dashed, page_id: dashed.toLowerCase() }),
      row(3, { order_id: "abc" }),
      row(4, { page_id: "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f" }),
    ].join("\n"),
  );
  const summary = await load(db.sql, path);
  assert.deepEqual([summary.loaded, summary.rejected], [2, 2]);
  const events = await storedEvents(db.sql);
  assert.ok(events.some((e) => e.order_id === upper.toLowerCase()));
  assert.ok(events.some((e) => e.user_id === "0a1b2c3d4e5f60718293a4b5c6d7e8f9"));
  assert.deepEqual((await readRejects(summary.rejectsPath!)).map(([l, r]) => [l, r]), [
    ["4", 'invalid order_id "abc"'],
    ["5", 'invalid page_id "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f"'],
  ]);
});

Deno.test("load stores company as electronics and rejects unknown products", async () => {
  await using db = await createTestDatabase("load_product");
  await using dir = await tempDir();
  const path = await dir.write(
    "product.csv",
    [
      HEADER,
      row(1, { product: "company" }),
      row(2, { product: "sports_nutrition" }),
      row(3, { product: "toys" }),
    ]
      .join("\n"),
  );
  const summary = await load(db.sql, path);
  assert.deepEqual([summary.loaded, summary.rejected], [2, 1]);
  const products = (await storedEvents(db.sql)).map((e) => e.product).sort();
  assert.deepEqual(products, ["electronics", "sports_nutrition"]);
  assert.equal((await readRejects(summary.rejectsPath!))[0][1], 'unknown product "toys"');
});

Deno.test("load accepts only desktop/mobile, the three titles and target 0 or 1", async () => {
  await using db = await createTestDatabase("load_enums");
  await using dir = await tempDir();
  const path = await dir.write(
    "enums.csv",
    [
      HEADER,
      row(1, { site_version: "mobile", title: "order", target: "1" }),
      row(2, { site_version: "tablet" }),
      row(3, { title: "view" }),
      row(4, { target: "yes" }),
      row(5, { target: "" }),
    ].join("\n"),
  );
  const summary = await load(db.sql, path);
  assert.deepEqual([summary.loaded, summary.rejected], [1, 4]);
  assert.deepEqual((await readRejects(summary.rejectsPath!)).map(([, reason]) => reason), [
    'unknown site_version "tablet"',
    'unknown title "view"',
    'invalid target "yes"',
    'missing field "target"',
  ]);
});

Deno.test("load reads both time forms, with or without a zone, and rejects impossible dates", async () => {
  await using db = await createTestDatabase("load_time");
  await using dir = await tempDir();
  const times = [
    "2019-03-01 10:00:00",
    "2019-03-01T11:00:00",
    "2019-03-01T12:00:00Z",
    "2019-03-01T15:30:00+02:30",
    "2019-03-01T08:00:00.250-05:00",
    "2019-02-29 10:00:00",
    "2019-04-31T10:00:00Z",
    "03/01/2019 10:00:00",
  ];
  const path = await dir.write(
    "time.csv",
    [HEADER, ...times.map((time, i) => row(i + 1, { time }))].join("\n"),
  );
  const summary = await load(db.sql, path);
  assert.deepEqual([summary.loaded, summary.rejected], [5, 3]);
  const stored = (await storedEvents(db.sql)).map((e) => e.time).sort();
  assert.deepEqual(stored, [
    "2019-03-01T10:00:00.000Z",
    "2019-03-01T11:00:00.000Z",
    "2019-03-01T12:00:00.000Z",
    "2019-03-01T13:00:00.000Z",
    "2019-03-01T13:00:00.250Z",
  ]);
  assert.deepEqual((await readRejects(summary.rejectsPath!)).map(([, reason]) => reason), [
    'invalid time "2019-02-29 10:00:00"',
    'invalid time "2019-04-31T10:00:00Z"',
    'invalid time "03/01/2019 10:00:00"',
  ]);
});

Deno.test("load skips and counts order_ids seen earlier in the file or already stored", async () => {
  await using db = await createTestDatabase("load_dup");
  await using dir = await tempDir();
  const first = await dir.write("first.csv", [HEADER, row(1), row(2)].join("\n"));
  assert.equal((await load(db.sql, first)).loaded, 2);
  // Row 3 twice in the file (the second copy with other values), rows 1 and 2 stored.
  const second = await dir.write(
    "second.csv",
    [HEADER, row(3), row(1), row(4), row(3, { title: "order" }), row(2), row(5)].join("\n"),
  );
  const summary = await load(db.sql, second, 2);
  assert.deepEqual([summary.rows, summary.loaded, summary.duplicates, summary.rejected], [
    6,
    3,
    3,
    0,
  ]);
  assert.equal(summary.rejectsPath, undefined);
  const [{ n, orders }] = await db.sql`
    select count(*)::int8 as n, count(*) filter (where title = 'order')::int8 as orders from events`;
  assert.deepEqual([n, orders], [5, 0]);
  assert.deepEqual((await checkInvariant(db.sql)).violations, []);
});

Deno.test("load writes a malformed CSV record to the rejects file and goes on", async () => {
  await using db = await createTestDatabase("load_quote");
  await using dir = await tempDir();
  // A quoted field spanning two lines (a field-count reject on line 3), then a row
  // whose unterminated quote swallows the rest of the file.
  const text = [HEADER, row(1), `${row(2)},"two\nlines"`, row(3), `"${row(4)}`, row(5)].join("\n");
  const path = await dir.write("quote.csv", text);
  const summary = await load(db.sql, path);
  assert.deepEqual([summary.loaded, summary.rejected], [2, 2]);
  const rejects = await readRejects(summary.rejectsPath!);
  assert.deepEqual(rejects.map(([line]) => line), ["3", "6"]);
  assert.equal(rejects[0][1], "expected 8 fields, got 9");
  assert.match(rejects[1][1], /^malformed CSV: Quote Not Closed/);
});
