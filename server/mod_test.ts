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

Deno.test("an unknown URL renders the _error page with status 404", async () => {
  const response = await app.hono.request("/nowhere/<b>");
  assert.equal(response.status, 404);
  const html = await response.text();
  assert.match(html, /id="not-found">No page at \/nowhere\/%3Cb%3E/);
});

Deno.test("a handler's HttpError(404) renders the _error page", async () => {
  const response = await app.hono.request("/items/missing");
  assert.equal(response.status, 404);
  assert.match(await response.text(), /id="not-found"/);
});

Deno.test("a 4xx HttpError renders its message on the _error page without logging", async () => {
  const before = errors.length;
  const response = await app.hono.request("/items/teapot");
  assert.equal(response.status, 418);
  assert.match(await response.text(), /id="server-error">Error 418: I am a teapot/);
  assert.equal(errors.length, before);
});

Deno.test("under /api/ errors answer JSON with the error's status, message and headers", async () => {
  const before = errors.length;
  const limited = await app.hono.request("/api/limited");
  assert.equal(limited.status, 429);
  assert.match(limited.headers.get("content-type")!, /^application\/json/);
  assert.equal(limited.headers.get("retry-after"), "7");
  assert.deepEqual(await limited.json(), { error: "slow down", status: 429 });
  const missing = await app.hono.request("/api/nothing-here");
  assert.equal(missing.status, 404);
  assert.deepEqual(await missing.json(), { error: "Not found", status: 404 });
  const encoded = await app.hono.request("/%61pi/nothing-here");
  assert.deepEqual(await encoded.json(), { error: "Not found", status: 404 });
  const wrongMethod = await app.hono.request("/api/limited", { method: "DELETE" });
  assert.equal(wrongMethod.status, 405);
  assert.equal(wrongMethod.headers.get("allow"), "GET, HEAD");
  assert.equal((await wrongMethod.json()).status, 405);
  const crash = await app.hono.request("/api/crash");
  assert.equal(crash.status, 500);
  assert.deepEqual(await crash.json(), { error: "Internal server error", status: 500 });
  assert.equal(errors.length, before + 1, "only the 5xx is logged");
});

Deno.test("a thrown error renders the _error page as a 500, logs it and hides its message", async () => {
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
  const response = await app.hono.request("/");
  const html = await response.text();
  const script = /<script type="application\/json" id="__island_props">(.*?)<\/script>/.exec(html);
  assert.ok(script, "props script present");
  assert.doesNotMatch(script[1], /<\/script>/i);
  assert.deepEqual(JSON.parse(script[1]), [{
    start: 3,
    label: "</script><script>window.pwned = true</script>",
  }]);
  const tag = /<script type="module" nonce="([^"]+)" src="([^"]+)"><\/script><\/body>/.exec(html);
  assert.ok(tag, html);
  const [, nonce, src] = tag;
  // The bundle runs because its tag carries this response's CSP nonce.
  assert.ok(
    response.headers.get("content-security-policy")!.includes(`script-src 'nonce-${nonce}'`),
  );
  assert.ok(src?.startsWith("/_islands/islands-"), html);
  const bundle = await app.hono.request(src!);
  assert.equal(bundle.status, 200);
  assert.match(bundle.headers.get("cache-control")!, /immutable/);
  assert.match(await bundle.text(), /hydrate|__island_props/);
});

Deno.test("the route table names each route's file and the _middleware files around it", () => {
  const vault = app.routes.find((route) => route.pattern === "/vault");
  assert.deepEqual(vault, {
    pattern: "/vault",
    file: "(locked)/vault.ts",
    middleware: ["_middleware.ts", "(locked)/_middleware.ts"],
  });
  const deep = app.routes.find((route) => route.pattern === "/deep/:id");
  assert.deepEqual(deep?.middleware, [
    "_middleware.ts",
    "(locked)/_middleware.ts",
    "(locked)/deep/_middleware.ts",
  ]);
  assert.deepEqual(app.routes.find((route) => route.pattern === "/boom")?.middleware, [
    "_middleware.ts",
  ]);
});

