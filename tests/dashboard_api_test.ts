// The dashboard's HTTP API against the real Postgres: /api/summary's numbers equal
// count(*) of `events` (it reads only rollups), the CSV export equals `events` grouped
// the same way, bad queries are 400s, DASHBOARD_TOKEN is enforced on the page, the API
// and the WebSocket (and other origins are refused), and the live socket delivers
// NOTIFY deltas coalesced.
import { errorReason } from "./support/errors.ts";
import assert from "node:assert/strict";
import { encodeLiveUpdate, liveChannel } from "../lib/live/notify.ts";
import type { LiveMessage } from "../lib/live/protocol.ts";
import { PRODUCTS, TITLES } from "../lib/core/event.ts";
import { addDays, dayIn, startOfDay } from "../lib/core/calendar.ts";
import { type Summary } from "../lib/dashboard/model.ts";
import { testServices } from "./support/services.ts";
import { readConfig } from "../lib/process/config.ts";
import { startWebServer } from "../main.ts";
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

function flatten(counts: Summary["totals"]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const product of PRODUCTS) {
    for (const title of TITLES) {
      if (counts[product][title] > 0) out[`${product}/${title}`] = counts[product][title];
    }
  }
  return out;
}

async function getJson(url: string, init?: RequestInit): Promise<Summary> {
  const response = await fetch(url, init);
  assert.equal(response.status, 200, await response.clone().text());
  assert.match(response.headers.get("content-type") ?? "", /application\/json/);
  return await response.json();
}

