import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { isBlankRow, parseCsvFields, parseCsvHeader, parseCsvRecord } from "./csv_row.ts";
import type { CsvHeader } from "./csv_row.ts";

const HEADER = [
  "order_id",
  "user_id",
  "page_id",
  "product",
  "site_version",
  "time",
  "title",
  "target",
];
const ROW = {
  order_id: "cfcd208495d565ef66e7dff9f98764da",
  user_id: "c81e728d9d4c2f636f067f89cc14862c",
  page_id: "eccbc87e4b5ce2fe28308fd9f2a7baf3",
  product: "sneakers",
  site_version: "desktop",
  time: "2019-01-11 09:24:43",
  title: "banner_show",
  target: "0",
};

function header(fields: string[] = HEADER): CsvHeader {
  const result = parseCsvHeader(fields);
  if (!result.ok) throw new Error(result.reason);
  return result.value;
}

function reason(record: Record<string, string>): string | undefined {
  const result = parseCsvRecord(record);
  return result.ok ? undefined : result.reason;
}

Deno.test("csv header in the dataset's order maps each column to its position", () => {
  const parsed = header();
  assertEquals(parsed.width, 8);
  assertEquals(parsed.indexes.order_id, 0);
  assertEquals(parsed.indexes.target, 7);
});

Deno.test("csv header strips a UTF-8 BOM and whitespace and ignores case", () => {
  const parsed = header(["\uFEFFOrder_ID", " user_id ", ...HEADER.slice(2)]);
  assertEquals(parsed.indexes.order_id, 0);
  assertEquals(parsed.indexes.user_id, 1);
  assertEquals(parsed.names[0], "Order_ID");
});

Deno.test("csv header accepts columns in any order and extra columns", () => {
  const shuffled = [
    "time",
    "date",
    "target",
    "title",
    "page_id",
    "product",
    "user_id",
    "site_version",
    "order_id",
  ];
  const parsed = header(shuffled);
  assertEquals(parsed.width, 9);
  assertEquals(parsed.indexes.time, 0);
  assertEquals(parsed.indexes.order_id, 8);
  const result = parseCsvFields(parsed, [
    ROW.time,
    "2019-01-11",
    ROW.target,
    ROW.title,
    ROW.page_id,
    ROW.product,
    ROW.user_id,
    ROW.site_version,
    ROW.order_id,
  ]);
  assertEquals(result.ok && result.value.order_id, ROW.order_id);
});

Deno.test("csv header missing a column names what is missing", () => {
  const result = parseCsvHeader(HEADER.filter((name) => name !== "page_id" && name !== "time"));
  assertEquals(result.ok, false);
  assertEquals(
    !result.ok && result.reason.startsWith('missing columns "page_id", "time":'),
    true,
  );
});

Deno.test("csv header with a column named twice is rejected", () => {
  const result = parseCsvHeader([...HEADER, "Time"]);
  assertEquals(result, { ok: false, reason: 'duplicate column "Time"' });
});

Deno.test("csv header that is empty is rejected", () => {
  assertEquals(parseCsvHeader([""]).ok, false);
  assertEquals(parseCsvHeader([]).ok, false);
});

Deno.test("csv row with the dataset's formats becomes the canonical event", () => {
  assertEquals(parseCsvRecord(ROW), {
    ok: true,
    value: {
      order_id: ROW.order_id,
      user_id: ROW.user_id,
      page_id: ROW.page_id,
      product: "sneakers",
      site_version: "desktop",
      time: "2019-01-11T09:24:43.000Z",
      title: "banner_show",
      target: 0,
    },
  });
});

Deno.test("csv row ignores whitespace around fields", () => {
  const padded = Object.fromEntries(Object.entries(ROW).map(([k, v]) => [k, ` \t${v}  `]));
  const result = parseCsvRecord(padded);
  assertEquals(result.ok && result.value.time, "2019-01-11T09:24:43.000Z");
  assertEquals(result.ok && result.value.target, 0);
});

Deno.test("csv row enums are case-insensitive and company means electronics", () => {
  const result = parseCsvRecord({
    ...ROW,
    product: "Company",
    site_version: "MOBILE",
    title: "Banner_Click",
  });
  assertEquals(result.ok && [result.value.product, result.value.site_version, result.value.title], [
    "electronics",
    "mobile",
    "banner_click",
  ]);
});

Deno.test("csv row accepts ids as dashed UUIDs in any case", () => {
  const result = parseCsvRecord({ ...ROW, user_id: "C81E728D-9D4C-2F63-6F06-7F89CC14862C" });
  assertEquals(result.ok && result.value.user_id, ROW.user_id);
});

Deno.test("csv row rejects malformed ids", () => {
  assertEquals(reason({ ...ROW, order_id: "xyz" }), 'invalid order_id "xyz"');
  assertEquals(
    reason({ ...ROW, page_id: ROW.page_id.slice(1) }),
    `invalid page_id "${ROW.page_id.slice(1)}"`,
  );
});

Deno.test("csv row rejects unknown enums and targets", () => {
  assertEquals(reason({ ...ROW, product: "toys" }), 'unknown product "toys"');
  assertEquals(reason({ ...ROW, site_version: "tablet" }), 'unknown site_version "tablet"');
  assertEquals(reason({ ...ROW, title: "click" }), 'unknown title "click"');
  assertEquals(reason({ ...ROW, target: "2" }), 'invalid target "2"');
});

