// Issue 10, findings 7 and 8 (dates): the dashboard's queries are bounded. A day outside
// the allowed days (a year before the data to tomorrow, never before 1970) is a 400 that
// names the bounds, on every dashboard route; hostile query strings are 400s before they
// are parsed; the widest allowed range answers with at most 2,000 points (weeks or months
// from local midnight) and the same totals as the daily rollup; explore scans of
// different ranges run one at a time per process, the others get 503 with the reason;
// summary and export reads run two at a time, each on one backend, and past 100 waiting
// they get 503 too, while the shop answers.
import { errorReason, reasonOf } from "./support/errors.ts";
import assert from "node:assert/strict";
import { DASHBOARD_READS, DASHBOARD_WAITING } from "../lib/dashboard/gate.ts";
import { PRODUCTS, TITLES } from "../lib/core/event.ts";
import { addDays, dayIn, type DayRange, startOfDay } from "../lib/core/calendar.ts";
import { MAX_POINTS } from "../lib/dashboard/buckets.ts";
import { type Summary } from "../lib/dashboard/model.ts";
import { testServices } from "./support/services.ts";
import {
  countEvents,
  makeEvent,
  seed,
  spreadEvents,
  startTestDashboard,
} from "./support/dashboard.ts";

const TZ = "America/New_York";
// kafkajs (the shop's producer in the web server) keeps timers past disconnect.
const sanitize = { sanitizeOps: false, sanitizeResources: false };
const ROUTES = ["/api/summary", "/api/export.csv", "/api/explore", "/dashboard"];

async function getSummary(url: string): Promise<Summary> {
  const response = await fetch(url);
  assert.equal(response.status, 200, await response.clone().text());
  return await response.json();
}

/** Asserts a 400 whose reason matches `message` (JSON under /api/, the error page otherwise; no stack trace). */
async function assertBadRequest(url: string, message: RegExp | string): Promise<void> {
  const response = await fetch(url);
  const body = await response.text();
  assert.equal(response.status, 400, `${url.slice(0, 200)}: ${body.slice(0, 300)}`);
  const api = new URL(url).pathname.startsWith("/api/");
  assert.match(
    response.headers.get("content-type") ?? "",
    api ? /application\/json/ : /text\/html/,
  );
  const reason = reasonOf(body);
  if (typeof message === "string") assert.equal(reason, message, url.slice(0, 200));
  else assert.match(reason, message, url.slice(0, 200));
  assert.ok(reason.length < 300, `a short message: ${reason.length} characters`);
  assert.doesNotMatch(body, /\n\s+at /, "no stack trace");
}

/** `sum(n)` of `rollup_daily` per product and title over `range` (the daily sum). */
async function dailySums(
  sql: Parameters<typeof countEvents>[0],
  range: DayRange,
): Promise<Record<string, number>> {
  const rows = await sql`
    select product, title, sum(n)::int8 as n from rollup_daily
    where day between ${range.from}::date and ${range.to}::date group by 1, 2`;
  return Object.fromEntries(rows.map((r) => [`${r.product}/${r.title}`, r.n as number]));
}

function flatten(counts: Summary["totals"]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const product of PRODUCTS) {
    for (const title of TITLES) {
      if (counts[product][title] > 0) out[`${product}/${title}`] = counts[product][title];
    }
  }
  return out;
}

Deno.test({
  name:
    "a day outside the allowed days is a 400 naming them, on the summary, the export, explore and the page",
  ...sanitize,
  async fn() {
    const { kafkaBrokers } = await testServices();
    await using dash = await startTestDashboard(kafkaBrokers, { timeZone: TZ });
    await seed(dash.db.sql, [makeEvent({ time: "2019-02-01T15:00:00Z" })], TZ);
    const tomorrow = addDays(dayIn(Date.now(), TZ), 1);
    const bounds = `choose a day from 2018-02-01 to ${tomorrow}`;
    const cases: [string, string][] = [
      ["from=0000-01-01&to=2019-03-01", `Cannot read from "0000-01-01": ${bounds}`],
      ["from=1500-01-01&to=2026-12-01", `Cannot read from "1500-01-01": ${bounds}`],
      ["range=custom&from=2019-01-01&to=9999-12-31", `Cannot read to "9999-12-31": ${bounds}`],
      ["from=9999-12-31&to=9999-12-31", `Cannot read from "9999-12-31": ${bounds}`],
      ["from=2018-01-31&to=2019-03-01", `Cannot read from "2018-01-31": ${bounds}`],
      [
        `from=2019-01-01&to=${addDays(tomorrow, 1)}`,
        `Cannot read to "${addDays(tomorrow, 1)}": ${bounds}`,
      ],
    ];
    for (const route of ROUTES) {
      for (const [query, message] of cases) {
        await assertBadRequest(`${dash.web.url}${route}?${query}`, message);
      }
      // A request head past HTTP_MAX_HEADER_BYTES never reaches a route: the connection
      // guard answers 431 before reading further.
      const huge = await fetch(`${dash.web.url}${route}?product=${"a".repeat(60_000)}`);
      assert.equal(huge.status, 431);
      assert.match(await huge.text(), /^Request header fields too large: the limit is 16384 bytes/);
    }
    // The bounds themselves are allowed, and the summary says what they are.
    const widest = await getSummary(
      `${dash.web.url}/api/summary?from=2018-02-01&to=${tomorrow}`,
    );
    assert.deepEqual(widest.bounds, { from: "2018-02-01", to: tomorrow });
    assert.equal(widest.totals.clothes.banner_show, 1);
    // The page's date inputs carry them as min and max.
    const page = await (await fetch(`${dash.web.url}/dashboard?range=all`)).text();
    assert.match(page, new RegExp(`name="from"[^>]*min="2018-02-01"[^>]*max="${tomorrow}"`));
  },
});