Deno.test("_middleware wraps the routes of its folder, outermost first, around the handler", async () => {
  const open = { "x-key": "open-sesame" };
  const locked = await app.hono.request("/vault");
  assert.equal(locked.status, 401);
  assert.equal(await locked.text(), "Locked: /vault needs x-key");
  const vault = await app.hono.request("/vault", { headers: open });
  assert.equal(vault.status, 200);
  assert.deepEqual(await vault.json(), { gold: 1 });
  assert.equal(vault.headers.get("x-chain"), "locked, root");
  const deep = await app.hono.request("/deep/a%20b", { headers: open });
  assert.deepEqual(await deep.json(), { id: "a b", route: "/deep/:id" });
  assert.equal(deep.headers.get("x-chain"), "deep-second, deep-first, locked, root");
  // Outside the group only the root middleware runs.
  assert.equal((await app.hono.request("/items/1")).headers.get("x-chain"), "root");
  // Middleware runs before the method check: no 405 leaks what a locked route allows.
  assert.equal((await app.hono.request("/vault", { method: "DELETE" })).status, 401);
});

Deno.test("_middleware decides on what the router matched: encoded paths are locked too", async () => {
  for (const path of ["/vau%6Ct", "/%76ault", "/deep/%78", "/dee%70/x"]) {
    const response = await app.hono.request(path);
    assert.equal(response.status, 401, path);
    assert.match(await response.text(), /^Locked: \/(vault|deep\/:id) needs x-key$/, path);
  }
  // What the router does not match is not found, and no route's code runs for it.
  for (const path of ["/Vault", "/vault/", "/vault;x", "/%2576ault", "/deep/x/y"]) {
    const response = await app.hono.request(path);
    assert.equal(response.status, 404, path);
    assert.equal(response.headers.get("x-chain"), null, path);
    await response.body?.cancel();
  }
});

Deno.test("a body over maxBodyBytes is refused 413 before the route reads it", async () => {
  const small = await createApp({
    root: new URL("./testdata/", import.meta.url),
    state: {},
    cacheDir: new URL("../.cache/islands-test/", import.meta.url),
    maxBodyBytes: 100,
  });
  const open = { "x-key": "open-sesame" };
  const fits = await small.hono.request("/vault", {
    method: "POST",
    headers: open,
    body: "x".repeat(100),
  });
  assert.deepEqual(await fits.json(), { got: 100 });
  const declared = await small.hono.request("/vault", {
    method: "POST",
    headers: open,
    body: "x".repeat(101),
  });
  assert.equal(declared.status, 413);
  assert.match(await declared.text(), /Error 413: Payload too large: send at most 100 bytes/);
  // Without Content-Length (a stream), the count stops at the limit.
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled += 64;
      if (pulled > 64 * 1024) return controller.close();
      controller.enqueue(new Uint8Array(64));
    },
  });
  const streamed = await small.hono.request("/vault", {
    method: "POST",
    headers: open,
    body: stream,
    duplex: "half",
  } as RequestInit);
  assert.equal(streamed.status, 413);
  assert.ok(pulled < 1024, `read ${pulled} bytes of the stream`);
  // The refusal carries the security headers like every response.
  assert.equal(streamed.headers.get("x-content-type-options"), "nosniff");
});

Deno.test("every response carries the security headers, with a fresh nonce per response", async () => {
  const nonces = new Set<string>();
  for (const path of ["/", "/items/1", "/hello.txt", "/nowhere", "/boom", "/vault"]) {
    const response = await app.hono.request(path);
    await response.body?.cancel();
    const csp = response.headers.get("content-security-policy") ?? "";
    assert.match(csp, /frame-ancestors 'none'/, path);
    assert.match(csp, /object-src 'none'/, path);
    const nonce = /script-src 'nonce-([^']+)'(;|$)/.exec(csp)?.[1];
    assert.ok(nonce, `${path}: ${csp}`);
    nonces.add(nonce);
    assert.equal(response.headers.get("x-frame-options"), "DENY", path);
    assert.equal(response.headers.get("x-content-type-options"), "nosniff", path);
    assert.equal(response.headers.get("referrer-policy"), "same-origin", path);
  }
  assert.equal(nonces.size, 6);
});
