import assert from "node:assert/strict";
import { sleep, TimeoutError, withTimeout } from "./async.ts";

Deno.test("withTimeout passes a prompt result through and times out a slow one", async () => {
  assert.equal(await withTimeout(Promise.resolve(7), 1_000, "A quick step"), 7);
  const slow = sleep(200).then(() => Promise.reject(new Error("late failure")));
  const error = await withTimeout(slow, 10, "A slow step").catch((e) => e);
  assert.ok(error instanceof TimeoutError);
  assert.equal(error.code, "TIMEOUT");
  assert.equal(error.message, "A slow step took longer than 10 ms");
  // The late rejection of the abandoned promise is observed, not unhandled.
  await sleep(250);
});
