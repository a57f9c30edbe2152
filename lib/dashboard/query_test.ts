// The range rules of query.ts and buckets.ts: which days a query may ask for, the
// granularity that keeps a series within MAX_POINTS, calendar buckets (week from Monday,
// month) starting at local midnight across DST, and bounding a raw query string.
import assert from "node:assert/strict";
import {
  addDays,
  addMonths,
  dayCount,
  type DayRange,
  monthStartDay,
  weekStartDay,
} from "../core/calendar.ts";
import {
  allowedDays,
  BadQueryError,
  checkRange,
  EARLIEST_DAY,
  MAX_SEARCH_LENGTH,
  parseSummaryQuery,
  parseSummarySearch,
  previousRange,
  resolveRange,
  summarySearch,
} from "./query.ts";
import { PRODUCTS } from "../core/event.ts";
import { bucketDay, bucketStart, granularityFor, MAX_POINTS, nextBucket } from "./buckets.ts";

const TODAY = "2026-12-01";
const NY = "America/New_York";

/** Buckets a series of `range` has at `granularity` (calendar arithmetic, no zone). */
function bucketCount(range: DayRange, granularity: "day" | "week" | "month"): number {
  let count = 0;
  for (let day = bucketDay(range.from, granularity); day <= range.to; count++) {
    day = granularity === "day"
      ? addDays(day, 1)
      : granularity === "week"
      ? addDays(day, 7)
      : addMonths(day, 1);
  }
  return count;
}

Deno.test("calendar helpers: Monday week starts, month starts, month arithmetic", () => {
  assert.equal(weekStartDay("2024-03-10"), "2024-03-04"); // a Sunday
  assert.equal(weekStartDay("2024-03-11"), "2024-03-11"); // a Monday
  assert.equal(weekStartDay("2021-01-01"), "2020-12-28"); // across a year
  assert.equal(monthStartDay("2024-02-29"), "2024-02-01");
  assert.equal(addMonths("2024-01-31", 1), "2024-02-29");
  assert.equal(addMonths("2023-01-31", 1), "2023-02-28");
  assert.equal(addMonths("2024-02-29", -12), "2023-02-28");
  assert.equal(addMonths("2024-12-15", 1), "2025-01-15");
});

Deno.test("the allowed days run from a year before the data (or today) to tomorrow, never before 1970", () => {
  assert.deepEqual(allowedDays(TODAY, { from: "2019-01-01", to: "2019-05-31" }), {
    from: "2018-01-01",
    to: "2026-12-02",
  });
  assert.deepEqual(allowedDays(TODAY, null), { from: "2025-12-01", to: "2026-12-02" });
  // Data that starts later than today (a stored future event) does not narrow them.
  assert.deepEqual(allowedDays(TODAY, { from: "9999-12-31", to: "9999-12-31" }), {
    from: "2025-12-01",
    to: "2026-12-02",
  });
  assert.deepEqual(allowedDays(TODAY, { from: "1970-03-01", to: TODAY }), {
    from: EARLIEST_DAY,
    to: "2026-12-02",
  });
  assert.deepEqual(allowedDays("2024-02-29", null).from, "2023-02-28");
});

Deno.test("a day outside the allowed days is refused with the bounds in the message", () => {
  const bounds = allowedDays(TODAY, { from: "2019-01-01", to: "2019-05-31" });
  const cases: [DayRange, string][] = [
    [{ from: "0000-01-01", to: "2019-01-31" }, 'Cannot read from "0000-01-01"'],
    [{ from: "1500-01-01", to: "2026-12-01" }, 'Cannot read from "1500-01-01"'],
    [{ from: "2019-01-01", to: "9999-12-31" }, 'Cannot read to "9999-12-31"'],
    [{ from: "2017-12-31", to: "2019-01-31" }, 'Cannot read from "2017-12-31"'],
    [{ from: "2019-01-01", to: "2026-12-03" }, 'Cannot read to "2026-12-03"'],
  ];
  for (const [range, start] of cases) {
    assert.throws(
      () => checkRange(range, bounds),
      (error) =>
        error instanceof BadQueryError &&
        error.message === `${start}: choose a day from 2018-01-01 to 2026-12-02`,
      JSON.stringify(range),
    );
  }
  checkRange(bounds, bounds); // the bounds themselves are allowed
  checkRange({ from: "2019-01-01", to: "2019-01-01" }, bounds);
});

Deno.test("all data stops at the allowed days: a far-off stored date cannot stretch it", () => {
  const all = parseSummaryQuery(new URLSearchParams("range=all"));
  assert.deepEqual(resolveRange(all, TODAY, { from: "2019-01-01", to: "9999-12-31" }), {
    from: "2019-01-01",
    to: "2026-12-02",
  });
  assert.deepEqual(resolveRange(all, TODAY, { from: "1900-01-01", to: "2019-05-31" }), {
    from: EARLIEST_DAY,
    to: "2019-05-31",
  });
  // Only data after tomorrow: as if there were none.
  assert.deepEqual(resolveRange(all, TODAY, { from: "9999-12-31", to: "9999-12-31" }), {
    from: TODAY,
    to: TODAY,
  });
});

