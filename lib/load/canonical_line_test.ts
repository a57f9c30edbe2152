import assert from "node:assert/strict";
import { CopyBatch } from "../rollups/copy_batch.ts";
import { type CsvHeader, parseCsvFields, parseCsvHeader } from "./csv_row.ts";
import type { TimeBound } from "../core/event.ts";
import { CanonicalLineReader } from "./canonical_line.ts";

const COLUMNS = ["order_id", "user_id", "page_id", "product", "site_version", "time", "title"];
const ROW: Record<string, string> = {
  order_id: "cfcd208495d565ef66e7dff9f98764da",
  user_id: "c81e728d9d4c2f636f067f89cc14862c",
  page_id: "eccbc87e4b5ce2fe28308fd9f2a7baf3",
  product: "sneakers",
  site_version: "desktop",
  time: "2019-01-11 09:24:43",
  title: "banner_show",
  target: "0",
};
const VARIANTS: Record<string, string[]> = {
  order_id: [ROW.order_id, ROW.order_id.toUpperCase(), ` ${ROW.order_id}`, "x", "", "0".repeat(33)],
  user_id: [ROW.user_id, "C81E728D-9D4C-2F63-6F06-7F89CC14862C", ROW.user_id.slice(1) + "g"],
  page_id: [ROW.page_id, ROW.page_id.replace("e", "G")],
  product: ["sneakers", "company", "electronics", "accessories", "clothes", "sports_nutrition"]
    .concat(["Clothes", "toys", " sports_nutrition", "compan", "companyx", ""]),
  site_version: ["desktop", "mobile", "Mobile", "tablet", "mobile "],
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
    "2019-01-11 23:60:00",
    "2019-01-11 09:24:60",
    "2019-01-11T09:24:43",
    "2019-01-11T09:24:43+05:30",
    "2019-01-11 09:24:4x",
    "2019-1-11 09:24:43",
    "2019-01-11 09:24:43 ",
    "２019-01-11 09:24:43",
  ],
  title: ["banner_show", "banner_click", "order", "ORDER", "view", "orde"],
  target: ["0", "1", "2", " 1", "01", ""],
};

function header(names: string[]): CsvHeader {
  const parsed = parseCsvHeader(names);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}

function text(batch: CopyBatch): string {
  return batch.chunks().map((chunk) => new TextDecoder().decode(chunk)).join("");
}

/**
 * Reads `fields` both ways: the byte reader must accept only what the full rules
 * accept, and write exactly the COPY text and minute counts the full rules' event
 * gives. Returns whether the byte reader took it.
 */
function compare(
  parsed: CsvHeader,
  fields: string[],
  label: string,
  bound: TimeBound = {},
): boolean {
  const line = new TextEncoder().encode(`padding,${fields.join(",")}\n`);
  const reader = new CanonicalLineReader(parsed, bound);
  const start = "padding,".length;
  const fast = reader.read(line, start, line.length - 1);
  const full = parseCsvFields(parsed, fields, bound);
  if (!fast) return false;
  assert.ok(full.ok, `${label}: the byte reader accepted what the rules reject`);
  const viaBytes = new CopyBatch();
  viaBytes.addCanonical(reader.row);
  const viaRules = new CopyBatch();
  viaRules.add(full.value);
  assert.equal(text(viaBytes), text(viaRules), label);
  assert.deepEqual(viaBytes.counts.deltas(), viaRules.counts.deltas(), label);
  assert.deepEqual(viaBytes.events(), [full.value], label);
  return true;
}

