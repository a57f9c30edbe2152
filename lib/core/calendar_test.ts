// Calendar days in a zone.
import assert from "node:assert/strict";
import { dayIn, startOfDay } from "./calendar.ts";

Deno.test("days in a zone follow its midnight, across a DST change", () => {
  // New York switched to daylight time on 2024-03-10 at 02:00.
  assert.equal(
    new Date(startOfDay("2024-03-10", "America/New_York")).toISOString(),
    "2024-03-10T05:00:00.000Z",
  );
  assert.equal(
    new Date(startOfDay("2024-03-11", "America/New_York")).toISOString(),
    "2024-03-11T04:00:00.000Z",
  );
  assert.equal(dayIn(Date.parse("2024-03-11T03:59:59Z"), "America/New_York"), "2024-03-10");
  assert.equal(dayIn(Date.parse("2024-03-11T04:00:00Z"), "America/New_York"), "2024-03-11");
});
