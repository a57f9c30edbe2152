// The shop's pure rules: signed visitor cookie, bots and site version, impression ids, form tokens,
// the rate limiter, the events' contract, the simulator's mix, the replay's clock.
import assert from "node:assert/strict";
import { normalizeEvent } from "../lib/core/event.ts";
import { IMPRESSION_TTL_MS, issueImpression, verifyImpression } from "../lib/shop/impressions.ts";
import { checkCsrf, csrfToken } from "../lib/shop/csrf.ts";
import { FORM_TOKEN_TTL_MS, issueFormToken, verifyFormToken } from "../lib/shop/form_token.ts";
import { createRateLimiter } from "../lib/core/rate_limit.ts";
import { pageId, shopEvent } from "../lib/shop/events.ts";
import { createUsers, parseDuration, seededRandom, simulateVisit } from "../lib/synth/traffic.ts";
import { parseSpeed, ReplayClock, shiftToNow } from "../lib/synth/replay_clock.ts";
import {
  isBotAgent,
  signVisitorId,
  siteVersionOf,
  visitorCookie,
  visitorId,
  visitorOf,
} from "../lib/shop/visitor.ts";
import { DESKTOP_UA, PHONE_UA } from "./support/shop.ts";

const secret = new TextEncoder().encode("test-secret-0123456789abcdef");
const userId = "0123456789abcdef0123456789abcdef";

Deno.test("site version is mobile for phone and tablet User-Agents, desktop otherwise", () => {
  assert.equal(siteVersionOf(PHONE_UA), "mobile");
  assert.equal(
    siteVersionOf("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Mobile Safari"),
    "mobile",
  );
  assert.equal(siteVersionOf("Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X)"), "mobile");
  assert.equal(siteVersionOf(DESKTOP_UA), "desktop");
  assert.equal(siteVersionOf(null), "desktop");
  assert.equal(siteVersionOf(""), "desktop");
});

Deno.test("the visitor cookie is a signed 32-hex id, HttpOnly, SameSite=Lax, for a year", () => {
  const fresh = visitorOf(
    secret,
    new Request("http://shop/", { headers: { "user-agent": DESKTOP_UA } }),
  );
  assert.equal(fresh.isNew, true);
  assert.equal(fresh.isBot, false);
  assert.match(fresh.userId, /^[0-9a-f]{32}$/);
  const cookie = visitorCookie(secret, fresh.userId);
  assert.match(
    cookie,
    /^user_id=[0-9a-f]{32}\.[0-9a-f]{32}; Max-Age=31536000; Path=\/; HttpOnly; SameSite=Lax$/,
  );
  assert.equal(cookie.slice(8, 40), fresh.userId);
  const back = visitorOf(
    secret,
    new Request("http://shop/", {
      headers: { cookie: `a=1; ${cookie.split(";")[0]}`, "user-agent": DESKTOP_UA },
    }),
  );
  assert.deepEqual(back, {
    userId: fresh.userId,
    isNew: false,
    siteVersion: "desktop",
    isBot: false,
  });
  // Anything this server did not sign is replaced by a new visitor, never trusted.
  const signature = cookie.slice(41, 73);
  const other = new TextEncoder().encode("another-secret-0123456789");
  for (
    const value of [
      "<b>",
      fresh.userId, // unsigned: the format before signing
      `${"f".repeat(32)}.${signature}`, // another id with this id's signature
      `${fresh.userId}.${"0".repeat(32)}`,
      `${fresh.userId}.${signature.toUpperCase()}`,
      `${fresh.userId}.${signature}0`,
      signVisitorId(other, fresh.userId), // signed with another secret
    ]
  ) {
    const request = new Request("http://shop/", { headers: { cookie: `user_id=${value}` } });
    assert.equal(visitorId(secret, request), undefined, value);
    const replaced = visitorOf(secret, request);
    assert.equal(replaced.isNew, true, value);
    assert.notEqual(replaced.userId, fresh.userId, value);
  }
  // Read among other cookies, spaces around the name and value allowed (`cookie`'s parse).
  const spaced = new Request("http://shop/", {
    headers: { cookie: `x=1;  user_id = ${signVisitorId(secret, fresh.userId)} ` },
  });
  assert.equal(visitorId(secret, spaced), fresh.userId);
  assert.equal(visitorId(secret, new Request("http://shop/")), undefined);
});