Deno.test("granularity: minute today, hour up to 7 days, then the finest within 2,000 points", () => {
  const span = (days: number): DayRange => ({ from: addDays(TODAY, 1 - days), to: TODAY });
  assert.equal(granularityFor({ from: TODAY, to: TODAY }, TODAY), "minute");
  assert.equal(granularityFor({ from: "2019-01-01", to: "2019-01-01" }, TODAY), "hour");
  assert.equal(granularityFor(span(7), TODAY), "hour");
  assert.equal(granularityFor(span(8), TODAY), "day");
  assert.equal(granularityFor(span(MAX_POINTS), TODAY), "day");
  assert.equal(granularityFor(span(MAX_POINTS + 1), TODAY), "week");
  assert.equal(granularityFor({ from: "2018-01-01", to: "2026-12-02" }, TODAY), "week");
  assert.equal(granularityFor({ from: EARLIEST_DAY, to: "2026-12-02" }, TODAY), "month");
  // Every width the allowed days permit, whatever weekday it starts on, stays within
  // MAX_POINTS buckets at the granularity chosen for it.
  const widest = allowedDays(TODAY, { from: EARLIEST_DAY, to: TODAY });
  const widths = [8, 100, 1999, 2000, 2001, 5000, 13_992, 13_993, 13_999, 14_000, 20_000];
  widths.push(dayCount(widest));
  for (const width of widths) {
    for (let shift = 0; shift < 7; shift++) {
      const range = {
        from: addDays(widest.from, shift),
        to: addDays(widest.from, shift + width - 1),
      };
      if (range.to > widest.to) continue;
      const granularity = granularityFor(range, TODAY);
      assert.ok(granularity === "day" || granularity === "week" || granularity === "month");
      const count = bucketCount(range, granularity);
      assert.ok(count <= MAX_POINTS, `${width} days from ${range.from}: ${count} ${granularity}s`);
    }
  }
});

Deno.test("week and month buckets start at local midnight, across DST changes", () => {
  const iso = (t: number) => new Date(t * 1000).toISOString();
  // New York: daylight time from 2024-03-10 02:00, standard time from 2024-11-03 02:00.
  // The week of Sunday 2024-03-10 starts Monday 2024-03-04 at midnight EST (05:00Z).
  const sunday = Date.parse("2024-03-11T03:59:59Z"); // 23:59:59 EDT on Sunday
  assert.equal(iso(bucketStart(sunday, "week", NY)), "2024-03-04T05:00:00.000Z");
  assert.equal(
    iso(nextBucket(bucketStart(sunday, "week", NY), "week", NY)),
    "2024-03-11T04:00:00.000Z",
  );
  assert.equal(
    iso(bucketStart(Date.parse("2024-03-11T04:00:00Z"), "week", NY)),
    "2024-03-11T04:00:00.000Z",
  );
  const fall = bucketStart(Date.parse("2024-11-03T12:00:00Z"), "week", NY);
  assert.equal(iso(fall), "2024-10-28T04:00:00.000Z");
  assert.equal(iso(nextBucket(fall, "week", NY)), "2024-11-04T05:00:00.000Z");
  // Months: March starts in EST, April in EDT; the instant before April is March's.
  const march = bucketStart(Date.parse("2024-03-31T23:00:00Z"), "month", NY);
  assert.equal(iso(march), "2024-03-01T05:00:00.000Z");
  assert.equal(iso(nextBucket(march, "month", NY)), "2024-04-01T04:00:00.000Z");
  assert.equal(
    iso(bucketStart(Date.parse("2024-04-01T03:59:59Z"), "month", NY)),
    "2024-03-01T05:00:00.000Z",
  );
  assert.equal(
    iso(nextBucket(bucketStart(Date.parse("2024-12-15T00:00:00Z"), "month", NY), "month", NY)),
    "2025-01-01T05:00:00.000Z",
  );
  // Half-hour zones too: India has no DST, midnight is 18:30Z the day before.
  assert.equal(
    iso(bucketStart(Date.parse("2024-03-10T00:00:00Z"), "week", "Asia/Kolkata")),
    "2024-03-03T18:30:00.000Z",
  );
});

Deno.test("a raw query string is bounded before it is parsed", () => {
  assert.deepEqual(parseSummarySearch("?range=7d&product=clothes"), {
    range: "7d",
    products: ["clothes"],
  });
  assert.deepEqual(parseSummarySearch(""), { range: "today", products: [] });
  const long = `product=${"a".repeat(MAX_SEARCH_LENGTH)}`;
  assert.throws(
    () => parseSummarySearch(long),
    {
      name: "BadQueryError",
      message:
        `Cannot read a query string of ${long.length} characters: the dashboard reads at most 1024`,
    },
  );
  assert.throws(
    () => parseSummarySearch(Array(21).fill("product=clothes").join("&")),
    { message: "Cannot read a query string of 21 parameters: the dashboard reads at most 20" },
  );
  // Twenty is fine, and repeats of one category count once.
  assert.deepEqual(parseSummarySearch(Array(20).fill("product=clothes").join("&")).products, [
    "clothes",
  ]);
  // A long bad value is quoted short in the message.
  assert.throws(
    () => parseSummarySearch(`site_version=${"x".repeat(500)}`),
    (error) =>
      error instanceof BadQueryError && error.message.length < 200 && error.message.includes("..."),
  );
});

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
