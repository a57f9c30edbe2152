// The shop over HTTP against the real Postgres and Kafka. Each step checks, in order:
// status, then headers/body, then exactly which events reached the topic for the
// visitor. "Nothing emitted" is proven with a sentinel: a visitor's events share one
// partition (key = user_id), so once a later order of theirs is read, anything the
// earlier requests emitted would have been read before it.
import assert from "node:assert/strict";
import { pageId } from "../lib/shop/events.ts";
import { createTestTopic, testServices } from "./support/services.ts";
import { orderRefusal, startTestShop, TopicReader, Visitor } from "./support/shop.ts";

Deno.test({
  name: "shop HTTP: beacons, clicks, orders, 404s and escaping",
  // kafkajs keeps timers and sockets past disconnect.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const { kafkaBrokers } = await testServices();
    await using topic = await createTestTopic("shop_http");
    await using shop = await startTestShop(topic.topic, kafkaBrokers);
    await using reader = await TopicReader.start(kafkaBrokers, topic.topic);
    const base = shop.web.url;

    /** Places a sentinel order and returns the visitor's events up to and including it. */
    async function eventsUntilSentinel(visitor: Visitor, product = "clothes") {
      const orderId = await visitor.placeOrder(product);
      await reader.waitFor(
        `sentinel order ${orderId}`,
        (events) => events.some((event) => event.order_id === orderId),
      );
      return reader.of(visitor.userId);
    }

    await t.step(
      "a signed impression's beacon counts once; replays and forgeries get 400",
      async () => {
        const visitor = new Visitor(base);
        const { impression, product } = await visitor.openFrontPage();
        assert.match(visitor.userId, /^[0-9a-f]{32}$/);

        const accepted = await visitor.beacon(impression);
        assert.equal(accepted.status, 204);

        const replay = await visitor.beacon(impression);
        assert.equal(replay.status, 400);
        assert.deepEqual(await replay.json(), { error: "impression already counted", status: 400 });

        const forged = impression.slice(0, -1) + (impression.endsWith("0") ? "1" : "0");
        const forgedAnswer = await visitor.beacon(forged);
        assert.equal(forgedAnswer.status, 400);
        assert.match((await forgedAnswer.json()).error, /not signed by this server/);

        const made = await visitor.beacon(`0123456789abcdef.${product}.zzzz.${"a".repeat(32)}`);
        assert.equal(made.status, 400);
        assert.match((await made.json()).error, /not signed by this server/);

        const malformed = await visitor.beacon("hello");
        assert.equal(malformed.status, 400);
        assert.equal((await malformed.json()).error, 'malformed impression id "hello"');

        const missing = await visitor.beacon(undefined);
        assert.equal(missing.status, 400);
        assert.equal((await missing.json()).error, "missing impression id");

        const notJson = await visitor.beacon(null, { body: "impression=x" });
        assert.equal(notJson.status, 400);
        assert.match((await notJson.json()).error, /^body is not JSON/);

        const huge = await visitor.beacon(null, {
          body: JSON.stringify({ impression, pad: "x".repeat(2000) }),
        });
        assert.equal(huge.status, 413);
        await huge.body?.cancel();

        // Another visitor cannot report this visitor's impression.
        const other = new Visitor(base);
        const second = await visitor.openFrontPage();
        await other.openFrontPage();
        const foreign = await other.beacon(second.impression);
        assert.equal(foreign.status, 400);
        assert.match((await foreign.json()).error, /not signed by this server for this visitor/);

        const crossSite = await visitor.beacon(second.impression, {
          origin: "https://evil.example",
        });
        assert.equal(crossSite.status, 403);
        await crossSite.body?.cancel();
        const noOrigin = await visitor.beacon(second.impression, { origin: null });
        assert.equal(noOrigin.status, 403);
        await noOrigin.body?.cancel();

        const events = await eventsUntilSentinel(visitor);
        assert.deepEqual(events.map((e) => e.title), ["banner_show", "order"]);
        const [show] = events;
        assert.equal(show.product, product);
        assert.equal(show.site_version, "desktop");
        assert.equal(show.target, 0);
        assert.equal(show.key, visitor.userId);
        assert.equal(show.page_id, pageId("/"));
        assert.ok(Math.abs(Date.parse(show.time) - Date.now()) < 60_000);
      },
    );

    await t.step("the no-JavaScript pixel counts an impression once", async () => {
      const visitor = new Visitor(base);
      const { impression } = await visitor.openFrontPage();
      const pixel = await visitor.fetch(`/api/collect?i=${encodeURIComponent(impression)}`);
      assert.equal(pixel.status, 200);
      assert.equal(pixel.headers.get("content-type"), "image/gif");
      await pixel.body?.cancel();
      const again = await visitor.fetch(`/api/collect?i=${encodeURIComponent(impression)}`);
      assert.equal(again.status, 400);
      await again.body?.cancel();
      const events = await eventsUntilSentinel(visitor);
      assert.deepEqual(events.map((e) => e.title), ["banner_show", "order"]);
    });

    await t.step(
      "a click counts once (with its view when not yet reported); a reload adds nothing",
      async () => {
        const visitor = new Visitor(base);
        const { href, product } = await visitor.openFrontPage();
        const first = await visitor.fetch(href);
        assert.equal(first.status, 200);
        assert.match(await first.text(), /data-testid="order-button"/);
        const reload = await visitor.fetch(href);
        assert.equal(reload.status, 200);
        await reload.body?.cancel();
        // The same impression on another category's page is not a click on this ad.
        const elsewhere = href.replace(product, product === "clothes" ? "sneakers" : "clothes");
        await (await visitor.fetch(elsewhere)).body?.cancel();
        const events = await eventsUntilSentinel(visitor, product);
        assert.deepEqual(events.map((e) => e.title), ["banner_show", "banner_click", "order"]);
        assert.ok(events.every((e) => e.product === product));
        assert.equal(events[1].page_id, pageId("/"));
        assert.equal(events[2].page_id, pageId(`/product/${product}`));
        assert.equal(new Set(events.map((e) => e.order_id)).size, 3);
      },
    );

    await t.step(
      "a product page waits at most ~2 s for a stuck Postgres; the click counts later",
      async () => {
        const visitor = new Visitor(base);
        const { href, product } = await visitor.openFrontPage();
        // Another session holds the ledger's table: the page's insert has to wait for it.
        let release!: () => void;
        const released = new Promise<void>((resolve) => (release = resolve));
        let locked!: () => void;
        const isLocked = new Promise<void>((resolve) => (locked = resolve));
        const holder = shop.db.sql.begin(async (tx) => {
          await tx`lock table consumed_impressions in exclusive mode`;
          locked();
          await released;
        });
        await isLocked;
        const openedAt = Date.now();
        const started = performance.now();
        const page = await visitor.fetch(href);
        const waited = performance.now() - started;
        assert.equal(page.status, 200);
        await page.body?.cancel();
        release();
        await holder;
        assert.ok(waited >= 1_900 && waited < 5_000, `page took ${waited.toFixed(0)} ms`);
        await reader.waitFor(
          "the late click",
          () => reader.of(visitor.userId).some((e) => e.title === "banner_click"),
        );
        const events = await eventsUntilSentinel(visitor, product);
        assert.deepEqual(events.map((e) => e.title), ["banner_show", "banner_click", "order"]);
        // Stamped when the page was opened, not when Postgres let the click through.
        assert.ok(Date.parse(events[1].time) - openedAt < 1_000, events[1].time);
      },
    );

    await t.step("POST /order without a valid form token is refused with 403", async () => {
      const visitor = new Visitor(base);
      const token = await visitor.formToken("sneakers");
      const other = new Visitor(base);
      const otherToken = await other.formToken("sneakers");

      const cases: [string, Response][] = [
        ["no token", await visitor.order({ product: "sneakers" })],
        ["wrong token", await visitor.order({ product: "sneakers", csrf: "0".repeat(32) })],
        ["another visitor's token", await visitor.order({ product: "sneakers", csrf: otherToken })],
        [
          "cross-site origin",
          await visitor.order({ product: "sneakers", csrf: token }, {
            origin: "https://evil.example",
          }),
        ],
        [
          "cross-site fetch metadata",
          await visitor.order({ product: "sneakers", csrf: token }, {
            "sec-fetch-site": "cross-site",
          }),
        ],
        [
          "no cookie",
          await visitor.order({ product: "sneakers", csrf: token }, { cookie: "" }),
        ],
      ];
      for (const [name, response] of cases) {
        assert.equal(response.status, 403, name);
        assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
        assert.match(await orderRefusal(response), /^Order refused: /, name);
      }

      const unknown = await visitor.order({ product: "toys", csrf: token });
      assert.equal(unknown.status, 400);
      assert.equal(await orderRefusal(unknown), 'Cannot order: unknown product "toys"');

      const placed = await visitor.order({ product: "sneakers", csrf: token });
      assert.equal(placed.status, 303);
      const location = placed.headers.get("location")!;
      const orderId = /^\/order\/([0-9a-f]{32})\?/.exec(location)![1];
      const success = await visitor.fetch(location);
      assert.equal(success.status, 200);
      const html = await success.text();
      assert.match(html, /your order went through/);
      assert.ok(html.includes(orderId));
      // Someone else's browser, or a made-up receipt, does not get a confirmation.
      assert.equal((await other.fetch(location)).status, 404);
      assert.equal(
        (await visitor.fetch(
          location.replace(/receipt=(\w)/, (_, c) => `receipt=${c === "0" ? "1" : "0"}`),
        )).status,
        404,
      );

      await reader.waitFor("the order", (events) => events.some((e) => e.order_id === orderId));
      const events = reader.of(visitor.userId);
      assert.deepEqual(events.map((e) => e.title), ["order"]);
      assert.equal(events[0].order_id, orderId);
      assert.equal(events[0].target, 1);
      assert.equal(events[0].product, "sneakers");
      assert.equal(events[0].page_id, pageId("/product/sneakers"));
      assert.deepEqual(reader.of(other.userId), []);
    });

    await t.step("an unknown category is a 404 and emits nothing", async () => {
      const visitor = new Visitor(base);
      const { impression } = await visitor.openFrontPage();
      for (const category of ["toys", "company", "Sneakers", "..%2Fhealthz"]) {
        const response = await visitor.fetch(`/product/${category}?i=${impression}`);
        assert.equal(response.status, 404, category);
        assert.match(await response.text(), /No such category/);
      }
      const events = await eventsUntilSentinel(visitor);
      assert.deepEqual(events.map((e) => e.title), ["order"]);
    });

    await t.step("markup in parameters comes back escaped, never as markup", async () => {
      const visitor = new Visitor(base);
      await visitor.openFrontPage();
      const markup = `"><script>alert(1)</script><img src=x onerror=alert(2)>`;
      const encoded = encodeURIComponent(markup);
      const pages = [
        `/product/${encoded}`,
        `/product/sneakers?i=${encoded}`,
        `/?i=${encoded}`,
        `/order/${encoded}?product=sneakers&receipt=${encoded}`,
        `/order/${"a".repeat(32)}?product=${encoded}&receipt=x`,
      ];
      for (const path of pages) {
        const html = await (await visitor.fetch(path)).text();
        assert.ok(!html.includes("<script>alert(1)"), path);
        assert.ok(!html.includes("<img src=x"), path);
      }
      // The unknown-category page shows the name asked for: as text, escaped.
      const missing = await (await visitor.fetch(`/product/${encoded}`)).text();
      assert.ok(
        missing.includes(
          "no &quot;\\&quot;>&lt;script>alert(1)&lt;/script>&lt;img src=x onerror=alert(2)>&quot;",
        ),
        missing,
      );
      // The beacon quotes a bad id in its reason: as JSON, never sniffed as HTML.
      const beacon = await visitor.beacon(markup);
      assert.equal(beacon.status, 400);
      assert.equal(beacon.headers.get("content-type"), "application/json");
      assert.equal(beacon.headers.get("x-content-type-options"), "nosniff");
      assert.equal(
        (await beacon.json()).error,
        `malformed impression id ${JSON.stringify(markup)}`,
      );
      // A form token with markup is refused, and its quote in the reason is escaped.
      const order = await visitor.order({ product: markup, csrf: markup });
      assert.equal(order.status, 403);
      const refusal = await order.text();
      assert.ok(!refusal.includes("<script>"), refusal);
      assert.ok(!refusal.includes("<img src=x"), refusal);
    });

    await t.step("the beacon endpoint rate-limits a client", async () => {
      const visitor = new Visitor(base);
      const statuses: number[] = [];
      const started = Date.now();
      for (let i = 0; i < 45; i++) {
        const response = await visitor.beacon("x");
        statuses.push(response.status);
        await response.body?.cancel();
      }
      const seconds = (Date.now() - started) / 1000;
      // A bucket of 30 refilled at 10 per second (earlier steps used some of it).
      const answered = statuses.filter((status) => status === 400).length;
      assert.ok(statuses.includes(429), `statuses: ${statuses.join(",")}`);
      assert.ok(answered <= 30 + Math.ceil(seconds * 10), `statuses: ${statuses.join(",")}`);
      assert.deepEqual(new Set(statuses), new Set([400, 429]));
    });

    await t.step("/healthz shows the producer's queue and drops", async () => {
      const response = await fetch(`${base}/healthz`);
      const body = await response.json();
      assert.equal(response.status, 200);
      assert.equal(body.producer.dropped, 0);
      assert.equal(body.producer.queued, 0);
      assert.ok(body.producer.delivered >= 8);
    });

    assert.deepEqual(reader.invalid, []);
  },
});
