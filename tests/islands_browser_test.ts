import assert from "node:assert/strict";
import { createApp } from "../server/mod.ts";
import { launchBrowser, watchCsp } from "./support/browser.ts";

Deno.test("an island hydrates in Chromium: a click changes its state, hostile props stay text", async () => {
  const app = await createApp({
    root: new URL("../server/testdata/", import.meta.url),
    state: {},
    cacheDir: new URL("../.cache/islands-test/", import.meta.url),
  });
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, app.fetch);
  await using browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));
    const cspViolations = await watchCsp(page);
    page.on("console", (message) => {
      // Failed loads are checked by URL below (Chromium asks for /favicon.ico on its own).
      if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
        problems.push(message.text());
      }
    });
    page.on("response", (response) => {
      const path = new URL(response.url()).pathname;
      if (response.status() >= 400 && path !== "/favicon.ico") {
        problems.push(`${response.status()} ${path}`);
      }
    });
    await page.goto(`http://127.0.0.1:${server.addr.port}/`);
    // Server-rendered state before any script runs.
    assert.equal(await page.textContent("#increment"), "count 3");
    await page.waitForSelector("html[data-hydrated=true]", { timeout: 10_000 });
    await page.click("#increment");
    await page.click("#increment");
    assert.equal(await page.textContent("#increment"), "count 5");
    assert.equal(
      await page.textContent("#label"),
      "</script><script>window.pwned = true</script>",
    );
    assert.equal(await page.evaluate(() => (window as { pwned?: boolean }).pwned), undefined);
    assert.deepEqual(problems, []);
    assert.deepEqual(cspViolations, [], "the page runs under its CSP without violations");
  } finally {
    await server.shutdown();
  }
});
