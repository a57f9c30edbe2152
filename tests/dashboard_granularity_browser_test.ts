// The page with weekly and monthly series, in headless Chromium (America/New_York): the
// chart takes the server's buckets, its tooltip names them ("Week of …", a month), a
// live order lands in the newest bucket without adding one, and the date inputs carry
// the allowed days.
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { encodeLiveUpdate, liveChannel } from "../lib/live/notify.ts";
import { PRODUCTS } from "../lib/core/event.ts";
import type { Summary } from "../lib/dashboard/model.ts";
import { launchBrowser } from "./support/browser.ts";
import { testServices } from "./support/services.ts";
import { makeEvent, seed, spreadEvents, startTestDashboard } from "./support/dashboard.ts";

const TZ = "America/New_York";
const sanitize = { sanitizeOps: false, sanitizeResources: false };
const CHART = '[data-testid="orders-chart"]';

function orderTotal(summary: Summary): number {
  return PRODUCTS.reduce((sum, p) => sum + summary.series.orders[p].reduce((a, b) => a + b, 0), 0);
}

/** Hovers the middle of the chart and returns the tooltip's time line. */
async function tooltipTime(page: Page): Promise<string> {
  const over = await page.$(`${CHART} .u-over`);
  const box = (await over!.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForSelector(`${CHART} .chart-tip .tip-time`, { state: "visible" });
  return (await page.textContent(`${CHART} .chart-tip .tip-time`)) ?? "";
}

Deno.test({
  name:
    "weekly and monthly charts draw the server's buckets, label them, and take live orders into the newest one",
  ...sanitize,
  async fn() {
    const { kafkaBrokers } = await testServices();
    await using dash = await startTestDashboard(kafkaBrokers, { timeZone: TZ });
    await seed(dash.db.sql, spreadEvents(2000, Date.now(), 8 * 365 * 86_400_000), TZ);
    const base = dash.web.url;
    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));

    // Weekly: the widest allowed range.
    const { bounds } = await (await fetch(`${base}/api/summary?range=all`)).json() as Summary;
    const query = `from=${bounds.from}&to=${bounds.to}`;
    const weekly = await (await fetch(`${base}/api/summary?${query}`)).json() as Summary;
    assert.equal(weekly.granularity, "week");
    await page.goto(`${base}/dashboard?${query}`);
    await page.waitForSelector(`${CHART} .uplot`);
    await page.waitForSelector('[data-testid="live-status"][data-state="live"]');
    assert.equal(await page.getAttribute(CHART, "data-granularity"), "week");
    assert.equal(await page.getAttribute(CHART, "data-points"), String(weekly.series.t.length));
    assert.equal(await page.getAttribute(CHART, "data-total"), String(orderTotal(weekly)));
    assert.match(await page.textContent(".dash") ?? "", /per week/);
    assert.match(await tooltipTime(page), /^Week of \d{1,2} [A-Z][a-z]{2} \d{4}$/);
    assert.equal(await page.getAttribute('input[name="from"]', "min"), bounds.from);
    assert.equal(await page.getAttribute('input[name="to"]', "max"), bounds.to);

    // A live order of this minute: this week is the newest bucket; no bucket is added.
    const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
    await dash.db.sql`select pg_notify(${liveChannel(dash.topic.topic)}, ${
      encodeLiveUpdate(
        [{ minute, product: "sneakers", site_version: "mobile", title: "order", n: 2 }],
        [],
      )
    })`;
    await page.waitForSelector(`${CHART}[data-total="${orderTotal(weekly) + 2}"]`, {
      timeout: 5_000,
    });
    assert.equal(await page.getAttribute(CHART, "data-points"), String(weekly.series.t.length));

    // Monthly: data reaching back to 1970 widens the allowed days past 13,993 days.
    await seed(dash.db.sql, [makeEvent({ time: "1970-03-15T12:00:00Z", title: "order" })], TZ);
    const wide = `from=1970-01-01&to=${bounds.to}`;
    const monthly = await (await fetch(`${base}/api/summary?${wide}`)).json() as Summary;
    assert.equal(monthly.granularity, "month");
    await page.goto(`${base}/dashboard?${wide}`);
    await page.waitForSelector(`${CHART}[data-granularity="month"] .uplot`);
    assert.equal(await page.getAttribute(CHART, "data-points"), String(monthly.series.t.length));
    assert.equal(await page.getAttribute(CHART, "data-total"), String(orderTotal(monthly)));
    assert.match(await tooltipTime(page), /^[A-Z][a-z]+ \d{4}$/);
    assert.deepEqual(problems, []);
  },
});
