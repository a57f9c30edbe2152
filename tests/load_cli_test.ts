/**
 * `deno task load` as a user runs it (a subprocess of scripts/load.ts): exit status,
 * final line, the rejects file, a second load of the same file, and interruptions.
 */
import assert from "node:assert/strict";
import type { Sql } from "../lib/db/client.ts";
import { generateCsv } from "../lib/synth/csv_writer.ts";
import { checkInvariant } from "../lib/rollups/invariant.ts";
import { createTestDatabase } from "./support/services.ts";
import {
  HEADER,
  load,
  loadCommand,
  readRejects,
  row,
  runLoadCli,
  snapshot,
  tempDir,
} from "./support/load.ts";

const FINAL_LINE = /^loaded (\d+), duplicates (\d+), rejected (\d+) in [\d.]+ s \(\d+ rows\/s\)$/m;

async function generate(path: string, rows: number, seed = 7): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    await generateCsv({ rows, seed }, async (chunk) => {
      for (let done = 0; done < chunk.length;) done += await file.write(chunk.subarray(done));
    });
  } finally {
    file.close();
  }
}

async function count(sql: Sql): Promise<number> {
  const [{ n }] = await sql`select count(*)::int8 as n from events`;
  return n;
}

Deno.test("load of a file of only bad rows exits 0 and writes each row to the rejects file", async () => {
  await using db = await createTestDatabase("load_cli_bad");
  await using dir = await tempDir();
  const path = await dir.write(
    "bad.csv",
    [HEADER, row(1, { product: "toys" }), row(2, { time: "yesterday" }), "a,b"].join("\n"),
  );
  const result = await runLoadCli(db.url, [path]);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(FINAL_LINE.exec(result.stdout)?.slice(1), ["0", "0", "3"]);
  assert.match(result.stdout, /rejected rows written to .*bad\.csv\.rejects\.csv/);
  assert.deepEqual(
    (await readRejects(`${path}.rejects.csv`)).map(([line, reason]) => [line, reason]),
    [
      ["2", 'unknown product "toys"'],
      ["3", 'invalid time "yesterday"'],
      ["4", "expected 8 fields, got 2"],
    ],
  );
  assert.equal(await count(db.sql), 0);
});

Deno.test("load of a file without a usable header fails with exit status 1 and a clear message", async () => {
  await using db = await createTestDatabase("load_cli_header");
  await using dir = await tempDir();
  const path = await dir.write("headless.csv", `${row(1)}\n`);
  const result = await runLoadCli(db.url, [path]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /Cannot load ".*headless\.csv": missing columns "order_id"/);
});

Deno.test("loading the same file twice changes nothing the second time", async () => {
  await using db = await createTestDatabase("load_cli_twice");
  await using dir = await tempDir();
  const path = `${dir.path}/twice.csv`;
  await generate(path, 20_000);
  const first = await runLoadCli(db.url, ["--batch-size", "5000", path]);
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual(FINAL_LINE.exec(first.stdout)?.slice(1), ["20000", "0", "0"]);
  const before = await snapshot(db.sql);
  const second = await runLoadCli(db.url, ["--batch-size", "5000", path]);
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual(FINAL_LINE.exec(second.stdout)?.slice(1), ["0", "20000", "0"]);
  assert.deepEqual(await snapshot(db.sql), before);
  assert.deepEqual((await checkInvariant(db.sql)).violations, []);
});

Deno.test({
  name: "a load stopped by Ctrl-C, then killed, then run again equals one uninterrupted load",
  async fn() {
    await using interrupted = await createTestDatabase("load_cli_stop");
    await using clean = await createTestDatabase("load_cli_clean");
    await using dir = await tempDir();
    const path = `${dir.path}/big.csv`;
    const total = 150_000;
    await generate(path, total, 11);
    // Small batches: many commits, so there is a moment with some but not all stored.
    const args = ["--batch-size", "2000", path];

    const startAndWait = async (atLeast: number) => {
      const child = loadCommand(interrupted.url, args).spawn();
      const deadline = Date.now() + 60_000;
      while (await count(interrupted.sql) < atLeast) {
        if (Date.now() > deadline) throw new Error("The load made no progress in 60 s");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return child;
    };

    // Ctrl-C: the loader finishes the batch in flight and exits 130.
    const first = await startAndWait(1);
    first.kill("SIGINT");
    const stopped = await first.output();
    const stoppedOut = new TextDecoder().decode(stopped.stdout);
    assert.equal(stopped.code, 130, new TextDecoder().decode(stopped.stderr));
    assert.match(stoppedOut, /^interrupted: loaded \d+, duplicates 0, rejected 0 in /m);
    const afterStop = await count(interrupted.sql);
    assert.ok(afterStop > 0 && afterStop < total, `stored ${afterStop} of ${total}`);
    assert.deepEqual((await checkInvariant(interrupted.sql)).violations, []);

    // SIGKILL mid-file: the transaction in flight is lost whole, nothing half-stored.
    const second = await startAndWait(afterStop + 4000);
    second.kill("SIGKILL");
    await second.output();
    const afterKill = await count(interrupted.sql);
    assert.ok(afterKill < total, `the killed load had already stored all ${total} rows`);
    assert.deepEqual((await checkInvariant(interrupted.sql)).violations, []);

    const rerun = await runLoadCli(interrupted.url, args);
    assert.equal(rerun.code, 0, rerun.stderr);
    const [, loaded, duplicates] = FINAL_LINE.exec(rerun.stdout)!.map(Number);
    assert.deepEqual([loaded, duplicates], [total - afterKill, afterKill]);

    const once = await load(clean.sql, path, 20_000);
    assert.equal(once.loaded, total);
    assert.deepEqual(await snapshot(interrupted.sql), await snapshot(clean.sql));
  },
});