Deno.test("csv row accepts ISO-8601 times with a zone and converts to UTC", () => {
  const iso = (time: string) => {
    const result = parseCsvRecord({ ...ROW, time });
    return result.ok ? result.value.time : result.reason;
  };
  assertEquals(iso("2019-01-11T09:24:43Z"), "2019-01-11T09:24:43.000Z");
  assertEquals(iso("2019-01-11T09:24:43.5+02:00"), "2019-01-11T07:24:43.500Z");
  assertEquals(iso("2019-01-11T09:24:43"), "2019-01-11T09:24:43.000Z");
});

Deno.test("csv row rejects impossible dates and other time formats", () => {
  assertEquals(
    reason({ ...ROW, time: "2019-02-30 10:00:00" }),
    'invalid time "2019-02-30 10:00:00"',
  );
  assertEquals(
    reason({ ...ROW, time: "2019-01-11 24:00:00" }),
    'invalid time "2019-01-11 24:00:00"',
  );
  // The original producer's format is for Kafka messages only.
  assertEquals(
    reason({ ...ROW, time: "01/11/2019 09:24:43" }),
    'invalid time "01/11/2019 09:24:43"',
  );
});

Deno.test("csv row rejects a time after the reader's bound, on the shortcut and the full rules", () => {
  const bound = { notAfter: Date.UTC(2019, 0, 11, 9, 24, 42) };
  const fields = (time: string) =>
    HEADER.map((name) => name === "time" ? time : ROW[name as keyof typeof ROW]);
  for (const time of ["2019-01-11 09:24:43", "2019-01-11T09:24:43Z", " 2019-01-11 09:24:43"]) {
    const expected = { ok: false, reason: `time in the future "${time}"` };
    assertEquals(parseCsvFields(header(), fields(time), bound), expected);
    assertEquals(parseCsvRecord({ ...ROW, time }, bound), expected);
  }
  assert.ok(parseCsvFields(header(), fields("2019-01-11 09:24:42"), bound).ok);
  assert.ok(parseCsvFields(header(), fields("2019-01-11T10:24:42+01:00"), bound).ok);
});

Deno.test("csv row with an empty field names the missing field", () => {
  assertEquals(reason({ ...ROW, title: "  " }), 'missing field "title"');
});

Deno.test("csv fields with the wrong count are rejected", () => {
  const result = parseCsvFields(header(), Object.values(ROW).slice(0, 7));
  assertEquals(result, { ok: false, reason: "expected 8 fields, got 7" });
});

Deno.test("a blank line is not a row", () => {
  assertEquals(isBlankRow([""]), true);
  assertEquals(isBlankRow(["  "]), true);
  assertEquals(isBlankRow(["", ""]), false);
});

Deno.test("csv fields give exactly what the full rules give, for canonical and odd input", () => {
  // parseCsvFields takes a shortcut for fields already in the dataset's exact form;
  // this compares it with parseCsvRecord (no shortcut) on many variants.
  const variants: Record<string, string[]> = {
    order_id: [ROW.order_id, ROW.order_id.toUpperCase(), ` ${ROW.order_id}`, "x", ""],
    user_id: [ROW.user_id, "C81E728D-9D4C-2F63-6F06-7F89CC14862C", ROW.user_id + "0"],
    page_id: [ROW.page_id, ROW.page_id.replace("e", "g")],
    product: ["sneakers", "company", "electronics", "Clothes", "toys", " sports_nutrition"],
    site_version: ["desktop", "mobile", "Mobile", "tablet"],
    time: [
      "2019-01-11 09:24:43",
      "2020-02-29 00:00:00",
      "2019-02-29 00:00:00",
      "2000-02-29 12:00:00",
      "1900-02-29 12:00:00",
      "1969-12-31 23:59:59",
      "1970-01-01 00:00:00",
      "2019-04-31 10:00:00",
      "2019-12-31 23:59:59",
      "2019-13-01 00:00:00",
      "2019-00-10 00:00:00",
      "2019-01-00 00:00:00",
      "2019-01-11 23:60:00",
      "2019-01-11 09:24:60",
      "2019-01-11T09:24:43",
      "2019-01-11 09:24:4x",
      "2019-1-11 09:24:43",
      "2019-01-11 09:24:43 ",
    ],
    title: ["banner_show", "banner_click", "order", "ORDER", "view"],
    target: ["0", "1", "2", " 1", "01"],
  };
  const parsed = header();
  let compared = 0;
  for (const [field, values] of Object.entries(variants)) {
    for (const value of values) {
      const record = { ...ROW, [field]: value };
      const fields = HEADER.map((name) => record[name as keyof typeof record]);
      assert.deepEqual(parseCsvFields(parsed, fields), parseCsvRecord(record), `${field}=${value}`);
      compared++;
    }
  }
  // Every day of four years, leap years included, at a few times of day.
  for (let t = Date.UTC(1999, 0, 1); t < Date.UTC(2001, 0, 1); t += 86_400_000 + 3_599_000) {
    const time = new Date(t).toISOString().slice(0, 19).replace("T", " ");
    const record = { ...ROW, time };
    const fields = HEADER.map((name) => record[name as keyof typeof record]);
    assert.deepEqual(parseCsvFields(parsed, fields), parseCsvRecord(record), time);
    compared++;
  }
  assert.ok(compared > 700);
  // With a bound, shortcut and full rules still agree, on both sides of it.
  const bound = { notAfter: Date.UTC(2019, 0, 11, 9, 24, 43) };
  for (let t = bound.notAfter - 90_000; t <= bound.notAfter + 90_000; t += 1_000) {
    const time = new Date(t).toISOString().slice(0, 19).replace("T", " ");
    const record = { ...ROW, time };
    const fields = HEADER.map((name) => record[name as keyof typeof record]);
    const result = parseCsvFields(parsed, fields, bound);
    assert.deepEqual(result, parseCsvRecord(record, bound), time);
    assert.equal(result.ok, t <= bound.notAfter, time);
  }
});
