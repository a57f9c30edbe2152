import assert from "node:assert/strict";
import { createApp } from "./mod.ts";

const errors: unknown[] = [];
const app = await createApp({
  root: new URL("./testdata/", import.meta.url),
  state: {},
  cacheDir: new URL("../.cache/islands-test/", import.meta.url),
  onError: (error) => errors.push(error),
});

Deno.test("a [param] route passes the decoded parameter to the handler and page", async () => {
  const response = await app.hono.request("/items/a%20b");
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type")!, /^text\/html/);
  const html = await response.text();
  assert.match(html, /^<!DOCTYPE html><html>/);
  assert.match(html, /<div id="layout"><p id="item">item a b via GET<\/p><\/div>/);
});

Deno.test("a static route wins over a [param] route at the same depth", async () => {
  const html = await (await app.hono.request("/items/new")).text();
  assert.match(html, /id="new-item"/);
});

Deno.test("handlers are chosen per method and an undefined method gets 405 with Allow", async () => {
  const post = await app.hono.request("/items/7", { method: "POST", body: "payload" });
  assert.equal(post.status, 201);
  assert.deepEqual(await post.json(), { id: "7", body: "payload" });
  const del = await app.hono.request("/items/7", { method: "DELETE" });
  assert.equal(del.status, 405);
  assert.equal(del.headers.get("allow"), "GET, POST, HEAD");
});

Deno.test("an unknown URL renders the _404 page with status 404", async () => {
  const response = await app.hono.request("/nowhere/<b>");
  assert.equal(response.status, 404);
  const html = await response.text();
  assert.match(html, /id="not-found">No page at \/nowhere\/%3Cb%3E/);
});

Deno.test("a handler's HttpError(404) renders the _404 page", async () => {
  const response = await app.hono.request("/items/missing");
  assert.equal(response.status, 404);
  assert.match(await response.text(), /id="not-found"/);
});

Deno.test("a 4xx HttpError answers its message without logging", async () => {
  const before = errors.length;
  const response = await app.hono.request("/items/teapot");
  assert.equal(response.status, 418);
  assert.equal(await response.text(), "I am a teapot");
  assert.equal(errors.length, before);
});

Deno.test("a thrown error renders the _500 page, logs it and hides its message", async () => {
  const before = errors.length;
  const response = await app.hono.request("/boom");
  assert.equal(response.status, 500);
  const html = await response.text();
  assert.match(html, /id="server-error">Error 500: Internal server error/);
  assert.doesNotMatch(html, /secret internal detail/);
  assert.equal(errors.length, before + 1);
  assert.match(String(errors.at(-1)), /secret internal detail/);
});

Deno.test("static files are served with cache headers and revalidate by ETag", async () => {
  const response = await app.hono.request("/hello.txt");
  assert.equal(response.status, 200);
  assert.equal(await response.text(), "hello static\n");
  assert.equal(response.headers.get("cache-control"), "public, max-age=3600");
  const etag = response.headers.get("etag")!;
  const again = await app.hono.request("/hello.txt", { headers: { "if-none-match": etag } });
  assert.equal(again.status, 304);
  assert.equal((await app.hono.request("/../deno.json")).status, 404);
});

Deno.test("island props are serialized escaped and the bundle is linked immutable", async () => {
  const html = await (await app.hono.request("/")).text();
  const script = /<script type="application\/json" id="__island_props">(.*?)<\/script>/.exec(html);
  assert.ok(script, "props script present");
  assert.doesNotMatch(script[1], /<\/script>/i);
  assert.deepEqual(JSON.parse(script[1]), [{
    start: 3,
    label: "</script><script>window.pwned = true</script>",
  }]);
  const src = /<script type="module" src="([^"]+)"><\/script><\/body>/.exec(html)?.[1];
  assert.ok(src?.startsWith("/_islands/islands-"), html);
  const bundle = await app.hono.request(src!);
  assert.equal(bundle.status, 200);
  assert.match(bundle.headers.get("cache-control")!, /immutable/);
  assert.match(await bundle.text(), /hydrate|__island_props/);
});
