// Live deltas applied to the summary in place (the same code runs in the browser).
import assert from "node:assert/strict";
import { applyDeltas, emptyDeviceCounts, emptyProductCounts, type Summary } from "./model.ts";
import { startOfDay } from "../core/calendar.ts";
import { nextBucket } from "./buckets.ts";
import { PRODUCTS } from "../core/event.ts";

function todaySummary(): Summary {
  const t0 = Date.parse("2024-03-10T10:00:00Z") / 1000;
  return {
    generatedAt: "2024-03-10T10:01:30Z",
    timeZone: "UTC",
    query: { range: "today", products: ["clothes", "sneakers"] },
    range: { from: "2024-03-10", to: "2024-03-10" },
    previousRange: null,
    bounds: { from: "2023-03-10", to: "2024-03-11" },
    granularity: "minute",
    today: { day: "2024-03-10", counts: emptyProductCounts() },
    totals: emptyProductCounts(),
    previous: null,
    devices: emptyDeviceCounts(),
    series: {
      t: [t0, t0 + 60],
      orders: Object.fromEntries(PRODUCTS.map((p) => [p, [0, 0]])) as Summary["series"]["orders"],
    },
    dataRange: null,
    lastEventAt: null,
    eventsPerSecond: 0,
    ticker: [],
    lag: null,
    live: { instance: "x", seq: 0 },
  };
}

Deno.test("live deltas update today's counts, totals, devices and the series in place", () => {
  const summary = todaySummary();
  const changed = applyDeltas(summary, [
    ["2024-03-10T10:01:00.000Z", "clothes", "mobile", "order", 2],
    // Three minutes later: the series grows with zero-filled minutes between.
    ["2024-03-10T10:04:00.000Z", "sneakers", "desktop", "order", 1],
    ["2024-03-10T10:04:00.000Z", "sneakers", "desktop", "banner_show", 7],
    // Filtered out (category), and another day: ignored.
    ["2024-03-10T10:01:00.000Z", "electronics", "mobile", "order", 5],
    ["2024-03-09T23:59:00.000Z", "clothes", "mobile", "order", 4],
  ]);
  assert.equal(changed, true);
  assert.equal(summary.today.counts.clothes.order, 2);
  assert.equal(summary.today.counts.sneakers.banner_show, 7);
  assert.equal(summary.today.counts.electronics.order, 0);
  assert.equal(summary.devices.mobile.order, 2);
  assert.equal(summary.devices.desktop.order, 1);
  assert.equal(summary.series.t.length, 5);
  assert.deepEqual(summary.series.orders.clothes, [0, 2, 0, 0, 0]);
  assert.deepEqual(summary.series.orders.sneakers, [0, 0, 0, 0, 1]);
  assert.equal(
    applyDeltas(summary, [["2024-03-10T10:01:00.000Z", "accessories", "mobile", "order", 1]]),
    false,
  );
});

/** A summary of weekly or monthly orders in New York, its series ending at `lastBucket`. */
function calendarSummary(
  granularity: "week" | "month",
  range: { from: string; to: string },
  firstBucket: string,
  lastBucket: string,
): Summary {
  const timeZone = "America/New_York";
  const t: number[] = [];
  for (
    let b = startOfDay(firstBucket, timeZone) / 1000;
    b <= startOfDay(lastBucket, timeZone) / 1000;
  ) {
    t.push(b);
    b = nextBucket(b, granularity, timeZone);
  }
  return {
    ...todaySummary(),
    timeZone,
    query: { range: "custom", from: range.from, to: range.to, products: [] },
    range,
    granularity,
    today: { day: lastBucket, counts: emptyProductCounts() },
    series: {
      t,
      orders: Object.fromEntries(PRODUCTS.map((p) => [p, t.map(() => 0)])) as Summary["series"][
        "orders"
      ],
    },
  };
}

const iso = (t: number) => new Date(t * 1000).toISOString();