Deno.test({
  name:
    "the summary and the CSV export equal count(*) of events for today, 7 days, 30 days and all data",
  ...sanitize,
  async fn() {
    const { kafkaBrokers } = await testServices();
    await using dash = await startTestDashboard(kafkaBrokers, { timeZone: TZ });
    const now = Date.now();
    const events = [
      ...spreadEvents(3000, now, 40 * 86_400_000),
      ...spreadEvents(200, Date.parse("2019-03-01T12:00:00Z"), 86_400_000 * 20),
      // Around today's midnight in the zone: one just before, one just after.
      makeEvent({
        time: new Date(startOfDay(dayIn(now, TZ), TZ) - 1000).toISOString(),
        title: "order",
      }),
      makeEvent({ time: new Date(startOfDay(dayIn(now, TZ), TZ)).toISOString(), title: "order" }),
    ];
    await seed(dash.db.sql, events, TZ);
    const today = dayIn(now, TZ);
    const tomorrow = new Date(startOfDay(addDays(today, 1), TZ));
    const base = dash.web.url;

    const todaySummary = await getJson(`${base}/api/summary`);
    assert.equal(todaySummary.granularity, "minute");
    assert.deepEqual(
      flatten(todaySummary.today.counts),
      await countEvents(dash.db.sql, new Date(startOfDay(today, TZ)), tomorrow),
    );

    const week = await getJson(`${base}/api/summary?range=7d`);
    const weekStart = new Date(startOfDay(addDays(today, -6), TZ));
    assert.equal(week.granularity, "hour");
    assert.deepEqual(flatten(week.totals), await countEvents(dash.db.sql, weekStart, tomorrow));
    const previousWeek = await countEvents(
      dash.db.sql,
      new Date(startOfDay(addDays(today, -13), TZ)),
      weekStart,
    );
    assert.deepEqual(flatten(week.previous!), previousWeek);
    for (const product of PRODUCTS) {
      const seriesOrders = week.series.orders[product].reduce((a, b) => a + b, 0);
      assert.equal(seriesOrders, week.totals[product].order, `${product} orders in the series`);
    }

    // 2019-02-09 to today is more than 2,000 days: weekly buckets.
    const all = await getJson(`${base}/api/summary?range=all`);
    assert.equal(all.granularity, "week");
    assert.deepEqual(flatten(all.totals), await countEvents(dash.db.sql, new Date(0), tomorrow));
    assert.equal(all.dataRange!.from, "2019-02-09");
    assert.equal(all.previous, null);
    const deviceTotal = all.devices.desktop.order + all.devices.mobile.order;
    assert.equal(deviceTotal, PRODUCTS.reduce((sum, p) => sum + all.totals[p].order, 0));

    const filtered = await getJson(
      `${base}/api/summary?range=30d&product=sneakers&site_version=mobile`,
    );
    assert.deepEqual(
      flatten(filtered.totals),
      await countEvents(dash.db.sql, new Date(startOfDay(addDays(today, -29), TZ)), tomorrow, {
        product: "sneakers",
        siteVersion: "mobile",
      }),
    );

    // CSV, hourly (7 days): the same as events grouped by hour.
    const csvResponse = await fetch(`${base}/api/export.csv?range=7d`);
    assert.equal(csvResponse.status, 200);
    assert.match(csvResponse.headers.get("content-type") ?? "", /text\/csv/);
    const lines = (await csvResponse.text()).trim().split("\r\n");
    assert.equal(lines[0], "period,product,site_version,title,events");
    const expectedHourly = await dash.db.sql`
      select date_trunc('hour', event_time) as period, product, site_version, title,
        count(*)::int8 as n
      from events where event_time >= ${weekStart} and event_time < ${tomorrow}
      group by 1, 2, 3, 4 order by 1, 2, 3, 4`;
    assert.deepEqual(
      lines.slice(1),
      expectedHourly.map((r) =>
        `${(r.period as Date).toISOString()},${r.product},${r.site_version},${r.title},${r.n}`
      ),
    );

    // CSV, daily (30 days) and weekly (all data): days and weeks from midnight in the zone.
    const csvOf = async (query: string) =>
      (await (await fetch(`${base}/api/export.csv?${query}`)).text()).trim().split("\r\n")
        .slice(1);
    const asLines = (rows: Record<string, unknown>[]) =>
      rows.map((r) =>
        `${(r.period as Date).toISOString()},${r.product},${r.site_version},${r.title},${r.n}`
      );
    const monthStart = new Date(startOfDay(addDays(today, -29), TZ));
    assert.deepEqual(
      await csvOf("range=30d"),
      asLines(
        await dash.db.sql`
        select (event_time at time zone ${TZ})::date::timestamp at time zone ${TZ} as period,
          product, site_version, title, count(*)::int8 as n
        from events where event_time >= ${monthStart} and event_time < ${tomorrow}
        group by 1, 2, 3, 4 order by 1, 2, 3, 4`,
      ),
    );
    assert.deepEqual(
      await csvOf("range=all"),
      asLines(
        await dash.db.sql`
        select date_trunc('week', event_time at time zone ${TZ}) at time zone ${TZ} as period,
          product, site_version, title, count(*)::int8 as n
        from events group by 1, 2, 3, 4 order by 1, 2, 3, 4`,
      ),
    );

    // The explore panel (computeStats): totals from the rollups, top users from events.
    const explore = await (await fetch(`${base}/api/explore?range=all`)).json();
    const [{ total }] = await dash.db.sql`select count(*)::int8 as total from events`;
    assert.equal(explore.events, total);
    const topUsers = await dash.db.sql`
      select replace(user_id::text, '-', '') as id, count(*)::int8 as events from events
      group by user_id order by 2 desc, 1 limit 5`;
    assert.deepEqual(
      explore.topUsers,
      topUsers.map((r) => ({ user_id: r.id, events: r.events })),
    );

    // The page itself carries the same numbers in its HTML, before any script runs.
    const html = await (await fetch(`${base}/dashboard`)).text();
    const kpi = /data-testid="kpi-orders"[^>]*>(.*?)<\/span><\/div>/.exec(html)![1];
    const todayOrders = PRODUCTS.reduce((sum, p) => sum + todaySummary.today.counts[p].order, 0);
    assert.equal(kpi.replace(/<[^>]+>/g, ""), String(todayOrders));
  },
});

Deno.test({
  name: "a bad range, date, product or device is a 400 that names the value",
  ...sanitize,
  async fn() {
    const { kafkaBrokers } = await testServices();
    await using dash = await startTestDashboard(kafkaBrokers);
    const cases: [string, RegExp][] = [
      ["range=week", /Cannot read range "week"/],
      ["range=custom&from=2019-02-30&to=2019-03-01", /from "2019-02-30"/],
      ["range=custom&from=2019-03-02&to=2019-03-01", /from is after to/],
      ["product=toys", /product "toys"/],
      ["site_version=tablet", /site_version "tablet"/],
    ];
    for (const [query, message] of cases) {
      const response = await fetch(`${dash.web.url}/api/summary?${query}`);
      assert.equal(response.status, 400, query);
      assert.match(await errorReason(response), message);
    }
  },
});

