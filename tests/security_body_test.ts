// Issue 10, finding 4: no request body eats the memory. `deno task web` runs as a child
// process; 200 MiB bodies, declared with Content-Length and streamed chunked, go to
// every route that reads a body (and one that does not). Each is answered 413 with the
// reason after at most a little more than the limit was read, and the server's
// resident memory (VmRSS) stays flat. Before: one 200 MiB POST /login raised it from
// 79 to 495 MB (Content-Length) and 663 MB (chunked).
import assert from "node:assert/strict";
import { rawRequest } from "./support/raw_http.ts";
import { createTestDatabase, createTestTopic, testServices } from "./support/services.ts";
import { startWebProcess } from "./support/web_process.ts";

const MiB = 1024 * 1024;
const sanitize = { sanitizeOps: false, sanitizeResources: false };

for (const token of [undefined, "body-limit-token-0123456789"]) {
  Deno.test({
    name:
      `200 MiB bodies are refused (413, or 411 when chunked) before they are read and RSS stays flat (${
        token ? "with" : "without"
      } DASHBOARD_TOKEN)`,
    ...sanitize,
    async fn() {
      const { kafkaBrokers } = await testServices();
      await using db = await createTestDatabase("body");
      await using topic = await createTestTopic("body");
      await using web = await startWebProcess({
        DATABASE_URL: db.url,
        KAFKA_BROKERS: kafkaBrokers.join(","),
        KAFKA_TOPIC: topic.topic,
        ...(token ? { DASHBOARD_TOKEN: token } : {}),
      });
      // Warm up the routes (first requests compile and allocate what they always will).
      for (const path of ["/login", "/", "/healthz"]) {
        await (await fetch(`${web.url}${path}`)).body?.cancel();
      }
      const before = await web.rss();
      const form = { "content-type": "application/x-www-form-urlencoded" };
      // Every route that reads a body; a GET's body is dropped by the server unread. A
      // chunked body never reaches a route: the connection guard answers 411 at its head.
      const cases: [string, string, "length" | "chunked", number][] = [
        ["POST", "/login", "length", 413],
        ["POST", "/login", "chunked", 411],
        ["POST", "/logout", "length", 413],
        ["POST", "/logout", "chunked", 411],
        ["POST", "/order", "length", 413],
        ["POST", "/order", "chunked", 411],
        ["POST", "/api/collect", "length", 413],
        ["POST", "/api/collect", "chunked", 411],
        ["GET", "/healthz", "length", 200],
      ];
      const lines: string[] = [];
      let peak = before;
      for (const [method, path, framing, status] of cases) {
        const response = await rawRequest(web.url, path, {
          method,
          headers: form,
          body: { size: 200 * MiB, framing },
          timeoutMs: 120_000,
        });
        const rss = await web.rss();
        peak = Math.max(peak, rss);
        lines.push(
          `${method} ${path} (${framing}): ${response.status}, ${
            (response.sentBodyBytes / MiB).toFixed(1)
          } MiB sent before the answer, RSS ${(rss / MiB).toFixed(0)} MiB`,
        );
        console.log(lines.at(-1));
        assert.equal(response.status, status, `${method} ${path} ${framing}: ${response.body}`);
        if (status === 413) {
          // The error page (or JSON under /api/) with the reason.
          assert.ok(
            response.body.includes("Payload too large: send at most 16384 bytes"),
            response.body,
          );
        }
        if (status === 411) {
          assert.match(
            response.body,
            /^Length required: send the request body with Content-Length/,
          );
        } else {
          assert.equal(response.headers.get("x-content-type-options"), "nosniff");
        }
        // The server answered long before the 200 MiB were through.
        assert.ok(response.sentBodyBytes < 100 * MiB, lines.at(-1));
      }
      const growth = peak - before;
      console.log(
        `RSS before ${(before / MiB).toFixed(0)} MiB, peak ${(peak / MiB).toFixed(0)} MiB`,
      );
      // Before the limit one such body added 400-600 MiB; allow for allocator noise only.
      assert.ok(growth < 48 * MiB, `RSS grew by ${(growth / MiB).toFixed(0)} MiB`);
      // The server still works.
      const page = await fetch(`${web.url}/`);
      assert.equal(page.status, 200);
      await page.body?.cancel();
    },
  });
}
