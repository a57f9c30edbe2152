import assert from "node:assert/strict";
import { join } from "node:path";
import { frameRecord, Spool } from "./spool.ts";

function record(i: number, key = `k${i % 3}`) {
  return { key, value: JSON.stringify({ i, pad: "x".repeat(100) }) };
}

async function segmentFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.startsWith("spool-")) names.push(entry.name);
  }
  return names.sort();
}

Deno.test("records come back in append order, across a reopen, and go once acknowledged", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spool_order_" });
  try {
    const spool = await Spool.open({ dir, segmentBytes: 1024, log: () => {} });
    // Concurrent appends are group-committed and keep their order.
    const seqs: (number | undefined)[] = [];
    for (let group = 0; group < 5; group++) {
      seqs.push(
        ...await Promise.all(
          Array.from({ length: 10 }, (_, i) => spool.append(record(group * 10 + i))),
        ),
      );
    }
    assert.deepEqual(seqs, Array.from({ length: 50 }, (_, i) => i + 1));
    assert.ok((await segmentFiles(dir)).length > 1, "segments roll over past segmentBytes");
    assert.deepEqual(spool.peek(10).map((r) => JSON.parse(r.value).i), [
      0,
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8,
      9,
    ]);
    await spool.ack(10);
    await spool.close();

    const again = await Spool.open({ dir, log: () => {} });
    // The acknowledged ten may come back (their segment can outlive them: at-least-once),
    // the rest all come back, in order.
    const values = again.peek(100).map((r) => JSON.parse(r.value).i as number);
    const first = values[0];
    assert.ok(first <= 10, `first ${first}`);
    assert.deepEqual(values, Array.from({ length: 50 - first }, (_, i) => first + i));
    assert.equal(again.stats().recovered, values.length);
    await again.ack(values.length);
    assert.equal(again.pending, 0);
    assert.deepEqual(await segmentFiles(dir), [], "every segment file is deleted once drained");
    assert.equal(again.stats().bytes, 0);
    await again.close();
    await assert.rejects(
      () => Deno.stat(dir),
      Deno.errors.NotFound,
      "an empty spool leaves no directory",
    );
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("a torn or corrupt tail is cut off and logged; the records before it survive", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spool_torn_" });
  try {
    const spool = await Spool.open({ dir, log: () => {} });
    for (let i = 0; i < 5; i++) await spool.append(record(i));
    await spool.close();
    const [name] = await segmentFiles(dir);
    const path = join(dir, name);
    // A crash mid-append: half of a sixth frame.
    const torn = frameRecord(record(5));
    const half = Math.floor(torn.length / 2);
    const file = await Deno.open(path, { append: true });
    await file.write(torn.subarray(0, half));
    file.close();
    const size = (await Deno.stat(path)).size;

    const lines: string[] = [];
    const reopened = await Spool.open({ dir, log: (line) => lines.push(line) });
    assert.deepEqual(reopened.peek(10).map((r) => JSON.parse(r.value).i), [0, 1, 2, 3, 4]);
    assert.equal(reopened.stats().tornBytes, half);
    assert.ok(lines.some((line) => /torn or corrupt record at byte \d+/.test(line)), lines.join());
    assert.equal((await Deno.stat(path)).size, size - half, "the tail is cut off");
    // New appends after the cut read back whole.
    await reopened.append(record(6));
    await reopened.close();

    // A flipped byte inside the first segment's last record (4) fails its checksum: that
    // record goes, the ones before it and the next segment's (6, appended after the
    // reopen: a new segment) stay.
    const bytes = await Deno.readFile(path);
    bytes[bytes.length - 3] ^= 0xff;
    await Deno.writeFile(path, bytes);
    const lines2: string[] = [];
    const third = await Spool.open({ dir, log: (line) => lines2.push(line) });
    assert.deepEqual(third.peek(10).map((r) => JSON.parse(r.value).i), [0, 1, 2, 3, 6]);
    assert.ok(lines2.some((line) => line.includes("torn or corrupt")), lines2.join());
    await third.close();
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("what does not fit is refused and counted, and fits again once drained", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spool_bound_" });
  try {
    const frame = frameRecord(record(0)).length;
    const lines: string[] = [];
    const spool = await Spool.open({ dir, maxBytes: frame * 4, log: (l) => lines.push(l) });
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => spool.append(record(i))));
    assert.deepEqual(results.map((seq) => seq !== undefined), [
      true,
      true,
      true,
      true,
      false,
      false,
    ]);
    const stats = spool.stats();
    assert.equal(stats.refused, 2);
    assert.equal(stats.records, 4);
    assert.ok(stats.bytes <= stats.maxBytes);
    assert.equal(lines.length, 1, "refusals are logged (at most every 10 s)");
    assert.match(lines[0], /full .*refused 1 event/);
    let size = 0;
    for (const name of await segmentFiles(dir)) size += (await Deno.stat(join(dir, name))).size;
    assert.equal(size, stats.bytes);
    spool.peek(4);
    await spool.ack(4);
    assert.notEqual(await spool.append(record(9)), undefined);
    await spool.close();
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("a spool directory in use is refused; openSlot takes the first free one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spool_lock_" });
  try {
    const first = await Spool.open({ dir, log: () => {} });
    await assert.rejects(() => Spool.open({ dir, log: () => {} }), /in use by another process/);
    // Slots: the first free numbered directory; a closed one is free again.
    const a = await Spool.openSlot({ parent: dir, log: () => {} });
    const b = await Spool.openSlot({ parent: dir, log: () => {} });
    assert.deepEqual([a.dir, b.dir], [join(dir, "0"), join(dir, "1")]);
    await a.append(record(1));
    await a.close();
    const c = await Spool.openSlot({ parent: dir, log: () => {} });
    assert.equal(c.dir, join(dir, "0"));
    assert.equal(c.pending, 1, "the records a closed (or dead) process left are picked up");
    await b.close();
    await c.close();
    await first.close();
    const second = await Spool.open({ dir, log: () => {} });
    await second.close();
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