Deno.test({
  name: "hostile query strings are 400s with the reason, checked before parsing, on every route",
  ...sanitize,
  async fn() {
    const { kafkaBrokers } = await testServices();
    await using dash = await startTestDashboard(kafkaBrokers);
    const cases: [string, RegExp][] = [
      [`product=${"a".repeat(6_000)}`, /query string of 6008 characters: .*at most 1024/],
      [Array(300).fill("product=clothes").join("&"), /query string of 4799 characters/],
      [Array(60).fill("product=clothes").join("&"), /query string of 60 parameters: .*at most 20/],
      [`${"&".repeat(900)}range=7d`, /query string of 901 parameters/],
      [`range=${"x".repeat(1000)}`, /Cannot read range "x{77}\.\.\."/],
      [`site_version=${"%F0%9F%92%A5".repeat(80)}`, /Cannot read site_version "(💥)+/],
      ["range=__proto__", /Cannot read range "__proto__"/],
      ["range=custom&from=2019-1-1&to=2019-01-02", /Cannot read from "2019-1-1": expected a date/],
      ["from=%00&to=2019-01-02", /Cannot read from "\\u0000"/],
      ["from=२०१९-०१-०१&to=2019-01-02", /Cannot read from/],
      ["from=+02019-01-01&to=2019-01-02", /Cannot read from " 02019-01-01"/],
      ["range=custom&from=2019-03-02&to=2019-03-01", /from is after to/],
      ["range=custom&to=2019-03-01", /give both from and to/],
      ["product=clothes,toys", /Cannot read product "toys"/],
    ];
    for (const route of ROUTES) {
      for (const [query, message] of cases) {
        await assertBadRequest(`${dash.web.url}${route}?${query}`, message);
      }
      // A request head past HTTP_MAX_HEADER_BYTES never reaches a route: the connection
      // guard answers 431 before reading further.
      const huge = await fetch(`${dash.web.url}${route}?product=${"a".repeat(60_000)}`);
      assert.equal(huge.status, 431);
      assert.match(await huge.text(), /^Request header fields too large: the limit is 16384 bytes/);
    }
    // Repeats and junk within the bounds are read as one filter; the server still answers.
    const summary = await getSummary(
      `${dash.web.url}/api/summary?${Array(19).fill("product=clothes").join("&")}&range=7d`,
    );
    assert.deepEqual(summary.query.products, ["clothes"]);
    // An empty export is the header alone.
    const empty = await fetch(`${dash.web.url}/api/export.csv?range=yesterday`);
    assert.equal(await empty.text(), "period,product,site_version,title,events\r\n");
  },
});

/** Checks a calendar series: local midnights starting each bucket, sums matching totals. */
function checkSeries(summary: Summary, isStart: (day: string) => boolean): void {
  const { t, orders } = summary.series;
  assert.ok(t.length > 0 && t.length <= MAX_POINTS, `${t.length} points`);
  for (const bucket of t) {
    const day = dayIn(bucket * 1000, TZ);
    assert.ok(isStart(day), `${new Date(bucket * 1000).toISOString()} starts ${day}`);
    assert.equal(startOfDay(day, TZ), bucket * 1000, `${day} starts at local midnight`);
  }
  for (let i = 1; i < t.length; i++) assert.ok(t[i] > t[i - 1]);
  for (const product of PRODUCTS) {
    const sum = orders[product].reduce((a, b) => a + b, 0);
    assert.equal(sum, summary.totals[product].order, `${product} orders in the series`);
  }
}

/** The export's rows summed per product and title, and its distinct periods. */
async function exportSums(url: string) {
  const response = await fetch(url);
  assert.equal(response.status, 200);
  const lines = (await response.text()).trim().split("\r\n").slice(1);
  const sums: Record<string, number> = {};
  const periods = new Set<string>();
  for (const line of lines) {
    const [period, product, , title, events] = line.split(",");
    periods.add(period);
    sums[`${product}/${title}`] = (sums[`${product}/${title}`] ?? 0) + Number(events);
  }
  return { sums, periods: [...periods] };
}

Deno.test({
  name:
    "the widest allowed range answers with at most 2,000 weekly points from local midnight and the daily rollup's totals",
  ...sanitize,
  async fn() {
    const { kafkaBrokers } = await testServices();
    await using dash = await startTestDashboard(kafkaBrokers, { timeZone: TZ });
    // About eight years of events: more than 2,000 days.
    await seed(dash.db.sql, spreadEvents(3000, Date.now(), 8 * 365 * 86_400_000), TZ);
    const base = dash.web.url;
    const { bounds } = await getSummary(`${base}/api/summary?range=all`);
    const query = `from=${bounds.from}&to=${bounds.to}`;
    const wide = await getSummary(`${base}/api/summary?${query}`);
    assert.equal(wide.granularity, "week");
    checkSeries(wide, (day) => new Date(`${day}T00:00:00Z`).getUTCDay() === 1);
    const daily = await dailySums(dash.db.sql, bounds);
    assert.deepEqual(flatten(wide.totals), daily);
    const [{ total }] = await dash.db.sql`select count(*)::int8 as total from events`;
    assert.equal(Object.values(daily).reduce((a, b) => a + b, 0), total);
    assert.deepEqual(
      daily,
      await countEvents(
        dash.db.sql,
        new Date(startOfDay(bounds.from, TZ)),
        new Date(startOfDay(addDays(bounds.to, 1), TZ)),
      ),
    );
    // The export: the same weeks, the same totals.
    const csv = await exportSums(`${base}/api/export.csv?${query}`);
    assert.deepEqual(csv.sums, daily);
    assert.ok(csv.periods.length <= MAX_POINTS);
    for (const period of csv.periods) {
      const day = dayIn(Date.parse(period), TZ);
      assert.equal(new Date(`${day}T00:00:00Z`).getUTCDay(), 1, `${period} is a Monday`);
      assert.equal(new Date(startOfDay(day, TZ)).toISOString(), period);
    }
    // Small: the 4.2 MB answer of the finding is gone.
    const response = await fetch(`${base}/api/summary?${query}`);
    assert.ok((await response.arrayBuffer()).byteLength < 100_000);
  },
});

Deno.test({
  name:
    "data reaching back to 1970 gives monthly points from local midnight, within 2,000, with the daily rollup's totals",
  ...sanitize,
  async fn() {
    const { kafkaBrokers } = await testServices();
    await using dash = await startTestDashboard(kafkaBrokers, { timeZone: TZ });
    await seed(
      dash.db.sql,
      [
        ...spreadEvents(1500, Date.now(), 8 * 365 * 86_400_000),
        makeEvent({ time: "1970-06-15T12:00:00Z", title: "order", target: 1 }),
        // 23:30 on 1999-12-31 in New York is already 2000 in UTC: December's bucket.
        makeEvent({ time: "2000-01-01T04:30:00Z", title: "order", target: 1, product: "sneakers" }),
      ],
      TZ,
    );
    const base = dash.web.url;
    const all = await getSummary(`${base}/api/summary?range=all`);
    assert.equal(all.bounds.from, "1970-01-01");
    const wide = await getSummary(`${base}/api/summary?from=1970-01-01&to=${all.bounds.to}`);
    assert.equal(wide.granularity, "month");
    checkSeries(wide, (day) => day.endsWith("-01"));
    const december = wide.series.t.findIndex((t) => dayIn(t * 1000, TZ) === "1999-12-01");
    assert.equal(wide.series.orders.sneakers[december], 1);
    const daily = await dailySums(dash.db.sql, { from: "1970-01-01", to: all.bounds.to });
    assert.deepEqual(flatten(wide.totals), daily);
    const csv = await exportSums(`${base}/api/export.csv?from=1970-01-01&to=${all.bounds.to}`);
    assert.deepEqual(csv.sums, daily);
    for (const period of csv.periods) {
      assert.ok(dayIn(Date.parse(period), TZ).endsWith("-01"), period);
      assert.equal(new Date(startOfDay(dayIn(Date.parse(period), TZ), TZ)).toISOString(), period);
    }
    // "All data" spans it too, at the same resolution.
    assert.equal(all.granularity, "month");
    assert.equal(all.range.from, "1970-06-15");
  },
});

Deno.test({
  name:
    "explores of other ranges get 503 with the reason while one scan runs; the same range shares it",
  ...sanitize,
  async fn() {
    const { kafkaBrokers } = await testServices();
    await using dash = await startTestDashboard(kafkaBrokers);
    await seed(dash.db.sql, spreadEvents(500, Date.now(), 30 * 86_400_000));
    const base = dash.web.url;
    const today = dayIn(Date.now(), "UTC");
    // Hold the scan: a transaction locks `events`, so the first explore waits in Postgres.
    const holder = await dash.db.sql.reserve();
    await holder`begin`;
    await holder`lock table events in access exclusive mode`;
    const first = fetch(`${base}/api/explore?range=30d`);
    const shared = fetch(`${base}/api/explore?range=30d`);
    // Wait until the first one is blocked on the lock (the web server's backends only:
    // autovacuum may wait on it too).
    for (let i = 0; i < 100; i++) {
      const [{ waiting }] = await dash.db.sql`
        select count(*)::int as waiting from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'
          and application_name = 'ecommerce-web'`;
      if (waiting > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const ranges = ["range=7d", "range=yesterday", `from=${addDays(today, -3)}&to=${today}`];
    for (const query of ranges) {
      const response = await fetch(`${base}/api/explore?${query}`);
      const body = await response.text();
      assert.equal(response.status, 503, `${query}: ${body}`);
      assert.equal(response.headers.get("retry-after"), "5");
      assert.match(
        reasonOf(body),
        new RegExp(
          `^Cannot explore .* now: the server already scans ${addDays(today, -29)} to ${today} ` +
            `\\(at most 1 at once\\); try again in 5 s$`,
        ),
      );
    }
    await holder`rollback`;
    holder.release();
    const [a, b] = await Promise.all([first, shared]);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    const [statsA, statsB] = [await a.json(), await b.json()];
    assert.deepEqual(statsA, statsB);
    assert.equal(statsA.events, 500 - (await countOutside(dash.db.sql, addDays(today, -29))));
    // With the scan done, another range runs.
    const next = await fetch(`${base}/api/explore?range=7d`);
    assert.equal(next.status, 200);
    await next.body?.cancel();
  },
});

async function countOutside(sql: Parameters<typeof countEvents>[0], from: string) {
  const [{ n }] = await sql`
    select count(*)::int as n from events where event_time < ${from}::date::timestamptz`;
  return n as number;
}

Deno.test({
  name:
    "dashboard reads run two at a time per process, each on one backend; past 100 waiting they get 503 with the reason",
  ...sanitize,
  async fn() {
    const { kafkaBrokers } = await testServices();
    await using dash = await startTestDashboard(kafkaBrokers);
    await seed(dash.db.sql, spreadEvents(300, Date.now(), 10 * 86_400_000));
    const base = dash.web.url;
    // Hold every read: a transaction locks the daily rollup each one starts with.
    const holder = await dash.db.sql.reserve();
    await holder`begin`;
    await holder`lock table rollup_daily in access exclusive mode`;
    const paths = ["/api/summary?range=7d", "/api/export.csv?range=30d", "/dashboard?range=all"];
    const held = Array.from(
      { length: DASHBOARD_READS + DASHBOARD_WAITING },
      (_, i) => fetch(`${base}${paths[i % paths.length]}`),
    );
    const waitingBackends = async () => {
      const [{ n }] = await dash.db.sql`
        select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'
          and application_name = 'ecommerce-web'`;
      return n as number;
    };
    // Released whatever happens: a failed assertion must not leave the reads hanging.
    try {
      for (let i = 0; i < 200 && await waitingBackends() < DASHBOARD_READS; i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      // The reads in the queue are not holding connections: only the running ones wait.
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(await waitingBackends(), DASHBOARD_READS);
      for (const path of paths) {
        const refused = await fetch(`${base}${path}`);
        assert.equal(refused.status, 503, path);
        assert.equal(refused.headers.get("retry-after"), "1");
        assert.equal(
          await errorReason(refused),
          `Cannot answer now: ${DASHBOARD_WAITING} dashboard reads already wait for the ` +
            `${DASHBOARD_READS} this server runs at once; try again in 1 s`,
        );
      }
      // The shop is not held behind them: its page answers, its pool has connections.
      const shop = await fetch(`${base}/`);
      assert.equal(shop.status, 200);
      await shop.body?.cancel();
      const [{ one }] = await dash.web.state.sql`select 1 as one`;
      assert.equal(one, 1);
    } finally {
      await holder`rollback`;
      holder.release();
    }
    for (const response of await Promise.all(held)) {
      assert.equal(response.status, 200);
      await response.body?.cancel();
    }
  },
});
