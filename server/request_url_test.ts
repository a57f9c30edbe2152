import assert from "node:assert/strict";
import { requestUrl } from "./request_url.ts";

Deno.test("a request that came through the guard's unix socket has an http URL and origin", () => {
  const url = requestUrl(new Request("http+unix://127.0.0.1:8000/login?next=%2Fdashboard"));
  assert.equal(url.href, "http://127.0.0.1:8000/login?next=%2Fdashboard");
  assert.equal(url.origin, "http://127.0.0.1:8000");
  // Resolving a protocol-relative path then leaves the site, as a browser would.
  assert.equal(new URL("//evil.example/x", url).origin, "http://evil.example");
  assert.equal(requestUrl(new Request("https://shop.example/a")).href, "https://shop.example/a");
});
