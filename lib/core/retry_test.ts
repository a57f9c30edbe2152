import assert from "node:assert/strict";
import { describeError, RetryAborted, retryWithBackoff } from "./retry.ts";

Deno.test("retryWithBackoff retries until success, reporting each failure", async () => {
  let calls = 0;
  const seen: number[] = [];
  const result = await retryWithBackoff(() => {
    calls++;
    if (calls < 3) return Promise.reject(new Error(`boom ${calls}`));
    return Promise.resolve("done");
  }, { initialDelayMs: 1, onRetry: (_error, attempt) => void seen.push(attempt) });
  assert.equal(result, "done");
  assert.deepEqual(seen, [1, 2]);
});

Deno.test("retryWithBackoff stops with RetryAborted when told to, keeping the cause", async () => {
  const cause = Object.assign(new Error("Connection refused"), { code: "ECONNREFUSED" });
  const error = await retryWithBackoff(() => Promise.reject(cause), {
    initialDelayMs: 1,
    shouldStop: () => true,
  }).catch((e) => e);
  assert.ok(error instanceof RetryAborted);
  assert.equal(error.cause, cause);
  assert.equal(describeError(cause), "Connection refused (ECONNREFUSED)");
});
