// The connection guard in front of a small Deno.serve handler, over raw sockets: what a
// client that breaks the rules is answered (status, headers, body, close), and that a
// client that keeps them gets through unchanged.
import assert from "node:assert/strict";
import { type GuardedServeOptions, type GuardedServer, serveGuarded } from "./guarded_serve.ts";
import {
  clientFrame,
  clientFrameHeader,
  openRawWebSocket,
  RawSocket,
  readServerFrame,
} from "../tests/support/raw_socket.ts";

const LIMITS = {
  hostname: "127.0.0.1",
  port: 0,
  maxConnections: 20,
  maxConnectionsPerAddress: 5,
  headerTimeoutMs: 300,
  idleTimeoutMs: 600,
  maxHeaderBytes: 2048,
  maxWebSocketMessageBytes: 4096,
};

/** What the handler saw. */
interface Seen {
  peers: string[];
  forged: (string | null)[];
  bodies: string[];
  messages: number[];
  socketClosed?: Promise<number>;
}

async function start(
  options: Partial<GuardedServeOptions> = {},
): Promise<{ server: GuardedServer; seen: Seen; port: number } & AsyncDisposable> {
  const seen: Seen = { peers: [], forged: [], bodies: [], messages: [] };
  const server = await serveGuarded({ ...LIMITS, ...options }, async (req, info) => {
    const url = new URL(req.url);
    if (url.pathname === "/ws") {
      const { socket, response } = Deno.upgradeWebSocket(req);
      socket.onmessage = (event) => {
        seen.messages.push(event.data.length);
        socket.send(`got ${event.data.length}`);
      };
      seen.socketClosed = new Promise((resolve) => socket.onclose = (e) => resolve(e.code));
      return response;
    }
    seen.peers.push(`${info.remoteAddr.hostname}`);
    seen.forged.push(req.headers.get("x-forged"));
    if (req.body) seen.bodies.push(await req.text());
    if (url.pathname === "/slow") await new Promise((resolve) => setTimeout(resolve, 1_000));
    return new Response(`hello ${info.remoteAddr.hostname} ${url.pathname}`);
  });
  return {
    server,
    seen,
    port: server.addr.port,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

Deno.test("requests pass through unchanged; the handler sees the TCP peer, never a client's copy", async () => {
  await using app = await start();
  const client = await RawSocket.connect(app.port, "127.0.0.2");
  // Two pipelined requests, one with a body, and a forged peer header.
  await client.write(
    "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nX-Conn-Guard-Peer: 6.6.6.6:1\r\n\r\nhello" +
      "GET /b HTTP/1.1\r\nHost: x\r\nx-forged: kept\r\n\r\n",
  );
  const first = await client.readResponse();
  const second = await client.readResponse();
  assert.equal(first.status, 200);
  assert.equal(first.body, "hello 127.0.0.2 /a");
  assert.equal(second.body, "hello 127.0.0.2 /b");
  assert.deepEqual(app.seen.bodies, ["hello"]);
  assert.deepEqual(app.seen.forged, [null, "kept"]);
  // fetch, HEAD and a streamed body work as without the guard.
  const response = await fetch(`http://127.0.0.1:${app.port}/c`, { method: "HEAD" });
  assert.equal(response.status, 200);
  assert.equal(await response.text(), "");
  client.close();
});

Deno.test("a client that half-closes after its request still gets the response", async () => {
  await using app = await start();
  for (const path of ["/", "/slow"]) {
    const client = await RawSocket.connect(app.port);
    await client.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
    client.end();
    assert.equal((await client.readResponse(5_000)).body, `hello 127.0.0.1 ${path}`);
    await client.waitClosed();
    client.close();
  }
  assert.equal((await app.server.stats()).open, 0);
});

Deno.test("a request head sent slowly gets 408 after the header timeout, and is closed", async () => {
  await using app = await start();
  const client = await RawSocket.connect(app.port);
  await client.write("GET / HTTP/1.1\r\n");
  // A header line every 100 ms would go on for ever; the deadline runs from the first byte.
  const trickle = setInterval(() => client.write("X-A: b\r\n"), 100);
  try {
    const response = await client.readResponse(5_000);
    assert.equal(response.status, 408);
    assert.equal(response.headers.get("connection"), "close");
    assert.equal(response.body, "Request timeout: send the request head within 300 ms");
    await client.waitClosed(5_000);
  } finally {
    clearInterval(trickle);
    client.close();
  }
  assert.deepEqual(app.seen.peers, [], "the server never saw the request");
  assert.equal((await app.server.stats()).timedOut, 1);
});

Deno.test("an idle connection is closed after the idle timeout, but not while a response is awaited", async () => {
  await using app = await start();
  const silent = await RawSocket.connect(app.port);
  const kept = await RawSocket.connect(app.port);
  await kept.write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  // The response takes 1 s, longer than the idle timeout (600 ms): the wait is the server's.
  assert.equal((await kept.readResponse(5_000)).status, 200);
  assert.ok(silent.closed, "a connection that never sent a byte is closed");
  await kept.waitClosed(5_000); // idle after its response
  silent.close();
  kept.close();
});

Deno.test("a request head over the limit gets 431, a chunked body 411, bad framing 400", async () => {
  await using app = await start();
  const cases: [string, number, RegExp][] = [
    [`GET / HTTP/1.1\r\nCookie: ${"a".repeat(3000)}\r\n\r\n`, 431, /the limit is 2048 bytes/],
    [`GET / HTTP/1.1\r\nCookie: ${"a".repeat(3000)}`, 431, /the limit is 2048 bytes/],
    [
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
      411,
      /Content-Length, not Transfer-Encoding/,
    ],
    ["POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400, /conflicting/],
    ["GET / HTTP/1.1\nHost: x\n\n", 400, /CRLF/],
    ["PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, /HTTP\/2.0/],
  ];
  for (const [request, status, message] of cases) {
    const client = await RawSocket.connect(app.port);
    await client.write(request);
    const response = await client.readResponse();
    assert.equal(response.status, status, request.slice(0, 40));
    assert.match(response.body, message);
    await client.waitClosed();
    client.close();
  }
  assert.deepEqual(app.seen.peers, [], "no refused request reached the server");
});

Deno.test("a refused request after a good one is answered after the good one's response", async () => {
  await using app = await start();
  const client = await RawSocket.connect(app.port);
  await client.write(
    "GET /slow HTTP/1.1\r\nHost: x\r\n\r\nPOST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
  );
  assert.equal((await client.readResponse(5_000)).body, "hello 127.0.0.1 /slow");
  assert.equal((await client.readResponse(5_000)).status, 411);
  client.close();
});

Deno.test("connections over the per-address cap get 503 with Retry-After; other addresses are served", async () => {
  await using app = await start();
  const held: RawSocket[] = [];
  for (let i = 0; i < 5; i++) held.push(await RawSocket.connect(app.port));
  const refused = await RawSocket.connect(app.port);
  const response = await refused.readResponse();
  assert.equal(response.status, 503);
  assert.equal(response.headers.get("retry-after"), "5");
  assert.equal(
    response.body,
    'Service unavailable: too many connections from "127.0.0.1", the limit is 5; retry later',
  );
  await refused.waitClosed();
  const other = await RawSocket.connect(app.port, "127.0.0.2");
  await other.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  assert.equal((await other.readResponse()).body, "hello 127.0.0.2 /");
  // A held connection that closes frees its place.
  held.pop()!.close();
  await new Promise((resolve) => setTimeout(resolve, 100));
  const again = await RawSocket.connect(app.port);
  await again.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  assert.equal((await again.readResponse()).status, 200);
  for (const socket of [...held, refused, other, again]) socket.close();
});

Deno.test("the total cap holds for every address; shared peers only count against it", async () => {
  await using app = await start({
    maxConnections: 4,
    maxConnectionsPerAddress: 1,
    isSharedPeer: (address) => address === "127.0.0.1",
  });
  const held: RawSocket[] = [];
  for (let i = 0; i < 3; i++) held.push(await RawSocket.connect(app.port)); // a proxy: 3 > 1
  held.push(await RawSocket.connect(app.port, "127.0.0.2"));
  const refused = await RawSocket.connect(app.port, "127.0.0.3");
  const response = await refused.readResponse();
  assert.equal(response.status, 503);
  assert.match(response.body, /the server has 4 connections open, its limit/);
  for (const socket of [...held, refused]) socket.close();
});

Deno.test("a WebSocket message over the limit is refused at its frame header with 1009", async () => {
  await using app = await start();
  const { socket, response } = await openRawWebSocket(app.port, "/ws", {
    headers: { "Sec-WebSocket-Extensions": "permessage-deflate" },
  });
  assert.equal(response.status, 101);
  // Small messages, fragmented ones within the limit and a ping reach the server.
  await socket.write(clientFrame(1, "hello"));
  assert.equal(new TextDecoder().decode((await readServerFrame(socket)).payload), "got 5");
  await socket.write(clientFrame(9, "ping"));
  assert.equal((await readServerFrame(socket)).opcode, 10); // the server's pong
  // A frame claiming 63 MiB: refused before a byte of its payload is forwarded.
  await socket.write(clientFrameHeader(2, 63 * 1024 * 1024));
  await socket.write(new Uint8Array(256 * 1024));
  const close = await readServerFrame(socket);
  assert.equal(close.opcode, 8);
  assert.equal(close.code, 1009);
  assert.equal(close.reason, "Message too big: the limit is 4096 bytes");
  await socket.waitClosed();
  socket.close();
  await app.seen.socketClosed;
  assert.deepEqual(app.seen.messages, [5]);
  assert.equal((await app.server.stats()).refusedFrames, 1);
});

Deno.test("in a worker the guard behaves the same", async () => {
  await using app = await start({
    worker: { url: new URL("./guard_worker_entry.ts", import.meta.url) },
  });
  const client = await RawSocket.connect(app.port, "127.0.0.2");
  await client.write("GET /w HTTP/1.1\r\nHost: x\r\n\r\n");
  assert.equal((await client.readResponse()).body, "hello 127.0.0.2 /w");
  await client.write("GET / HTTP/1.1\r\n");
  assert.equal((await client.readResponse(5_000)).status, 408);
  const { socket } = await openRawWebSocket(app.port, "/ws");
  await socket.write(clientFrame(1, "x".repeat(5000)));
  assert.equal((await readServerFrame(socket)).code, 1009);
  const { open: _, ...stats } = await app.server.stats();
  assert.deepEqual(stats, {
    refusedConnections: 0,
    refusedRequests: 0,
    timedOut: 1,
    refusedFrames: 1,
  });
  client.close();
  socket.close();
  // Shutting down twice (a failed test's cleanup after a restart) neither throws nor hangs.
  await app.server.shutdown();
  await app.server.shutdown();
});

Deno.test("a port in use is reported as Deno.errors.AddrInUse, in a worker too", async () => {
  await using app = await start();
  await assert.rejects(start({ port: app.port }), Deno.errors.AddrInUse);
  await assert.rejects(
    start({
      port: app.port,
      worker: { url: new URL("./guard_worker_entry.ts", import.meta.url) },
    }),
    Deno.errors.AddrInUse,
  );
});

Deno.test("a guard worker that dies after starting is reported to onWorkerFailure", async () => {
  let reported: (error: Error) => void;
  const failure = new Promise<Error>((resolve) => reported = resolve);
  await using _app = await start({
    worker: { url: new URL("./testdata/workers/failing_guard.ts", import.meta.url) },
    onWorkerFailure: (error) => reported(error),
  });
  const error = await failure;
  assert.match(error.message, /^The connection guard's worker failed: .*boom in the guard/);
});