Deno.test("known bots, crawlers, HTTP libraries and a missing User-Agent are bots", () => {
  for (
    const ua of [
      "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
      "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
      "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
      "curl/8.5.0",
      "python-requests/2.31.0",
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
      "",
      "   ",
      null,
      `Mozilla/5.0 ${"x".repeat(2000)}`,
    ]
  ) {
    assert.equal(isBotAgent(ua), true, String(ua).slice(0, 60));
  }
  assert.equal(isBotAgent(DESKTOP_UA), false);
  assert.equal(isBotAgent(PHONE_UA), false);
});

Deno.test("an impression id verifies only for its visitor, unaltered and unexpired", () => {
  const now = Date.UTC(2026, 0, 1);
  const id = issueImpression(secret, { product: "sneakers", userId, now });
  assert.match(id, /^[0-9a-f]{16}\.sneakers\.[0-9a-z]+\.[0-9a-f]{32}$/);
  const ok = verifyImpression(secret, id, { userId, now: now + 5_000 });
  assert.ok(ok.ok);
  assert.equal(ok.value.product, "sneakers");
  assert.equal(ok.value.issuedAt, now);

  const reason = (value: unknown, options: { userId?: string; now?: number } = {}) => {
    const result = verifyImpression(secret, value, { userId, now, ...options });
    return result.ok ? "accepted" : result.reason;
  };
  assert.equal(reason(undefined), "missing impression id");
  assert.equal(reason(42), "missing impression id");
  assert.equal(reason("abc"), 'malformed impression id "abc"');
  assert.equal(
    reason(id.replace("sneakers", "clothes")),
    "impression id not signed by this server for this visitor",
  );
  assert.equal(
    reason(id.replace("sneakers", "toys")),
    `unknown product in impression id ${JSON.stringify(id.replace("sneakers", "toys"))}`,
  );
  assert.equal(
    reason(id, { userId: "f".repeat(32) }),
    "impression id not signed by this server for this visitor",
  );
  assert.equal(
    verifyImpression(secret, id, { userId: undefined, now }).ok,
    false,
  );
  const other = new TextEncoder().encode("another-secret-0123456789");
  assert.equal(verifyImpression(other, id, { userId, now }).ok, false);
  assert.equal(reason(id, { now: now + IMPRESSION_TTL_MS + 1000 }), "impression id expired");
  assert.equal(reason(id, { now: now - 120_000 }), "impression id issued in the future");
});

Deno.test("a form token is tied to the visitor's signed cookie, expires and is refused cross-site", () => {
  const token = csrfToken(secret, userId);
  assert.match(token, /^[0-9a-f]{16}\.[0-9a-z]+\.[0-9a-f]{32}$/);
  assert.notEqual(csrfToken(secret, userId), token, "each form gets its own nonce");
  const post = (headers: Record<string, string>) =>
    new Request("http://shop.test/order", {
      method: "POST",
      headers: { host: "shop.test", ...headers },
    });
  const cookie = `user_id=${signVisitorId(secret, userId)}`;
  const form = (csrf?: string) => new URLSearchParams(csrf ? { csrf } : {});
  const accepted = checkCsrf(secret, post({ cookie }), form(token));
  assert.ok(accepted.ok);
  assert.equal(accepted.value.userId, userId);
  assert.equal(accepted.value.token.nonce, token.slice(0, 16));
  assert.ok(
    checkCsrf(
      secret,
      post({ cookie, origin: "http://shop.test", "sec-fetch-site": "same-origin" }),
      form(token),
    ).ok,
  );
  const refused = (headers: Record<string, string>, csrf?: string) => {
    const result = checkCsrf(secret, post(headers), form(csrf));
    return result.ok ? "accepted" : result.reason;
  };
  assert.match(refused({ cookie }), /^missing form token/);
  assert.match(refused({ cookie }, csrfToken(secret, "f".repeat(32))), /^invalid form token/);
  assert.match(refused({ cookie }, "0".repeat(32)), /^malformed form token "0{32}"/);
  assert.match(refused({ cookie }, token + "0".repeat(200)), /^malformed form token/);
  assert.match(refused({}, token), /^no visitor cookie/);
  // The unsigned cookie of before is no visitor.
  assert.match(refused({ cookie: `user_id=${userId}` }, token), /^no visitor cookie/);
  assert.match(
    refused({ cookie, origin: "http://evil.test" }, token),
    /Origin "http:\/\/evil.test"/,
  );
  assert.match(refused({ cookie, "sec-fetch-site": "cross-site" }, token), /Sec-Fetch-Site/);

  const now = Date.UTC(2026, 0, 1);
  const old = issueFormToken(secret, { userId, now });
  assert.ok(verifyFormToken(secret, old, { userId, now: now + FORM_TOKEN_TTL_MS - 1000 }).ok);
  const expired = verifyFormToken(secret, old, { userId, now: now + FORM_TOKEN_TTL_MS + 1000 });
  assert.deepEqual(expired, {
    ok: false,
    reason: "the form has expired: reload the page and try again",
  });
  const future = verifyFormToken(secret, old, { userId, now: now - 120_000 });
  assert.equal(future.ok ? "accepted" : future.reason, "form token issued in the future");
});

