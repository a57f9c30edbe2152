import assert from "node:assert/strict";
import { type ResponseEvent, ResponseScanner } from "./response_scanner.ts";

const encoder = new TextEncoder();

/** The events and where they end, scanning `text` in chunks of `size` bytes. */
function events(text: string, size: number, methods: string[] = []) {
  const queue = [...methods];
  const scanner = new ResponseScanner(() => queue[0] === "HEAD");
  const bytes = encoder.encode(text);
  const seen: [ResponseEvent, number][] = [];
  for (let start = 0; start < bytes.length; start += size) {
    const chunk = bytes.subarray(start, Math.min(bytes.length, start + size));
    let at = 0;
    while (at < chunk.length) {
      const [event, end] = scanner.scan(chunk, at, chunk.length);
      at = end;
      if (event !== "more") {
        seen.push([event, start + end]);
        queue.shift();
      }
      if (event === "upgraded") return { seen, scanner };
    }
  }
  return { seen, scanner };
}

const fixed = "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello";
const chunked = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n" +
  "5\r\nhello\r\nA;ext=1\r\n0123456789\r\n0\r\nx-trailer: 1\r\n\r\n";
const empty = "HTTP/1.1 204 No Content\r\n\r\n";

Deno.test("responses framed by length, chunks or status end where they end, in any chunking", () => {
  const stream = fixed + chunked + empty + "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
  const ends = [
    fixed.length,
    fixed.length + chunked.length,
    fixed.length + chunked.length + empty.length,
    stream.length,
  ];
  for (const size of [stream.length, 13, 1]) {
    const { seen, scanner } = events(stream, size);
    assert.deepEqual(seen, ends.map((end) => ["complete", end]), `chunks of ${size}`);
    assert.ok(scanner.idle);
  }
});

Deno.test("the response to HEAD has no body; 100 Continue is not the final response", () => {
  const head = "HTTP/1.1 200 OK\r\ncontent-length: 999\r\n\r\n";
  assert.deepEqual(events(head + fixed, 7, ["HEAD", "GET"]).seen, [
    ["complete", head.length],
    ["complete", head.length + fixed.length],
  ]);
  const interim = "HTTP/1.1 100 Continue\r\n\r\n";
  assert.deepEqual(events(interim + fixed, 5).seen, [["complete", interim.length + fixed.length]]);
});

Deno.test("a 101 stops the scan after its head: the rest is WebSocket frames", () => {
  const switching = "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n";
  const { seen } = events(switching + "\x81\x02hi", 1000);
  assert.deepEqual(seen, [["upgraded", switching.length]]);
});

Deno.test("a stream that is not HTTP is an error", () => {
  assert.throws(() => events("SSH-2.0-x\r\n\r\n", 100), /Cannot read the server's response/);
});
