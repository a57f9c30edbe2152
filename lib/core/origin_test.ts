import assert from "node:assert/strict";
import { crossSiteReason, isSameOrigin } from "./origin.ts";

const request = (headers: Record<string, string>) =>
  new Request("http://shop.example/order", { headers: { host: "shop.example", ...headers } });

Deno.test("an origin is the same only with the request's host and an http(s) scheme", () => {
  assert.ok(isSameOrigin(request({}), "http://shop.example"));
  assert.ok(isSameOrigin(request({}), "https://shop.example"));
  assert.ok(!isSameOrigin(request({}), "https://evil.example"));
  assert.ok(!isSameOrigin(request({}), "chrome-extension://shop.example"));
  assert.ok(!isSameOrigin(request({}), "null"));
});

Deno.test("cross-site requests are told by Sec-Fetch-Site, then Origin", () => {
  assert.equal(crossSiteReason(request({})), undefined);
  assert.equal(crossSiteReason(request({ "sec-fetch-site": "same-origin" })), undefined);
  assert.equal(crossSiteReason(request({ "sec-fetch-site": "none" })), undefined);
  assert.equal(
    crossSiteReason(request({ "sec-fetch-site": "none" }), { allowTyped: false }),
    'Sec-Fetch-Site is "none"',
  );
  assert.equal(
    crossSiteReason(request({ "sec-fetch-site": "cross-site" })),
    'Sec-Fetch-Site is "cross-site"',
  );
  assert.equal(
    crossSiteReason(request({ origin: "https://evil.example" })),
    'Origin "https://evil.example"',
  );
  assert.equal(crossSiteReason(request({}), { requireOrigin: true }), "Origin missing");
  assert.equal(
    crossSiteReason(request({ origin: "http://shop.example" }), { requireOrigin: true }),
    undefined,
  );
});
