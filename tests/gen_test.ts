/** The synthetic dataset: format, determinism, and the shape the issue asks for. */
import assert from "node:assert/strict";
import { parseCsvFields, parseCsvHeader } from "../lib/load/csv_row.ts";
import { GEN_HEADER, generateCsv } from "../lib/synth/csv_writer.ts";
import { tempDir } from "./support/load.ts";

async function generateText(rows: number, seed: number, chunkBytes = 64 * 1024): Promise<string> {
  const parts: Uint8Array[] = [];
  await generateCsv({ rows, seed, chunkBytes }, (chunk) => {
    parts.push(chunk.slice());
    return Promise.resolve();
  });
  const bytes = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return new TextDecoder().decode(bytes);
}

const ROWS = 200_000;
const text = await generateText(ROWS, 1);
const lines = text.trimEnd().split("\n");

Deno.test("gen writes the dataset's header and rows every row rule accepts", () => {
  assert.equal(`${lines[0]}\n`, GEN_HEADER);
  assert.equal(lines.length, ROWS + 1);
  assert.ok(text.endsWith("\n"));
  const header = parseCsvHeader(lines[0].split(","));
  assert.ok(header.ok);
  const ids = new Set<string>();
  let previous = "";
  for (const line of lines.slice(1)) {
    const fields = line.split(",");
    assert.ok(
      /^[0-9a-f]{32}$/.test(fields[0]) && /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(fields[5]),
    );
    const result = parseCsvFields(header.value, fields);
    assert.ok(result.ok, line);
    ids.add(result.value.order_id);
    assert.ok(result.value.time >= previous, "rows are in time order");
    previous = result.value.time;
  }
  assert.equal(ids.size, ROWS, "order_ids are unique");
  assert.ok(lines[1].split(",")[5] >= "2019-01-01 00:00:00");
  assert.ok(lines[ROWS].split(",")[5] <= "2019-05-31 23:59:59");
  assert.ok(lines[ROWS].split(",")[5] >= "2019-05-31 00:00:00");
});

Deno.test("gen is deterministic for a seed and differs between seeds", async () => {
  assert.equal(await generateText(5000, 42), await generateText(5000, 42));
  const other = await generateText(5000, 43);
  assert.notEqual(other, await generateText(5000, 42));
  // Where the writer cuts chunks does not change the bytes.
  assert.equal(await generateText(5000, 42, 1000), await generateText(5000, 42));
});

Deno.test("gen follows the real file's product shares, with company for electronics", () => {
  const counts = new Map<string, number>();
  for (const line of lines.slice(1)) {
    const product = line.split(",")[3];
    counts.set(product, (counts.get(product) ?? 0) + 1);
  }
  const expected = {
    clothes: 0.211,
    company: 0.204,
    sneakers: 0.201,
    sports_nutrition: 0.193,
    accessories: 0.191,
  };
  assert.deepEqual([...counts.keys()].sort(), Object.keys(expected).sort());
  for (const [product, share] of Object.entries(expected)) {
    assert.ok(
      Math.abs(counts.get(product)! / ROWS - share) < 0.005,
      `${product}: ${counts.get(product)}`,
    );
  }
});

Deno.test("gen funnel: shows > clicks > orders, varying by product and device", () => {
  const funnel = new Map<string, { show: number; click: number; order: number }>();
  for (const line of lines.slice(1)) {
    const [, , , product, device, , title, target] = line.split(",");
    assert.equal(target, title === "order" ? "1" : "0");
    for (const key of [product, device]) {
      const f = funnel.get(key) ?? { show: 0, click: 0, order: 0 };
      if (title === "banner_show") f.show++;
      else if (title === "banner_click") f.click++;
      else f.order++;
      funnel.set(key, f);
    }
  }
  const ctr = (key: string) => funnel.get(key)!.click / funnel.get(key)!.show;
  const conversion = (key: string) => funnel.get(key)!.order / funnel.get(key)!.click;
  for (const f of funnel.values()) assert.ok(f.show > 4 * f.click && f.click > 2 * f.order);
  assert.ok(ctr("desktop") > ctr("mobile") * 1.2);
  assert.ok(conversion("desktop") > conversion("mobile") * 1.2);
  assert.ok(ctr("clothes") > ctr("accessories") * 1.2);
  assert.ok(conversion("sports_nutrition") > conversion("company") * 1.5);
  const desktop = funnel.get("desktop")!;
  const desktopShare = (desktop.show + desktop.click + desktop.order) / ROWS;
  assert.ok(desktopShare > 0.5 && desktopShare < 0.6);
});

Deno.test("gen users have a long tail: many one-off visitors, the busiest with about 20 events", () => {
  const perUser = new Map<string, number>();
  for (const line of lines.slice(1)) {
    const user = line.split(",")[1];
    perUser.set(user, (perUser.get(user) ?? 0) + 1);
  }
  const counts = [...perUser.values()].sort((a, b) => b - a);
  assert.ok(counts[0] >= 14 && counts[0] <= 32, `busiest user: ${counts[0]}`);
  const once = counts.filter((n) => n === 1).length;
  assert.ok(once / counts.length > 0.3, `one-off users: ${once} of ${counts.length}`);
  const mean = ROWS / counts.length;
  assert.ok(mean > 1.5 && mean < 3.5, `mean events per user: ${mean}`);
});

Deno.test("deno task gen writes the file under its name only when complete", async () => {
  await using dir = await tempDir();
  const out = `${dir.path}/sub/product.csv`;
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../scripts/gen.ts", import.meta.url).pathname,
      "--rows",
      "1000",
      "--seed",
      "1",
      "--out",
      out,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  assert.match(
    new TextDecoder().decode(output.stdout),
    /^wrote 1000 rows \([\d.]+ MB\) to .*product\.csv in [\d.]+ s \(\d+ rows\/s\)/,
  );
  assert.equal(await Deno.readTextFile(out), await generateText(1000, 1));
  await assert.rejects(Deno.stat(`${out}.partial`), Deno.errors.NotFound);
  const bad = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../scripts/gen.ts", import.meta.url).pathname, "--rows", "many"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(bad.code, 2);
  assert.match(
    new TextDecoder().decode(bad.stderr),
    /Invalid --rows "many": expected a whole number/,
  );
});
