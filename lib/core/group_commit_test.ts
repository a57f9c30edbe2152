import assert from "node:assert/strict";
import { GroupCommit } from "./group_commit.ts";

Deno.test("group commit runs concurrent requests in few batches, results in order", async () => {
  const batches: number[][] = [];
  const commit = new GroupCommit<number, number>(async (batch) => {
    batches.push([...batch]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    return batch.map((n) => n * 2);
  }, { maxBatch: 40, maxRunning: 1 });
  const results = await Promise.all(Array.from({ length: 100 }, (_, i) => commit.submit(i)));
  assert.deepEqual(results, Array.from({ length: 100 }, (_, i) => i * 2));
  // The first request runs alone; the others waited and went 40 at a time.
  assert.deepEqual(batches.map((batch) => batch.length), [1, 40, 40, 19]);
});

Deno.test("a failed batch rejects its own requests only; later ones still run", async () => {
  let calls = 0;
  const commit = new GroupCommit<string, string>((batch) => {
    calls++;
    if (batch.includes("bad")) throw new Error('Cannot run the batch: it holds "bad"');
    return Promise.resolve(batch.map((s) => s.toUpperCase()));
  }, { maxRunning: 1 });
  await assert.rejects(commit.submit("bad"), /holds "bad"/);
  assert.equal(await commit.submit("good"), "GOOD");
  assert.equal(calls, 2);
});
