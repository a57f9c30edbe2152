import assert from "node:assert/strict";
import {
  addressKey,
  DEFAULT_ADDRESS_LIMITS,
  DEFAULT_VISITOR_LIMITS,
  formatLimit,
  parseLimits,
  ShopLimits,
} from "./limits.ts";

const MIN = 60_000;

Deno.test("limits parse as action=N/period, any subset, with clear errors", () => {
  assert.deepEqual(parseLimits("", DEFAULT_VISITOR_LIMITS), DEFAULT_VISITOR_LIMITS);
  assert.deepEqual(parseLimits(" click = 5/min , order=2/d", DEFAULT_VISITOR_LIMITS), {
    show: DEFAULT_VISITOR_LIMITS.show,
    click: { count: 5, periodMs: MIN },
    order: { count: 2, periodMs: 24 * 60 * MIN },
  });
  assert.deepEqual(parseLimits("show=30/10min", DEFAULT_VISITOR_LIMITS).show, {
    count: 30,
    periodMs: 10 * MIN,
  });
  assert.deepEqual(parseLimits("show=1/30s", DEFAULT_VISITOR_LIMITS).show, {
    count: 1,
    periodMs: 30_000,
  });
  for (
    const [text, fragment] of [
      ["views=3/min", 'got "views=3/min"'],
      ["click", 'got "click"'],
      ["click=0/min", 'got "0/min"'],
      ["click=5/0min", 'got "5/0min"'],
      ["click=5/week", 'got "5/week"'],
      ["click=-1/min", 'got "-1/min"'],
      ["click=5", 'got "5"'],
    ]
  ) {
    assert.throws(() => parseLimits(text, DEFAULT_VISITOR_LIMITS), (error: Error) => {
      assert.ok(error.message.includes(fragment), error.message);
      return true;
    });
  }
});

Deno.test("a limit prints back in the form it is written", () => {
  assert.equal(formatLimit(DEFAULT_VISITOR_LIMITS.show), "60/10min");
  assert.equal(formatLimit(DEFAULT_VISITOR_LIMITS.order), "10/h");
  assert.equal(formatLimit({ count: 2, periodMs: 86_400_000 }), "2/d");
  assert.equal(formatLimit({ count: 7, periodMs: 45_000 }), "7/45s");
  for (const limits of [DEFAULT_VISITOR_LIMITS, DEFAULT_ADDRESS_LIMITS]) {
    for (const limit of Object.values(limits)) {
      assert.deepEqual(parseLimits(`show=${formatLimit(limit)}`, limits).show, limit);
    }
  }
});

