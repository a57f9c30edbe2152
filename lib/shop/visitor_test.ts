// The signed visitor cookie, bots and the site version.
import assert from "node:assert/strict";
import {
  isBotAgent,
  signVisitorId,
  siteVersionOf,
  visitorCookie,
  visitorId,
  visitorOf,
} from "./visitor.ts";
import { DESKTOP_UA, PHONE_UA } from "../../tests/support/shop.ts";

const secret = new TextEncoder().encode("test-secret-0123456789abcdef");

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
