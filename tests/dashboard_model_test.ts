// The dashboard's pure model: URL state, ranges, calendar days in a zone, and live
// deltas applied in place (the same code runs in the browser).
import assert from "node:assert/strict";
import {
  applyDeltas,
  BadQueryError,
  dayIn,
  emptyDeviceCounts,
  emptyProductCounts,
  nextBucket,
  parseSummaryQuery,
  previousRange,
  resolveRange,
  startOfDay,
  type Summary,
  summarySearch,
} from "../lib/dashboard/model.ts";
import { PRODUCTS } from "../lib/core/event.ts";
import { digitGroups } from "../components/dashboard/format.tsx";

Deno.test("the URL state parses, normalizes and prints back", () => {
  const query = parseSummaryQuery(
    new URLSearchParams("range=7d&product=sneakers,clothes&product=clothes&site_version=mobile"),
  );
  assert.deepEqual(query, {
    range: "7d",
    products: ["clothes", "sneakers"],
    siteVersion: "mobile",
  });
  assert.equal(summarySearch(query), "range=7d&product=clothes%2Csneakers&site_version=mobile");
  assert.deepEqual(parseSummaryQuery(new URLSearchParams("")), { range: "today", products: [] });
  // All five categories is the same as none: no filter.
  assert.deepEqual(
    parseSummaryQuery(new URLSearchParams(`product=${PRODUCTS.join(",")}`)).products,
    [],
  );
  // from/to alone mean a custom range.
  assert.deepEqual(parseSummaryQuery(new URLSearchParams("from=2019-01-01&to=2019-01-31")), {
    range: "custom",
    from: "2019-01-01",
    to: "2019-01-31",
    products: [],
  });
  assert.throws(
    () => parseSummaryQuery(new URLSearchParams("range=custom&from=2019-01-01")),
    BadQueryError,
  );
});

Deno.test("ranges resolve to calendar days, with the previous period of the same length", () => {
  const today = "2024-03-10";
  const q = (range: string) => parseSummaryQuery(new URLSearchParams(`range=${range}`));
  assert.deepEqual(resolveRange(q("yesterday"), today, null), {
    from: "2024-03-09",
    to: "2024-03-09",
  });
  assert.deepEqual(resolveRange(q("7d"), today, null), { from: "2024-03-04", to: "2024-03-10" });
  assert.deepEqual(resolveRange(q("30d"), today, null), { from: "2024-02-10", to: "2024-03-10" });
  const data = { from: "2019-01-01", to: "2019-05-31" };
  assert.deepEqual(resolveRange(q("all"), today, data), data);
  assert.deepEqual(previousRange({ from: "2024-03-04", to: "2024-03-10" }), {
    from: "2024-02-26",
    to: "2024-03-03",
  });
});

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

Deno.test("counters split into digit groups (separators come from CSS)", () => {
  assert.deepEqual(digitGroups(0), ["0"]);
  assert.deepEqual(digitGroups(999), ["999"]);
  assert.deepEqual(digitGroups(1000), ["1", "000"]);
  assert.deepEqual(digitGroups(8471220), ["8", "471", "220"]);
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
