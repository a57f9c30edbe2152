// The simulator draws from the generator's model; durations and speeds parse.
import assert from "node:assert/strict";
import { normalizeEvent } from "../core/event.ts";
import { createUsers, parseDuration, simulateVisit } from "./traffic.ts";
import { seededRandom } from "./prng.ts";
import { DEVICE_SHARES, PRODUCT_SHARES, titleShares } from "./model.ts";
import { parseSpeed } from "./replay_clock.ts";

Deno.test("the simulator follows the generator's model: device mix and each category's funnel", () => {
  const random = seededRandom(7);
  const users = createUsers(4000, random);
  const mobile = users.filter((u) => u.siteVersion === "mobile").length / users.length;
  const mobileShare = DEVICE_SHARES.find(([device]) => device === "mobile")![1];
  assert.ok(Math.abs(mobile - mobileShare) < 0.03, `mobile share ${mobile} vs ${mobileShare}`);
  // What the generated file holds per title, from the same model: shows, clicks, orders.
  const expected = [0, 0, 0];
  for (const [p, [, productShare]] of PRODUCT_SHARES.entries()) {
    for (const [d, [, deviceShare]] of DEVICE_SHARES.entries()) {
      const shares = titleShares(p, d);
      const shows = productShare * deviceShare;
      for (let t = 0; t < 3; t++) expected[t] += shows * shares[t] / shares[0];
    }
  }
  const counts = { banner_show: 0, banner_click: 0, order: 0 };
  const byProduct = new Map<string, number>();
  const now = new Date();
  for (let i = 0; i < 40_000; i++) {
    const visit = simulateVisit(users[i % users.length], now, random);
    assert.equal(visit[0].title, "banner_show");
    assert.ok(visit.every((e) => e.user_id === visit[0].user_id && e.product === visit[0].product));
    assert.deepEqual(
      visit.map((e) => e.title),
      ["banner_show", "banner_click", "order"].slice(0, visit.length),
    );
    byProduct.set(visit[0].product, (byProduct.get(visit[0].product) ?? 0) + 1);
    for (const event of visit) {
      assert.ok(normalizeEvent({ ...event }).ok);
      counts[event.title]++;
    }
  }
  const ctr = counts.banner_click / counts.banner_show;
  const conversion = counts.order / counts.banner_click;
  const expectedCtr = expected[1] / expected[0];
  const expectedConversion = expected[2] / expected[1];
  assert.ok(Math.abs(ctr / expectedCtr - 1) < 0.06, `click-through ${ctr} vs ${expectedCtr}`);
  assert.ok(
    Math.abs(conversion / expectedConversion - 1) < 0.12,
    `orders per click ${conversion} vs ${expectedConversion}`,
  );
  for (const [product, share] of PRODUCT_SHARES) {
    const seen = byProduct.get(product)! / 40_000;
    assert.ok(Math.abs(seen - share) < 0.015, `${product}: ${seen} vs ${share}`);
  }
});

Deno.test("durations and speeds parse with clear errors", () => {
  assert.equal(parseDuration("60s"), 60_000);
  assert.equal(parseDuration("90"), 90_000);
  assert.equal(parseDuration("5m"), 300_000);
  assert.equal(parseDuration("2h"), 7_200_000);
  assert.throws(() => parseDuration("soon"), /Invalid duration "soon"/);
  assert.equal(parseSpeed("max"), "max");
  assert.equal(parseSpeed("3600"), 3600);
  assert.throws(() => parseSpeed("0"), /Invalid --speed "0"/);
  assert.throws(() => parseSpeed("fast"), /Invalid --speed "fast"/);
});
