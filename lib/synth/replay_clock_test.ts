// The replay's clock: relative timing scaled by the speed.
import assert from "node:assert/strict";
import { ReplayClock, shiftToNow } from "./replay_clock.ts";

Deno.test("the replay clock keeps relative timing scaled by the speed", () => {
  const clock = new ReplayClock(3600);
  const t0 = Date.UTC(2019, 0, 1);
  const wall = 1_000_000;
  assert.equal(clock.delay(t0, wall), 0);
  // One hour of data is one second at 3600×.
  assert.equal(clock.delay(t0 + 3_600_000, wall), 1000);
  assert.equal(clock.delay(t0 + 3_600_000, wall + 400), 600);
  assert.equal(clock.delay(t0 + 3_600_000, wall + 5000), 0);
  assert.equal(clock.delay(t0 - 60_000, wall), 0, "an earlier row is due at once");
  const max = new ReplayClock("max");
  assert.equal(max.delay(t0, wall), 0);
  assert.equal(max.delay(t0 + 86_400_000, wall), 0);
  assert.equal(t0 + shiftToNow(t0, wall), wall);
});
