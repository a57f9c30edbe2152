/**
 * `deno task screenshot [--url URL] [--out docs/screenshot.png] [--width 1400]
 * [--mobile docs/screenshot_mobile.png] [--range today] [--token T] [--backfill N]`:
 * a full-page screenshot of the dashboard in headless Chromium (`/usr/bin/chromium`
 * via playwright-core). Uses the app at `--url`, or starts the web server in this
 * process with the usual configuration (DATABASE_URL, KAFKA_BROKERS, KAFKA_TOPIC…).
 * Load data first (e.g. `deno task load` of a generated file, and `deno task simulate`
 * running). `--backfill N` first produces about N visitor events spread over today so
 * far to the topic (a worker must be running), so today's charts have a history.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { readConfig } from "../lib/process/config.ts";
import { prepare } from "../lib/process/prepare.ts";
import { launchBrowser } from "../lib/services/browser.ts";
import { startWebServer, type WebServer } from "../main.ts";
import { createKafka } from "../lib/kafka/client.ts";
import { type EcommerceEvent, encodeEvent, newId, PRODUCTS } from "../lib/core/event.ts";
import { waitFor } from "../lib/services/net.ts";
import { dayIn, startOfDay } from "../lib/core/calendar.ts";
import { type Summary, sumProducts } from "../lib/dashboard/model.ts";

/**
 * About `count` events of visits spread over today so far: an impression, sometimes a
 * click a few seconds later, sometimes an order after that; click-through and
 * conversion differ by category and device, so the charts have something to show.
 */
function backfillEvents(count: number, timeZone: string): EcommerceEvent[] {
  const now = Date.now();
  const start = startOfDay(dayIn(now, timeZone), timeZone);
  const ctr = [0.09, 0.13, 0.11, 0.16, 0.1];
  const conversion = [0.22, 0.3, 0.35, 0.26, 0.4];
  const events: EcommerceEvent[] = [];
  while (events.length < count) {
    const p = Math.floor(Math.random() ** 1.3 * PRODUCTS.length);
    const mobile = Math.random() < 0.42;
    // Busier towards the evening: times skew to the later part of the day so far.
    const at = start + (now - 60_000 - start) * Math.sqrt(Math.random());
    const visit = {
      user_id: newId(),
      page_id: newId(),
      product: PRODUCTS[p],
      site_version: mobile ? "mobile" as const : "desktop" as const,
    };
    const push = (title: EcommerceEvent["title"], t: number) =>
      events.push({
        ...visit,
        order_id: newId(),
        title,
        time: new Date(Math.min(t, now - 1000)).toISOString(),
        target: title === "order" ? 1 : 0,
      });
    push("banner_show", at);
    if (Math.random() < ctr[p] * (mobile ? 0.8 : 1.1)) {
      push("banner_click", at + 4_000);
      if (Math.random() < conversion[p]) push("order", at + 40_000);
    }
  }
  return events;
}

const { values } = parseArgs({
  args: Deno.args,
  options: {
    url: { type: "string" },
    out: { type: "string", default: "docs/screenshot.png" },
    mobile: { type: "string" },
    width: { type: "string", default: "1400" },
    range: { type: "string", default: "today" },
    token: { type: "string" },
    backfill: { type: "string" },
  },
});

let web: WebServer | undefined;
let base = values.url;
const config = { ...readConfig(), port: 0 };
const ready = await prepare(config);
if (!base) {
  web = await startWebServer({ config, ...ready });
  base = web.url;
}
const token = values.token ?? Deno.env.get("DASHBOARD_TOKEN");
const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};

async function todayTotal(): Promise<number> {
  const response = await fetch(`${base}/api/summary?range=today`, { headers });
  if (!response.ok) throw new Error(`Cannot read the summary: ${response.status}`);
  const summary = await response.json() as Summary;
  return Object.values(sumProducts(summary.today.counts)).reduce((a, b) => a + b, 0);
}

if (values.backfill) {
  const wanted = Number(values.backfill);
  const before = await todayTotal();
  const events = backfillEvents(wanted, config.analyticsTz);
  const producer = createKafka(ready.kafkaBrokers, { clientId: "screenshot-backfill" }).producer();
  await producer.connect();
  for (let i = 0; i < events.length; i += 1000) {
    await producer.send({
      topic: ready.topic,
      messages: events.slice(i, i + 1000).map((e) => ({ key: e.user_id, value: encodeEvent(e) })),
    });
  }
  await producer.disconnect();
  console.log(
    `Produced ${events.length} events over today to ${ready.topic}; waiting for the worker…`,
  );
  await waitFor("the worker to store the backfill", async () => {
    return await todayTotal() >= before + events.length;
  }, { timeoutMs: 120_000, intervalMs: 500 });
}
await using browser = await launchBrowser();
try {
  const shots: [string, { width: number; height: number }, boolean][] = [
    [values.out!, { width: Number(values.width), height: 900 }, false],
  ];
  if (values.mobile) shots.push([values.mobile, { width: 390, height: 844 }, true]);
  for (const [path, viewport, isMobile] of shots) {
    const context = await browser.newContext({
      viewport,
      deviceScaleFactor: isMobile ? 2 : 1,
      isMobile,
      extraHTTPHeaders: headers,
    });
    const page = await context.newPage();
    await page.goto(`${base}/dashboard?range=${encodeURIComponent(values.range!)}`);
    await page.waitForSelector('[data-testid="live-status"][data-state="live"]', {
      timeout: 15_000,
    });
    await page.waitForSelector(".orders-chart .uplot", { timeout: 15_000 });
    // Open the explore panel and wait for its numbers, so the picture shows it filled.
    await page.click('[data-testid="explore"] summary');
    await page.waitForSelector('[data-testid="explore-total"]', { timeout: 30_000 }).catch(
      () => {},
    );
    // Let a few live updates land and the bar transitions finish.
    await page.waitForTimeout(1500);
    await page.screenshot({ path, fullPage: true });
    console.log(`Wrote ${path} (${viewport.width}×${viewport.height} viewport, full page)`);
    await context.close();
  }
} finally {
  await web?.close();
}
