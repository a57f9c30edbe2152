import assert from "node:assert/strict";
import { createGuessThrottle } from "./guess_throttle.ts";

Deno.test("wrong guesses beyond the burst wait for the refill; other addresses are not held", () => {
  let time = 0;
  const throttle = createGuessThrottle({ burst: 3, perMinute: 6, now: () => time });
  for (let i = 0; i < 3; i++) {
    assert.equal(throttle.retryAfter("a"), 0);
    throttle.failed("a");
  }
  // One guess refills every 10 s.
  assert.equal(throttle.retryAfter("a"), 10);
  assert.equal(throttle.retryAfter("b"), 0);
  time += 4_000;
  assert.equal(throttle.retryAfter("a"), 6);
  time += 6_000;
  assert.equal(throttle.retryAfter("a"), 0);
  throttle.failed("a");
  assert.equal(throttle.retryAfter("a"), 10);
});

Deno.test("an address that stops guessing is forgotten once its bucket is full again", () => {
  let time = 0;
  const throttle = createGuessThrottle({ burst: 2, perMinute: 60, maxKeys: 2, now: () => time });
  throttle.failed("a");
  throttle.failed("a");
  assert.ok(throttle.retryAfter("a") > 0);
  time += 2_000;
  assert.equal(throttle.retryAfter("a"), 0);
  // Over maxKeys the least recently seen address is dropped (memory stays bounded).
  throttle.failed("b");
  throttle.failed("b");
  throttle.failed("c");
  throttle.failed("c");
  throttle.failed("d");
  throttle.failed("d");
  assert.equal(throttle.retryAfter("b"), 0);
  assert.ok(throttle.retryAfter("d") > 0);
});
