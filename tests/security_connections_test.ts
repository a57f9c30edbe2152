// Bounded connections at the transport (issue 10, finding 5 and the slow header sender
// of finding 8), against the real web server: a slow request head is cut with 408, ten
// partial 63 MiB WebSocket frames are refused at their header while the server's RSS
// stays flat, 8,000 sockets from one client are all but the cap refused with 503 while
// another client is served, and the live hub's socket caps answer 503 with the reason.
import { reasonOf } from "./support/errors.ts";
import assert from "node:assert/strict";
import { CONNECTION_DEFAULTS, type ConnectionConfig, readConfig } from "../lib/process/config.ts";
import { freePort } from "../lib/services/net.ts";
import { startWebServer, type WebServer } from "../main.ts";
import { createTestDatabase, createTestTopic } from "./support/services.ts";
import {
  clientFrame,
  clientFrameHeader,
  openRawWebSocket,
  RawSocket,
  readServerFrame,
} from "./support/raw_socket.ts";

// kafkajs (the shop's producer in the web server) keeps timers past disconnect.
const sanitize = { sanitizeOps: false, sanitizeResources: false };

async function startWeb(
  connections: Partial<ConnectionConfig>,
): Promise<WebServer & AsyncDisposable> {
  const db = await createTestDatabase("conn");
  const topic = await createTestTopic("conn");
  const config = readConfig({});
  const web = await startWebServer({
    config: {
      ...config,
      port: 0,
      kafkaTopic: topic.topic,
      connections: { ...config.connections, ...connections },
    },
    databaseUrl: db.url,
    kafkaBrokers: topic.brokers,
  });
  return {
    ...web,
    async [Symbol.asyncDispose]() {
      await web.close();
      await db.close();
      await topic.close();
    },
  };
}

Deno.test({
  name: "a client that sends its request head slowly is answered 408 and closed after the timeout",
  ...sanitize,
  async fn() {
    await using web = await startWeb({ headerTimeoutMs: 500 });
    const slow = await RawSocket.connect(web.port);
    await slow.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    const trickle = setInterval(() => slow.write("X-Slow: 1\r\n"), 200);
    try {
      const response = await slow.readResponse(10_000);
      assert.equal(response.status, 408);
      assert.equal(response.body, "Request timeout: send the request head within 500 ms");
      await slow.waitClosed();
    } finally {
      clearInterval(trickle);
      slow.close();
    }
    // Meanwhile and after, the shop is served.
    const page = await fetch(`${web.url}/`);
    assert.equal(page.status, 200);
    await page.body?.cancel();
  },
});

