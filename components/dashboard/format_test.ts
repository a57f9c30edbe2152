// Counters: digit groups, separators from CSS.
import assert from "node:assert/strict";
import { digitGroups } from "./format.ts";

Deno.test("counters split into digit groups (separators come from CSS)", () => {
  assert.deepEqual(digitGroups(0), ["0"]);
  assert.deepEqual(digitGroups(999), ["999"]);
  assert.deepEqual(digitGroups(1000), ["1", "000"]);
  assert.deepEqual(digitGroups(8471220), ["8", "471", "220"]);
});
