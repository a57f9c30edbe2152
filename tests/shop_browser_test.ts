// The shop in headless Chromium with a phone's User-Agent: front page → the ad is seen
// (the island's beacon) → click the ad → reload the product page → "Order now". The
// topic must then hold exactly one banner_show, one banner_click and one order for the
// visitor's cookie, in that order: the order comes last on the visitor's partition, so
// anything the reload emitted would have been read before it.
import assert from "node:assert/strict";
import { launchBrowser, watchCsp } from "./support/browser.ts";
import { createTestTopic, testServices } from "./support/services.ts";
import { PHONE_UA, startTestShop, TopicReader } from "./support/shop.ts";

Deno.test({
  name: "a phone visitor's ad view, click and order reach Kafka once each; a reload adds nothing",
  // kafkajs keeps timers and sockets past disconnect.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { kafkaBrokers } = await testServices();
    await using topic = await createTestTopic("shop_browser");
    await using shop = await startTestShop(topic.topic, kafkaBrokers);
    await using reader = await TopicReader.start(kafkaBrokers, topic.topic);
    await using browser = await launchBrowser();
    const context = await browser.newContext({
      userAgent: PHONE_UA,
      viewport: { width: 390, height: 844 },
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));
    const cspViolations = await watchCsp(page);
    page.on("response", (response) => {
      const path = new URL(response.url()).pathname;
      if (response.status() >= 400 && path !== "/favicon.ico") {
        problems.push(`${response.status()} ${path}`);
      }
    });

    const beacon = page.waitForResponse((response) =>
      new URL(response.url()).pathname === "/api/collect" &&
      response.request().method() === "POST"
    );
    await page.goto(`${shop.web.url}/`);
    const href = await page.getAttribute('[data-testid="ad-banner"]', "href");
    const product = new URL(href!, shop.web.url).pathname.split("/").pop()!;
    // The island reports the view after the ad has been half visible for a second.
    assert.equal((await beacon).status(), 204);

    await page.click('[data-testid="ad-banner"]');
    await page.waitForURL(`**/product/${product}?i=*`);
    await page.reload();
    await page.click('[data-testid="order-button"]');
    await page.waitForURL("**/order/*");
    assert.match(await page.textContent("h1") ?? "", /your order went through/);
    const orderId = await page.textContent('[data-testid="order-id"]');

    const cookie = (await context.cookies()).find((c) => c.name === "user_id")!;
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, "Lax");
    assert.ok(cookie.expires * 1000 - Date.now() > 364 * 24 * 3600 * 1000);
    // Signed by the server: `<user_id>.<signature>`.
    assert.match(cookie.value, /^[0-9a-f]{32}\.[0-9a-f]{32}$/);
    const userId = cookie.value.split(".")[0];

    await reader.waitFor("the order", (events) => events.some((e) => e.order_id === orderId));
    const events = reader.of(userId);
    assert.deepEqual(events.map((e) => e.title), ["banner_show", "banner_click", "order"]);
    for (const event of events) {
      assert.equal(event.product, product);
      assert.equal(event.site_version, "mobile");
      assert.equal(event.key, userId);
      assert.equal(event.target, event.title === "order" ? 1 : 0);
    }
    assert.equal(events.length, reader.events.length, "no other visitor's events");
    assert.deepEqual(problems, []);
    assert.deepEqual(cspViolations, [], "the page runs under its CSP without violations");
  },
});
