import assert from "node:assert/strict";
import { TokenBuckets } from "./rate_limit.ts";

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