function openSocket(url: string, headers: Record<string, string>) {
  const socket = new WebSocket(url, { headers } as unknown as string[]);
  const messages: LiveMessage[] = [];
  const waiters: (() => void)[] = [];
  socket.onmessage = (event) => {
    messages.push(JSON.parse(event.data));
    waiters.splice(0).forEach((wake) => wake());
  };
  const opened = new Promise<boolean>((resolve) => {
    socket.onopen = () => resolve(true);
    socket.onerror = () => resolve(false);
  });
  const closed = new Promise<void>((resolve) => socket.addEventListener("close", () => resolve()));
  return {
    socket,
    messages,
    opened,
    async next(predicate: (m: LiveMessage) => boolean, timeoutMs = 5000): Promise<LiveMessage> {
      const deadline = Date.now() + timeoutMs;
      while (true) {
        const found = messages.find(predicate);
        if (found) return found;
        if (Date.now() > deadline) throw new Error("No matching live message in time");
        await new Promise<void>((wake) => {
          waiters.push(wake);
          setTimeout(wake, 100);
        });
      }
    },
    async close() {
      if (socket.readyState <= WebSocket.OPEN) socket.close();
      await closed;
    },
  };
}

Deno.test({
  name:
    "with DASHBOARD_TOKEN the page, API and WebSocket need it; other origins are refused; the shop stays public",
  ...sanitize,
  async fn() {
    const { kafkaBrokers } = await testServices();
    const token = "s3cret-dashboard-token";
    await using dash = await startTestDashboard(kafkaBrokers, { token });
    const base = dash.web.url;
    const wsUrl = base.replace("http:", "ws:") + "/api/live";
    const bearer = { authorization: `Bearer ${token}` };

    // Without the token: the page redirects to the login form, the API is 401.
    const page = await fetch(`${base}/dashboard?range=7d`, {
      headers: { accept: "text/html" },
      redirect: "manual",
    });
    assert.equal(page.status, 303);
    assert.equal(page.headers.get("location"), "/login?next=%2Fdashboard%3Frange%3D7d");
    await page.body?.cancel();
    for (const path of ["/api/summary", "/api/export.csv", "/api/explore"]) {
      const response = await fetch(`${base}${path}`);
      assert.equal(response.status, 401, path);
      assert.equal(response.headers.get("www-authenticate"), 'Bearer realm="dashboard"');
      await response.body?.cancel();
    }
    const wrong = await fetch(`${base}/api/summary`, { headers: { authorization: "Bearer nope" } });
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();
    // The shop is public.
    const shop = await fetch(`${base}/`);
    assert.equal(shop.status, 200);
    await shop.body?.cancel();

    // The bearer header works.
    await getJson(`${base}/api/summary`, { headers: bearer });

    // The login form: a wrong token is refused, the right one sets an HttpOnly cookie.
    const login = await fetch(`${base}/login?next=/dashboard`);
    assert.match(await login.text(), /name="token"/);
    const bad = await fetch(`${base}/login`, {
      method: "POST",
      body: new URLSearchParams({ token: "guess", next: "/dashboard" }),
      redirect: "manual",
    });
    assert.equal(bad.status, 401);
    await bad.body?.cancel();
    const good = await fetch(`${base}/login`, {
      method: "POST",
      body: new URLSearchParams({ token, next: "/dashboard?range=all" }),
      redirect: "manual",
    });
    assert.equal(good.status, 303);
    assert.equal(good.headers.get("location"), "/dashboard?range=all");
    const cookie = good.headers.get("set-cookie")!;
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.ok(!cookie.includes(token), "the cookie holds a session secret, not the token");
    assert.match(cookie, /^dashboard_session=[A-Za-z0-9_-]{43};/, "a random 256-bit secret");
    await good.body?.cancel();
    const session = cookie.split(";")[0];
    const withCookie = await fetch(`${base}/dashboard`, { headers: { cookie: session } });
    assert.equal(withCookie.status, 200);
    assert.match(await withCookie.text(), /data-testid="kpi-orders"/);
    // An open redirect through `next` is not possible.
    const offsite = await fetch(`${base}/login`, {
      method: "POST",
      body: new URLSearchParams({ token, next: "//evil.example/" }),
      redirect: "manual",
    });
    assert.equal(offsite.headers.get("location"), "/dashboard");
    await offsite.body?.cancel();

    // WebSocket: refused without the token, refused from another origin even with it.
    const anonymous = openSocket(wsUrl, { origin: base });
    assert.equal(await anonymous.opened, false);
    await anonymous.close();
    const foreign = openSocket(wsUrl, { ...bearer, origin: "http://evil.example" });
    assert.equal(await foreign.opened, false);
    await foreign.close();

    // With the cookie and our origin it opens, says hello, and pushes NOTIFY deltas,
    // two notifications within the coalescing window arriving as one message.
    const live = openSocket(wsUrl, { cookie: session, origin: base });
    assert.equal(await live.opened, true);
    const hello = await live.next((m) => m.type === "hello");
    assert.equal(hello.type === "hello" && hello.instance, dash.web.state.live!.instance);
    const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
    const delta = {
      minute,
      product: "clothes",
      site_version: "mobile",
      title: "order",
      n: 2,
    } as const;
    const channel = liveChannel(dash.topic.topic);
    // One statement: both are delivered at its commit, as two worker batches can be.
    await dash.db.sql`select pg_notify(${channel}, ${encodeLiveUpdate([delta], [])}),
      pg_notify(${channel}, ${encodeLiveUpdate([{ ...delta, n: 3 }], [])})`;
    const update = await live.next((m) => m.type === "update");
    assert.ok(update.type === "update");
    assert.deepEqual(update.d, [[minute, "clothes", "mobile", "order", 5]]);
    assert.equal(update.seq, 2);
    await live.close();
  },
});

