/**
 * `deno task screenshot [--url URL] [--out docs/screenshot.png] [--width 1400]
 * [--mobile docs/screenshot_mobile.png] [--range today] [--token T]`: a full-page
 * screenshot of the dashboard in headless Chromium (`/usr/bin/chromium` via
 * playwright-core). Uses the app at `--url`, or starts the web server in this process
 * with the usual configuration (DATABASE_URL, KAFKA_BROKERS…). Load data first (e.g.
 * `deno task load` of a generated file, and `deno task simulate` running).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { loadConfig } from "../lib/config.ts";
import { prepare } from "../lib/bootstrap.ts";
import { launchBrowser } from "../tests/support/browser.ts";
import { startWebServer, type WebServer } from "../main.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    url: { type: "string" },
    out: { type: "string", default: "docs/screenshot.png" },
    mobile: { type: "string" },
    width: { type: "string", default: "1400" },
    range: { type: "string", default: "today" },
    token: { type: "string" },
  },
});

let web: WebServer | undefined;
let base = values.url;
if (!base) {
  const config = { ...loadConfig(), port: 0 };
  const ready = await prepare(config, { bringUp: false });
  web = await startWebServer({ config, ...ready });
  base = web.url;
}
const token = values.token ?? Deno.env.get("DASHBOARD_TOKEN");
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
      extraHTTPHeaders: token ? { authorization: `Bearer ${token}` } : undefined,
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
