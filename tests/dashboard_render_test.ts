// How the dashboard draws live messages, in headless Chromium, with NOTIFYs sent
// straight to the hub's channel (no Kafka or worker needed): counters are written in
// place on each message (a counter gaining a digit group included), while charts and
// tables follow within two seconds; a card below the fold skips redraws while out of view
// and catches up as soon as it is scrolled to; a hidden tab keeps its counters live and
// redraws its charts when shown again.
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { encodeLiveUpdate, liveChannel } from "../lib/live/notify.ts";
import type { TickerEvent } from "../lib/live/protocol.ts";
import { launchBrowser, watchCsp } from "./support/browser.ts";
import { testServices } from "./support/services.ts";
import { makeEvent, seed, startTestDashboard } from "./support/dashboard.ts";

const sanitize = { sanitizeOps: false, sanitizeResources: false };
type MinuteDelta = Parameters<typeof encodeLiveUpdate>[0][number];

function minuteNow(): string {
  const minute = new Date();
  minute.setUTCSeconds(0, 0);
  return minute.toISOString();
}

function waitForText(page: Page, selector: string, text: string, timeout = 5_000) {
  return page.waitForFunction(
    ([s, t]) => document.querySelector(s)?.textContent === t,
    [selector, text] as const,
    { timeout, polling: 20 },
  );
}

Deno.test({
  name:
    "counters change in place on each message; charts follow within two seconds; off-screen cards and hidden tabs catch up when shown",
  ...sanitize,
  async fn() {
    const { kafkaBrokers } = await testServices();
    await using dash = await startTestDashboard(kafkaBrokers);
    // 998 impressions today: three more make the counter gain a digit group.
    await seed(
      dash.db.sql,
      Array.from({ length: 998 }, () => makeEvent({ product: "sneakers", title: "banner_show" })),
    );
    await using browser = await launchBrowser();
    // Short enough that the ticker (the last row of cards) starts below the fold.
    const page = await browser.newPage({ viewport: { width: 1200, height: 700 } });
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));
    const cspViolations = await watchCsp(page);
    await page.goto(`${dash.web.url}/dashboard`);
    await page.waitForSelector('[data-testid="live-status"][data-state="live"]');
    assert.equal(await page.textContent('[data-testid="kpi-shows"]'), "998");

    const notify = (deltas: MinuteDelta[], events: TickerEvent[]) =>
      dash.db.sql`select pg_notify(${liveChannel(dash.topic.topic)}, ${
        encodeLiveUpdate(deltas, events)
      })`;
    const tick = (time: string): TickerEvent => ({
      time,
      product: "electronics",
      site_version: "mobile",
      title: "order",
    });
    const minute = minuteNow();

    // 1. The counter is written in place, including its new digit group and label.
    await page.evaluate(() => {
      const w = globalThis as unknown as { __replaced: number };
      w.__replaced = 0;
      // A counter written in place keeps its element (only its children change).
      new MutationObserver((records) => {
        for (const r of records) {
          for (const node of r.removedNodes) {
            if ((node as Element).querySelector?.('[data-testid="kpi-shows"]')) w.__replaced++;
          }
        }
      }).observe(document.body, { childList: true, subtree: true });
    });
    const shownAt = new Date().toISOString();
    await notify([
      { minute, product: "sneakers", site_version: "desktop", title: "banner_show", n: 3 },
      { minute, product: "electronics", site_version: "mobile", title: "order", n: 1 },
    ], [tick(shownAt)]);
    await waitForText(page, '[data-testid="kpi-shows"]', "1001");
    assert.equal(
      await page.$$eval('[data-testid="kpi-shows"] > .g', (groups) => groups.length),
      2,
    );
    assert.equal(await page.getAttribute('[data-testid="kpi-shows"]', "aria-label"), "1,001");
    assert.equal(await page.textContent('[data-testid="kpi-orders"]'), "1");
    assert.equal(await page.textContent('[data-testid="kpi-conversion"]'), "0.00%");
    // 2. The bars and the orders chart follow (charts redraw at most every 1.5 s).
    await page.waitForSelector('[data-testid="bar-sneakers-banner_show"][data-value="1001"]', {
      timeout: 3_000,
    });
    await page.waitForSelector('[data-testid="orders-chart"][data-total="1"]', { timeout: 3_000 });
    assert.equal(
      await page.evaluate(() => (globalThis as unknown as { __replaced: number }).__replaced),
      0,
    );

    // 3. The ticker is below the fold: it skips redraws until scrolled to.
    const ticker = '[data-testid="ticker"]';
    const inView = () => page.$eval(ticker, (e) => e.getBoundingClientRect().top < innerHeight);
    assert.equal(await inView(), false);
    const laterAt = new Date(Date.parse(shownAt) + 1000).toISOString();
    await notify([
      { minute, product: "electronics", site_version: "mobile", title: "order", n: 1 },
    ], [tick(laterAt)]);
    await waitForText(page, '[data-testid="kpi-orders"]', "2");
    await page.waitForSelector('[data-testid="orders-chart"][data-total="2"]', { timeout: 3_000 });
    assert.equal(
      await page.$$eval(`${ticker} time[datetime="${laterAt}"]`, (found) => found.length),
      0,
    );
    await page.$eval(ticker, (e) => e.scrollIntoView());
    await page.waitForSelector(`${ticker} time[datetime="${laterAt}"]`, { timeout: 3_000 });

    // 4. A hidden tab keeps its counters live but skips the charts until shown again.
    const setVisibility = (state: "hidden" | "visible") =>
      page.evaluate((value) => {
        Object.defineProperty(document, "visibilityState", { value, configurable: true });
        document.dispatchEvent(new Event("visibilitychange"));
      }, state);
    await page.$eval('[data-testid="category-bars"]', (e) => e.scrollIntoView());
    await setVisibility("hidden");
    await notify([
      { minute, product: "sneakers", site_version: "desktop", title: "banner_show", n: 1 },
    ], []);
    await waitForText(page, '[data-testid="kpi-shows"]', "1002");
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal(
      await page.getAttribute('[data-testid="bar-sneakers-banner_show"]', "data-value"),
      "1001",
    );
    await setVisibility("visible");
    await page.waitForSelector('[data-testid="bar-sneakers-banner_show"][data-value="1002"]', {
      timeout: 1_000,
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(cspViolations, [], "the page runs under its CSP without violations");
  },
});