Deno.test("the rate limiter allows a burst, then the refill rate, per client", () => {
  let now = 0;
  const take = createRateLimiter({ burst: 3, perSecond: 2, now: () => now });
  assert.deepEqual([take("a"), take("a"), take("a"), take("a")], [true, true, true, false]);
  assert.equal(take("b"), true);
  now += 500;
  assert.deepEqual([take("a"), take("a")], [true, false]);
  now += 10_000;
  assert.deepEqual([take("a"), take("a"), take("a"), take("a")], [true, true, true, false]);
  const small = createRateLimiter({ burst: 1, perSecond: 1, maxKeys: 2, now: () => now });
  small("x");
  small("y");
  small("z"); // forgets "x", the least recently seen
  assert.equal(small("x"), true);
});

Deno.test("shop events follow the contract: fresh ids, stable page ids, target 1 only for orders", () => {
  const event = shopEvent({
    title: "order",
    product: "clothes",
    userId,
    siteVersion: "mobile",
    page: "/product/clothes",
    time: new Date("2026-01-02T03:04:05.678Z"),
  });
  assert.deepEqual(normalizeEvent({ ...event }), { ok: true, value: event });
  assert.equal(event.target, 1);
  assert.equal(event.page_id, pageId("/product/clothes"));
  assert.match(pageId("/"), /^[0-9a-f]{32}$/);
  assert.notEqual(pageId("/"), pageId("/product/clothes"));
  const show = shopEvent({
    title: "banner_show",
    product: "clothes",
    userId,
    siteVersion: "desktop",
    page: "/",
  });
  assert.equal(show.target, 0);
  assert.notEqual(show.order_id, event.order_id);
});

Deno.test("the simulator mixes devices and follows each category's funnel", () => {
  const random = seededRandom(7);
  const users = createUsers(2000, random);
  const mobile = users.filter((u) => u.siteVersion === "mobile").length / users.length;
  assert.ok(mobile > 0.5 && mobile < 0.6, `mobile share ${mobile}`);
  const counts = { banner_show: 0, banner_click: 0, order: 0 };
  const now = new Date();
  for (let i = 0; i < 20_000; i++) {
    const visit = simulateVisit(users[i % users.length], now, random);
    assert.equal(visit[0].title, "banner_show");
    assert.ok(visit.every((e) => e.user_id === visit[0].user_id && e.product === visit[0].product));
    assert.deepEqual(
      visit.map((e) => e.title),
      ["banner_show", "banner_click", "order"].slice(0, visit.length),
    );
    for (const event of visit) {
      assert.ok(normalizeEvent({ ...event }).ok);
      counts[event.title]++;
    }
  }
  const ctr = counts.banner_click / counts.banner_show;
  const conversion = counts.order / counts.banner_click;
  assert.ok(ctr > 0.08 && ctr < 0.12, `click-through ${ctr}`);
  assert.ok(conversion > 0.06 && conversion < 0.16, `orders per click ${conversion}`);
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

Deno.test("the replay clock keeps relative timing scaled by the speed", () => {
  const clock = new ReplayClock(3600);
  const t0 = Date.UTC(2019, 0, 1);
  const wall = 1_000_000;
  assert.equal(clock.delay(t0, wall), 0);
  // One hour of data is one second at 3600×.
  assert.equal(clock.delay(t0 + 3_600_000, wall), 1000);
  assert.equal(clock.delay(t0 + 3_600_000, wall + 400), 600);
  assert.equal(clock.delay(t0 + 3_600_000, wall + 5000), 0);
  assert.equal(clock.delay(t0 - 60_000, wall), 0, "an earlier row is due at once");
  const max = new ReplayClock("max");
  assert.equal(max.delay(t0, wall), 0);
  assert.equal(max.delay(t0 + 86_400_000, wall), 0);
  assert.equal(t0 + shiftToNow(t0, wall), wall);
});