/** The resident set of process `pid` in MB. */
function rssMb(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

Deno.test({
  name:
    "ten partial 63 MiB WebSocket frames are refused at their header with 1009; the web process's RSS stays flat",
  ...sanitize,
  async fn() {
    await using db = await createTestDatabase("conn_rss");
    await using topic = await createTestTopic("conn_rss");
    const port = freePort();
    // The web server as `deno task web` runs it, in its own process.
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("../main.ts", import.meta.url).pathname],
      env: {
        DATABASE_URL: db.url,
        KAFKA_BROKERS: topic.brokers.join(","),
        KAFKA_TOPIC: topic.topic,
        PORT: String(port),
      },
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const output = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    try {
      let seen = "";
      while (!seen.includes("Web server listening")) {
        const { value, done } = await output.read();
        if (done) throw new Error(`The web server exited: ${seen}`);
        seen += value;
      }
      // Warm up: a page and a live socket that says hello, so the baseline is steady.
      const page = await fetch(`http://127.0.0.1:${port}/`);
      await page.body?.cancel();
      const warm = await openRawWebSocket(port, "/api/live");
      assert.equal(warm.response.status, 101);
      assert.equal((await readServerFrame(warm.socket)).opcode, 1);
      warm.socket.close();
      await new Promise((resolve) => setTimeout(resolve, 500));
      const before = rssMb(child.pid);

      const partial = new Uint8Array(60 * 1024 * 1024);
      for (let i = 0; i < 10; i++) {
        const { socket, response } = await openRawWebSocket(port, "/api/live");
        assert.equal(response.status, 101);
        await socket.write(clientFrameHeader(2, 63 * 1024 * 1024));
        await socket.write(partial); // may fail: the guard closes the connection
        let close = await readServerFrame(socket);
        while (close.opcode !== 8) close = await readServerFrame(socket); // hello, status
        assert.equal(close.code, 1009);
        assert.equal(close.reason, "Message too big: the limit is 4096 bytes");
        await socket.waitClosed();
        socket.close();
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      const after = rssMb(child.pid);
      console.log(
        `web process RSS: ${before.toFixed(0)} MB before, ${after.toFixed(0)} MB after ` +
          `ten partial 63 MiB frames (each header and 60 MiB of payload sent)`,
      );
      // Buffered, the frames add ~600 MB (measured without the guard: 77 -> 679 MB).
      assert.ok(after - before < 40, `RSS grew from ${before} to ${after} MB`);

      // Messages within the limit still reach the server (it ignores them), and the
      // socket stays open.
      const { socket } = await openRawWebSocket(port, "/api/live");
      await socket.write(clientFrame(1, "x".repeat(CONNECTION_DEFAULTS.maxWebSocketMessageBytes)));
      assert.equal((await readServerFrame(socket)).opcode, 1); // hello
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(socket.closed, false);
      socket.close();
    } finally {
      child.kill("SIGTERM");
      await child.status;
      await output.cancel().catch(() => {});
    }
  },
});

Deno.test({
  name:
    "8,000 sockets from one client: all but the per-address cap are refused with 503 while another client is served",
  ...sanitize,
  async fn() {
    // The documented defaults, except an idle timeout longer than this test.
    await using web = await startWeb({ idleTimeoutMs: 300_000 });
    const cap = CONNECTION_DEFAULTS.maxConnectionsPerAddress;
    const clients: { conn: Deno.TcpConn; text: string; closed: boolean }[] = [];
    const readers: Promise<void>[] = [];
    const read = async (client: (typeof clients)[number]) => {
      const decoder = new TextDecoder();
      const buffer = new Uint8Array(4096);
      try {
        for (
          let n = await client.conn.read(buffer);
          n !== null;
          n = await client.conn.read(buffer)
        ) {
          client.text += decoder.decode(buffer.subarray(0, n), { stream: true });
        }
      } catch {
        // Closed by the test at the end.
      }
      client.closed = true;
    };
    for (let batch = 0; batch < 40; batch++) {
      const opened = await Promise.all(
        Array.from({ length: 200 }, () => Deno.connect({ hostname: "127.0.0.1", port: web.port })),
      );
      for (const conn of opened) {
        const client = { conn, text: "", closed: false };
        clients.push(client);
        readers.push(read(client));
      }
    }
    assert.equal(clients.length, 8000);
    const refused = () => clients.filter((client) => client.closed);
    const deadline = Date.now() + 60_000;
    while (refused().length < 8000 - cap && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(refused().length, 8000 - cap);
    for (const { text } of refused()) {
      assert.match(text, /^HTTP\/1\.1 503 Service Unavailable\r\n/);
      assert.match(text, /\r\nretry-after: 5\r\n/);
      assert.ok(
        text.endsWith(
          `Service unavailable: too many connections from "127.0.0.1", the limit is ${cap}; retry later`,
        ),
        text,
      );
    }
    assert.equal((await web.connectionStats()).open, cap);
    // Another client is served meanwhile, and so are the accepted ones.
    const other = await RawSocket.connect(web.port, "127.0.0.2");
    await other.write("GET /ads/sneakers.svg HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const response = await other.readResponse();
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /svg/);
    other.close();
    const accepted = clients.filter((client) => !client.closed);
    assert.equal(accepted.length, cap);
    for (const { conn } of accepted) {
      await conn.write(
        new TextEncoder().encode("GET /ads/sneakers.svg HTTP/1.1\r\nHost: x\r\n\r\n"),
      );
    }
    while (
      accepted.some((client) => !client.text.startsWith("HTTP/1.1 200")) && Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(accepted.every((client) => client.text.startsWith("HTTP/1.1 200 OK\r\n")));
    for (const { conn } of accepted) conn.close();
    await Promise.all(readers);
  },
});

Deno.test({
  name:
    "live dashboards past LIVE_MAX_SOCKETS_PER_ADDRESS or LIVE_MAX_SOCKETS are refused with 503 and the reason",
  ...sanitize,
  async fn() {
    await using web = await startWeb({ liveMaxSockets: 3, liveMaxSocketsPerAddress: 2 });
    const open = async (localAddress: string) =>
      await openRawWebSocket(web.port, "/api/live", { localAddress });
    const first = await open("127.0.0.1");
    const second = await open("127.0.0.1");
    assert.equal(first.response.status, 101);
    assert.equal(second.response.status, 101);
    const third = await open("127.0.0.1");
    assert.equal(third.response.status, 503);
    assert.equal(third.response.headers.get("retry-after"), "30");
    assert.equal(
      reasonOf(third.response.body),
      'Service unavailable: 2 live dashboards are open from "127.0.0.1", the limit; close one or retry later',
    );
    const fromElsewhere = await open("127.0.0.2");
    assert.equal(fromElsewhere.response.status, 101);
    const overTotal = await open("127.0.0.3");
    assert.equal(overTotal.response.status, 503);
    assert.equal(
      reasonOf(overTotal.response.body),
      "Service unavailable: 3 live dashboards are open, the limit; retry later",
    );
    // A closed dashboard frees its place.
    first.socket.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const again = await open("127.0.0.1");
    assert.equal(again.response.status, 101);
    assert.equal((await readServerFrame(again.socket)).opcode, 1); // hello
    for (const { socket } of [second, third, fromElsewhere, overTotal, again]) socket.close();
  },
});