Deno.test({
  name: "several web processes each listen on their own and push the same NOTIFY to their sockets",
  ...sanitize,
  async fn() {
    const { kafkaBrokers } = await testServices();
    await using dash = await startTestDashboard(kafkaBrokers);
    const second = await startWebServer({
      config: { ...readConfig({}), port: 0, kafkaTopic: dash.topic.topic },
      databaseUrl: dash.db.url,
      kafkaBrokers,
    });
    try {
      const sockets = [dash.web, second].map((web) =>
        openSocket(`${web.url.replace("http:", "ws:")}/api/live`, { origin: web.url })
      );
      for (const socket of sockets) {
        assert.equal(await socket.opened, true);
        await socket.next((m) => m.type === "hello");
      }
      const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
      const payload = encodeLiveUpdate(
        [{ minute, product: "sneakers", site_version: "desktop", title: "banner_click", n: 7 }],
        [],
      );
      await dash.db.sql`select pg_notify(${liveChannel(dash.topic.topic)}, ${payload})`;
      for (const socket of sockets) {
        const update = await socket.next((m) => m.type === "update");
        assert.ok(update.type === "update");
        assert.deepEqual(update.d, [[minute, "sneakers", "desktop", "banner_click", 7]]);
        await socket.close();
      }
      assert.notEqual(dash.web.state.live!.instance, second.state.live!.instance);
    } finally {
      await second.close();
    }
  },
});

Deno.test({
  name:
    "when Postgres drops the hub's LISTEN connection, open dashboards are told to resync and updates flow again",
  ...sanitize,
  async fn() {
    const { kafkaBrokers } = await testServices();
    await using dash = await startTestDashboard(kafkaBrokers);
    const live = openSocket(`${dash.web.url.replace("http:", "ws:")}/api/live`, {
      origin: dash.web.url,
    });
    assert.equal(await live.opened, true);
    await live.next((m) => m.type === "hello");
    const [{ terminated }] = await dash.db.sql`
      select count(pg_terminate_backend(pid))::int as terminated from pg_stat_activity
      where datname = current_database() and query ilike 'listen %'`;
    assert.equal(terminated, 1);
    await live.next((m) => m.type === "resync", 10_000);
    const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
    const payload = encodeLiveUpdate(
      [{ minute, product: "clothes", site_version: "mobile", title: "order", n: 1 }],
      [],
    );
    await dash.db.sql`select pg_notify(${liveChannel(dash.topic.topic)}, ${payload})`;
    const update = await live.next((m) => m.type === "update");
    assert.ok(update.type === "update" && update.d[0][4] === 1);
    await live.close();
  },
});