Deno.test("live deltas land in the right week bucket in a DST zone, and new weeks are appended", () => {
  // Weeks from Monday 2024-02-26 to the week of 2024-03-11 (New York went to daylight
  // time on Sunday 2024-03-10).
  const summary = calendarSummary(
    "week",
    { from: "2024-02-28", to: "2024-03-31" },
    "2024-02-26",
    "2024-03-11",
  );
  assert.deepEqual(summary.series.t.map(iso), [
    "2024-02-26T05:00:00.000Z",
    "2024-03-04T05:00:00.000Z",
    "2024-03-11T04:00:00.000Z",
  ]);
  applyDeltas(summary, [
    // Sunday 23:59 EDT: still the week of March 4.
    ["2024-03-11T03:59:00.000Z", "clothes", "mobile", "order", 2],
    // Monday 00:00 EDT: the week of March 11 (the newest bucket).
    ["2024-03-11T04:00:00.000Z", "clothes", "mobile", "order", 3],
    // Thursday 2024-02-29 00:30 EST: the first, partial week.
    ["2024-02-29T05:30:00.000Z", "sneakers", "desktop", "order", 1],
    // Before the range (Tuesday 2024-02-27): ignored.
    ["2024-02-27T15:00:00.000Z", "sneakers", "desktop", "order", 9],
    // Two weeks on: the week of March 18 is zero-filled, March 25 gets the order.
    ["2024-03-26T12:00:00.000Z", "electronics", "desktop", "order", 4],
  ]);
  assert.deepEqual(summary.series.t.map(iso), [
    "2024-02-26T05:00:00.000Z",
    "2024-03-04T05:00:00.000Z",
    "2024-03-11T04:00:00.000Z",
    "2024-03-18T04:00:00.000Z",
    "2024-03-25T04:00:00.000Z",
  ]);
  assert.deepEqual(summary.series.orders.clothes, [0, 2, 3, 0, 0]);
  assert.deepEqual(summary.series.orders.sneakers, [1, 0, 0, 0, 0]);
  assert.deepEqual(summary.series.orders.electronics, [0, 0, 0, 0, 4]);
  assert.equal(summary.totals.clothes.order + summary.totals.sneakers.order, 6);
});

Deno.test("live deltas land in the right month bucket in a DST zone, and new months are appended", () => {
  const summary = calendarSummary(
    "month",
    { from: "2024-01-15", to: "2024-12-31" },
    "2024-01-01",
    "2024-03-01",
  );
  applyDeltas(summary, [
    // 2024-03-31 23:30 EDT is March; 2024-04-01 00:00 EDT (04:00Z) is April.
    ["2024-04-01T03:30:00.000Z", "accessories", "mobile", "order", 1],
    ["2024-04-01T04:00:00.000Z", "accessories", "mobile", "order", 2],
    // 2024-01-31 23:59 EST (2024-02-01T04:59Z) is January.
    ["2024-02-01T04:59:00.000Z", "accessories", "mobile", "order", 5],
    // November, after the change back to standard time: months in between are appended.
    ["2024-11-01T04:00:00.000Z", "accessories", "mobile", "order", 7],
  ]);
  assert.deepEqual(summary.series.t.map(iso), [
    "2024-01-01T05:00:00.000Z",
    "2024-02-01T05:00:00.000Z",
    "2024-03-01T05:00:00.000Z",
    "2024-04-01T04:00:00.000Z",
    "2024-05-01T04:00:00.000Z",
    "2024-06-01T04:00:00.000Z",
    "2024-07-01T04:00:00.000Z",
    "2024-08-01T04:00:00.000Z",
    "2024-09-01T04:00:00.000Z",
    "2024-10-01T04:00:00.000Z",
    "2024-11-01T04:00:00.000Z",
  ]);
  assert.deepEqual(summary.series.orders.accessories, [5, 0, 1, 2, 0, 0, 0, 0, 0, 0, 7]);
});