Deno.test("an address limits as itself, IPv4-mapped as IPv4, IPv6 by its /64", () => {
  assert.equal(addressKey("203.0.113.7"), "203.0.113.7");
  assert.equal(addressKey("::ffff:203.0.113.7"), "203.0.113.7");
  assert.equal(addressKey("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  assert.equal(addressKey("2001:db8:1:2:ffff:1:2:3"), "2001:db8:1:2::/64");
  assert.notEqual(addressKey("2001:db8:1:3::1"), addressKey("2001:db8:1:2::1"));
  assert.equal(addressKey("unknown"), "unknown");
  assert.equal(addressKey("x".repeat(500)).length, 64);
});

Deno.test("a visitor is limited on its own, an address across its visitors", () => {
  let now = 0;
  const limits = new ShopLimits({
    visitor: parseLimits("click=3/min", DEFAULT_VISITOR_LIMITS),
    address: parseLimits("click=5/min", DEFAULT_ADDRESS_LIMITS),
    maxKeys: 1000,
  }, () => now);
  const actor = (userId: string, address = "198.51.100.1") => ({ userId, address, isBot: false });
  const a = actor("a".repeat(32));
  assert.deepEqual([1, 2, 3].map(() => limits.admit("click", a).ok), [true, true, true]);
  const refused = limits.admit("click", a);
  assert.deepEqual(refused, {
    ok: false,
    refusal: "throttled",
    by: "visitor",
    limit: { count: 3, periodMs: MIN },
    retryAfterSeconds: 20,
  });
  // Shows and orders have their own buckets.
  assert.equal(limits.admit("show", a).ok, true);
  assert.equal(limits.admit("order", a).ok, true);
  // Two more visitors behind the same address use up its 5; the third is refused by it.
  assert.equal(limits.admit("click", actor("b".repeat(32))).ok, true);
  assert.equal(limits.admit("click", actor("c".repeat(32))).ok, true);
  const byAddress = limits.admit("click", actor("d".repeat(32)));
  assert.equal(
    byAddress.ok === false && byAddress.refusal === "throttled" && byAddress.by,
    "address",
  );
  // Another address is not affected.
  assert.equal(limits.admit("click", actor("d".repeat(32), "198.51.100.2")).ok, true);
  // The refused attempts charged nothing: after 20 s the address has 5/3 tokens back,
  // so "d" (whose attempt was refused by the address) still gets one.
  now += 20_000;
  assert.equal(limits.admit("click", actor("d".repeat(32))).ok, true);
  assert.equal(limits.admit("click", a).ok, false, "the address is empty again");
  now += 10 * MIN;
  assert.equal(limits.admit("click", a).ok, true);
  assert.deepEqual(limits.stats().throttled, { show: 0, click: 3, order: 0, bot: 0, beacon: 0 });
});

Deno.test("a refusal by the address does not charge the visitor", () => {
  const now = 0;
  const limits = new ShopLimits({
    visitor: parseLimits("order=2/h", DEFAULT_VISITOR_LIMITS),
    address: parseLimits("order=1/h", DEFAULT_ADDRESS_LIMITS),
    maxKeys: 1000,
  }, () => now);
  const visitor = { userId: "a".repeat(32), address: "192.0.2.1", isBot: false };
  assert.equal(limits.admit("order", visitor).ok, true);
  assert.equal(limits.admit("order", visitor).ok, false);
  assert.equal(limits.admit("order", visitor).ok, false);
  // From another address the visitor still has its second order.
  assert.equal(limits.admit("order", { ...visitor, address: "192.0.2.2" }).ok, true);
  assert.equal(limits.admit("order", { ...visitor, address: "192.0.2.3" }).ok, false);
});

Deno.test("a bot's action is refused and counted, and charges nothing", () => {
  const limits = new ShopLimits({
    visitor: parseLimits("show=1/h", DEFAULT_VISITOR_LIMITS),
    address: DEFAULT_ADDRESS_LIMITS,
    maxKeys: 1000,
  });
  const bot = { userId: "b".repeat(32), address: "192.0.2.9", isBot: true };
  assert.deepEqual(limits.admit("show", bot), { ok: false, refusal: "bot" });
  assert.deepEqual(limits.admit("order", bot), { ok: false, refusal: "bot" });
  assert.equal(limits.admit("show", { ...bot, isBot: false }).ok, true);
  const stats = limits.stats();
  assert.deepEqual(stats.throttled, { show: 0, click: 0, order: 0, bot: 2, beacon: 0 });
  assert.deepEqual(stats.limits.visitor, { show: "1/h", click: "30/10min", order: "10/h" });
  assert.deepEqual(stats.limits.address, { show: "600/10min", click: "300/10min", order: "100/h" });
});

Deno.test("the beacon flood limit is per address (IPv6 per /64) and counted", () => {
  const now = 0;
  const limits = new ShopLimits({
    visitor: DEFAULT_VISITOR_LIMITS,
    address: DEFAULT_ADDRESS_LIMITS,
    maxKeys: 1000,
  }, () => now);
  const answers = Array.from({ length: 40 }, (_, i) => limits.admitReport(`2001:db8::${i + 1}`));
  assert.equal(answers.filter(Boolean).length, 30);
  assert.equal(limits.admitReport("192.0.2.1"), true);
  assert.equal(limits.stats().throttled.beacon, 10);
});
