import assert from "node:assert/strict";
import { createRateLimiter, TokenBuckets } from "./rate_limit.ts";

Deno.test("token buckets say how long until a token, and take one only when asked", () => {
  let now = 0;
  const buckets = new TokenBuckets({ burst: 2, perSecond: 0.5, now: () => now });
  assert.equal(buckets.waitMs("a"), 0);
  assert.equal(buckets.waitMs("a"), 0, "looking takes nothing");
  buckets.take("a");
  buckets.take("a");
  assert.equal(buckets.waitMs("a"), 2000);
  now += 500;
  assert.equal(buckets.waitMs("a"), 1500);
  now += 1500;
  assert.equal(buckets.waitMs("a"), 0);
  assert.equal(buckets.waitMs("b"), 0);
});

Deno.test("token buckets remember at most maxKeys keys, forgetting the least recent", () => {
  const buckets = new TokenBuckets({ burst: 1, perSecond: 0.001, maxKeys: 100, now: () => 0 });
  for (let i = 0; i < 1000; i++) buckets.take(`key ${i}`);
  assert.equal(buckets.size, 100);
  assert.ok(buckets.waitMs("key 999") > 0, "a recent key is remembered");
  assert.equal(buckets.waitMs("key 0"), 0, "the oldest was forgotten");
});

Deno.test("the rate limiter allows a burst, then the refill rate, per client", () => {
  let now = 0;
  const take = createRateLimiter({ burst: 3, perSecond: 2, now: () => now });
  assert.deepEqual([take("a"), take("a"), take("a"), take("a")], [true, true, true, false]);
  assert.equal(take("b"), true);
  now += 500;
  assert.deepEqual([take("a"), take("a")], [true, false]);
  now += 10_000;
  assert.deepEqual([take("a"), take("a"), take("a"), take("a")], [true, true, true, false]);
  const small = createRateLimiter({ burst: 1, perSecond: 1, maxKeys: 2, now: () => now });
  small("x");
  small("y");
  small("z"); // forgets "x", the least recently seen
  assert.equal(small("x"), true);
});
