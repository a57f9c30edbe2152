// Issue 10, finding 3 and the visitor-cookie part of finding 8: one client cannot
// inflate the shop's counts. Against the real Postgres and Kafka, with tight limits
// (per day, so nothing refills while the test runs) and the shop trusting loopback as
// its proxy, so each step's client address is the `X-Forwarded-For` it sends. What
// reached the topic is read back and counted as distinct events (by order_id) once the
// producer has delivered everything and the reader has read as many messages.
//
// Each step checks, in order: statuses, then headers/body, then the events.
import assert from "node:assert/strict";
import { DEFAULT_ADDRESS_LIMITS, DEFAULT_VISITOR_LIMITS, parseLimits } from "../lib/shop/limits.ts";
import { createTestTopic, testServices } from "./support/services.ts";
import {
  orderRefusal,
  type ReadEvent,
  startTestShop,
  TopicReader,
  Visitor,
} from "./support/shop.ts";

const GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

Deno.test({
  name: "security: one client cannot inflate shows, clicks or orders",
  // kafkajs keeps timers and sockets past disconnect.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const { kafkaBrokers } = await testServices();
    await using topic = await createTestTopic("security_shop");
    await using shop = await startTestShop(topic.topic, kafkaBrokers, {
      trustProxy: ["loopback"],
      shopLimits: {
        visitor: parseLimits("show=5/d,click=5/d,order=3/d", DEFAULT_VISITOR_LIMITS),
        address: parseLimits("show=12/d,click=8/d,order=5/d", DEFAULT_ADDRESS_LIMITS),
        maxKeys: 1000,
      },
    });
    await using reader = await TopicReader.start(kafkaBrokers, topic.topic);
    const base = shop.web.url;
    const producer = shop.web.state.producer;

    /** Waits until every event the shop produced so far has been read back. */
    async function settled(): Promise<void> {
      assert.ok(await producer.flush(30_000), "the producer delivered everything");
      const { delivered } = producer.stats();
      await reader.waitFor(`${delivered} messages`, () => reader.messages >= delivered);
    }
    const titles = (events: ReadEvent[], title: string) =>
      events.filter((event) => event.title === title).length;

    await t.step(
      "one cookie, 20 cycles of front page, beacon and ad click: 5 shows, 5 clicks",
      async () => {
        const visitor = new Visitor(base, undefined, "203.0.113.1");
        const beacons: number[] = [];
        const pages: number[] = [];
        let lastBeacon: Response | undefined;
        for (let i = 0; i < 20; i++) {
          const { impression, href } = await visitor.openFrontPage();
          const beacon = await visitor.beacon(impression);
          beacons.push(beacon.status);
          if (beacon.status === 429) lastBeacon = beacon;
          else await beacon.body?.cancel();
          const page = await visitor.fetch(href);
          pages.push(page.status);
          assert.match(await page.text(), /data-testid="order-button"/, "the page still renders");
        }
        assert.deepEqual(beacons, [...Array(5).fill(204), ...Array(15).fill(429)]);
        assert.deepEqual(pages, Array(20).fill(200));
        assert.ok(Number(lastBeacon!.headers.get("retry-after")) > 3600);
        assert.match(
          (await lastBeacon!.json()).error,
          /^not counted: too many ad views from this visitor \(limit 5\/d\): try again in \d+ h$/,
        );
        await settled();
        const events = reader.of(visitor.userId);
        assert.equal(titles(events, "banner_show"), 5);
        assert.equal(titles(events, "banner_click"), 5);
        assert.equal(events.length, 10);
      },
    );

    await t.step("one form token sent 12 times places one order", async () => {
      const visitor = new Visitor(base, undefined, "203.0.113.2");
      const csrf = await visitor.formToken("sneakers");
      const answers: Response[] = [];
      for (let i = 0; i < 12; i++) answers.push(await visitor.order({ csrf, product: "sneakers" }));
      // The first places it; the next two are told the form was sent; then the
      // visitor's limit (3/d) refuses before the ledger is asked.
      assert.deepEqual(
        answers.map((answer) => answer.status),
        [303, 409, 409, ...Array(9).fill(429)],
      );
      const location = answers[0].headers.get("location")!;
      const orderId = /^\/order\/([0-9a-f]{32})\?/.exec(location)![1];
      const [second] = answers.slice(1);
      const html = await second.text();
      assert.ok(
        html.includes(
          `Order refused: this form was already sent (order ${orderId}): ` +
            "open the product page again to order another",
        ),
        html,
      );
      // The refusal links to the order the form placed, which this visitor can open.
      const link = /data-testid="error-link" href="([^"]+)"|href="([^"]+)" data-testid="error-link"/
        .exec(html);
      const firstOrder = (link![1] ?? link![2]).replaceAll("&amp;", "&");
      assert.equal(firstOrder, location);
      const confirmation = await visitor.fetch(firstOrder);
      assert.equal(confirmation.status, 200);
      assert.ok((await confirmation.text()).includes(orderId));
      const limited = answers.at(-1)!;
      assert.ok(Number(limited.headers.get("retry-after")) > 3600);
      assert.match(
        await orderRefusal(limited),
        /^Order refused: too many orders from this visitor \(limit 3\/d\): try again in \d+ h$/,
      );
      for (const answer of answers.slice(2, -1)) await answer.body?.cancel();
      await settled();
      assert.deepEqual(reader.of(visitor.userId).map((e) => [e.title, e.order_id]), [
        ["order", orderId],
      ]);
    });

    await t.step(
      "fresh cookies from one address: its limits cap clicks at 8 and orders at 5",
      async () => {
        const address = "198.51.100.7";
        const clickers: Visitor[] = [];
        for (let i = 0; i < 20; i++) {
          const visitor = new Visitor(base, undefined, address);
          const { href } = await visitor.openFrontPage();
          const page = await visitor.fetch(href);
          assert.equal(page.status, 200);
          await page.body?.cancel();
          clickers.push(visitor);
        }
        const orders: number[] = [];
        let refused: Response | undefined;
        for (let i = 0; i < 8; i++) {
          const visitor = new Visitor(base, undefined, address);
          const csrf = await visitor.formToken("clothes");
          const answer = await visitor.order({ csrf, product: "clothes" });
          orders.push(answer.status);
          if (answer.status === 429) refused = answer;
          else await answer.body?.cancel();
        }
        assert.deepEqual(orders, [303, 303, 303, 303, 303, 429, 429, 429]);
        assert.match(
          await orderRefusal(refused!),
          /^Order refused: too many orders from this address \(limit 5\/d\)/,
        );
        // Another address is not affected by this one's limits.
        const elsewhere = new Visitor(base, undefined, "198.51.100.8");
        const { href } = await elsewhere.openFrontPage();
        await (await elsewhere.fetch(href)).body?.cancel();

        await settled();
        const fromAddress = clickers.flatMap((visitor) => reader.of(visitor.userId));
        // Each counted click also brings its ad view (no beacon was sent).
        assert.equal(titles(fromAddress, "banner_click"), 8);
        assert.equal(titles(fromAddress, "banner_show"), 8);
        assert.deepEqual(reader.of(elsewhere.userId).map((e) => e.title), [
          "banner_show",
          "banner_click",
        ]);
        const orderEvents = reader.events.filter((e) =>
          e.title === "order" && e.product === "clothes"
        );
        assert.equal(orderEvents.length, 5);
      },
    );

    await t.step("a forged or unsigned visitor cookie is replaced by a new visitor", async () => {
      // A visitor the dashboard's explore panel could list.
      const victim = new Visitor(base, undefined, "192.0.2.10");
      await victim.openFrontPage();
      const victimId = victim.userId;
      const signature = victim.cookie.split(".")[1];
      for (
        const forged of [
          `user_id=${victimId}`, // unsigned, as cookies were before signing
          `user_id=${victimId}.${"0".repeat(32)}`,
          `user_id=${"e".repeat(32)}.${signature}`, // another id with the victim's signature
        ]
      ) {
        const attacker = new Visitor(base, undefined, "192.0.2.11");
        attacker.cookie = forged;
        const front = await attacker.fetch("/");
        assert.equal(front.status, 200, forged);
        await front.body?.cancel();
        // A new visitor was issued, with its own signed cookie.
        assert.match(front.headers.get("set-cookie") ?? "", /^user_id=[0-9a-f]{32}\.[0-9a-f]{32};/);
        assert.notEqual(attacker.userId, victimId, forged);
        assert.notEqual(attacker.userId, "e".repeat(32), forged);

        // With the forged cookie kept, an order (with a token the page issued to the new
        // visitor) is refused: the forged cookie is no visitor at all.
        const token = await new Visitor(base, undefined, "192.0.2.11").formToken("sneakers");
        const order = await attacker.order({ csrf: token, product: "sneakers" }, {
          cookie: forged,
        });
        assert.equal(order.status, 403, forged);
        assert.match(await orderRefusal(order), /^Order refused: no visitor cookie/);
      }
      await settled();
      assert.deepEqual(reader.of(victimId), []);
      assert.deepEqual(reader.of("e".repeat(32)), []);
    });

    await t.step("a bot's view, click and order emit nothing; its pages render", async () => {
      const bot = new Visitor(base, GOOGLEBOT, "192.0.2.20");
      const front = await bot.openFrontPage();
      const beacon = await bot.beacon(front.impression);
      assert.equal(beacon.status, 403);
      assert.equal(
        (await beacon.json()).error,
        "not counted: the User-Agent is a known bot or crawler, or missing",
      );
      const page = await bot.fetch(front.href);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /data-testid="order-button"/);
      const csrf = await bot.formToken("sneakers");
      const order = await bot.order({ csrf, product: "sneakers" });
      assert.equal(order.status, 403);
      assert.equal(
        await orderRefusal(order),
        "Order refused: the User-Agent is a known bot or crawler, or missing",
      );
      await settled();
      assert.deepEqual(reader.of(bot.userId), []);
    });

    await t.step(
      "a HEAD of an ad's product page counts no click; the GET after it does",
      async () => {
        const visitor = new Visitor(base, undefined, "192.0.2.30");
        const { href } = await visitor.openFrontPage();
        const head = await visitor.fetch(href, { method: "HEAD" });
        assert.equal(head.status, 200);
        await head.body?.cancel();
        await settled();
        assert.deepEqual(reader.of(visitor.userId), []);
        await (await visitor.fetch(href)).body?.cancel();
        await settled();
        assert.deepEqual(reader.of(visitor.userId).map((e) => e.title), [
          "banner_show",
          "banner_click",
        ]);
      },
    );

    await t.step("/healthz counts what the limits and the bot check refused", async () => {
      const response = await fetch(`${base}/healthz`);
      const body = await response.json();
      assert.equal(response.status, 200);
      assert.deepEqual(body.shop.throttled, {
        // The 15 refused beacons of the first step.
        show: 15,
        // 15 of the one cookie's clicks, 12 of the 20 fresh cookies' at one address.
        click: 15 + 12,
        // 9 posts of the reused form, 3 orders from the one address.
        order: 9 + 3,
        // The bot's beacon, click and order.
        bot: 3,
        beacon: 0,
      });
      assert.deepEqual(body.shop.limits, {
        visitor: { show: "5/d", click: "5/d", order: "3/d" },
        address: { show: "12/d", click: "8/d", order: "5/d" },
      });
    });

    assert.deepEqual(reader.invalid, []);
  },
});