Deno.test("the byte reader agrees with the full row rules on canonical and odd fields", () => {
  const names = [...COLUMNS, "target"];
  const parsed = header(names);
  let accepted = 0;
  let declined = 0;
  for (const [column, values] of Object.entries(VARIANTS)) {
    for (const value of values) {
      const record = { ...ROW, [column]: value };
      const took = compare(parsed, names.map((name) => record[name]), `${column}=${value}`);
      if (took) accepted++;
      else declined++;
    }
  }
  // Exactly the dataset's forms are taken: the first lines of each list above.
  assert.equal(accepted, 1 + 1 + 1 + 6 + 2 + 5 + 3 + 2);
  assert.ok(declined > 30);
  // Every day of three years (leap day included) at shifting times of day.
  for (let t = Date.UTC(2019, 0, 1); t < Date.UTC(2022, 0, 1); t += 86_400_000 + 3_599_000) {
    const time = new Date(t).toISOString().slice(0, 19).replace("T", " ");
    const record: Record<string, string> = { ...ROW, time };
    assert.ok(compare(parsed, names.map((name) => record[name]), time), time);
  }
});

Deno.test("the byte reader takes no row after its time bound, which the rules reject", () => {
  const names = [...COLUMNS, "target"];
  const parsed = header(names);
  const notAfter = Date.UTC(2026, 0, 2, 3, 4, 5);
  const bound = { notAfter };
  const row = (time: string) => names.map((name) => name === "time" ? time : ROW[name]);
  const taken = ["2026-01-02 03:04:05", "2026-01-02 03:04:04", "2026-01-01 23:59:59"]
    .concat(["2019-01-11 09:24:43", "1970-01-01 00:00:00"]);
  for (const time of taken) assert.ok(compare(parsed, row(time), time, bound), time);
  const future = ["2026-01-02 03:04:06", "2026-01-02 03:05:00", "2026-01-03 00:00:00"]
    .concat(["2027-01-01 00:00:00", "9999-12-31 23:59:59"]);
  for (const time of future) {
    assert.equal(compare(parsed, row(time), time, bound), false, time);
    assert.deepEqual(parseCsvFields(parsed, row(time), bound), {
      ok: false,
      reason: `time in the future "${time}"`,
    });
    // Without a bound the same row is canonical: the bound alone declined it.
    assert.ok(compare(parsed, row(time), time), time);
  }
  // Every second across the bound's minute, and the minutes around it.
  for (let t = notAfter - 120_000; t <= notAfter + 120_000; t += 1_000) {
    const time = new Date(t).toISOString().slice(0, 19).replace("T", " ");
    assert.equal(compare(parsed, row(time), time, bound), t <= notAfter, time);
  }
});

Deno.test("the byte reader follows the header's column order and ignores extra columns", () => {
  const names = ["note", "target", "title", "time", "site_version", "product", "page_id"]
    .concat(["user_id", "order_id", "more"]);
  const parsed = header(names);
  const record: Record<string, string> = { ...ROW, product: "company", note: "x", more: "" };
  assert.ok(compare(parsed, names.map((name) => record[name]), "shuffled"));
  // One field too few or too many: the rules reject it with the count.
  const fields = names.map((name) => record[name]);
  assert.equal(compare(parsed, fields.slice(1), "short"), false);
  assert.equal(compare(parsed, [...fields, "x"], "long"), false);
});

Deno.test("CopyBatch tells whether two batches may share an order_id", () => {
  const parsed = header([...COLUMNS, "target"]);
  const batchOf = (ids: string[]) => {
    const batch = new CopyBatch();
    for (const order_id of ids) {
      const result = parseCsvFields(
        parsed,
        [...COLUMNS, "target"].map((name) => name === "order_id" ? order_id : ROW[name]),
      );
      assert.ok(result.ok);
      batch.add(result.value);
    }
    return batch;
  };
  const a = batchOf(["0".repeat(32), "1".repeat(32)]);
  const b = batchOf(["2".repeat(32), "3".repeat(32)]);
  const c = batchOf(["4".repeat(32), "1".repeat(32)]);
  assert.equal(a.mayShareOrderIds(b), false);
  assert.equal(a.mayShareOrderIds(c), true);
  assert.equal(c.mayShareOrderIds(a), true);
});
