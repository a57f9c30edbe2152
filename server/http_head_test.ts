import assert from "node:assert/strict";
import { type HeadResult, leadingBlankLines, readRequestHead } from "./http_head.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const PEER = "x-peer";
const options = {
  maxHeaderBytes: 256,
  peerHeader: PEER,
  peerLine: encoder.encode(`${PEER}: 10.0.0.1:5000\r\n`),
};

function read(text: string, from = 0): HeadResult {
  const bytes = encoder.encode(text);
  return readRequestHead(bytes, bytes.length, { ...options, from });
}

function head(text: string) {
  const result = read(text);
  assert.equal(result.kind, "head", JSON.stringify(result));
  return (result as Extract<HeadResult, { kind: "head" }>).head;
}

function refusal(text: string) {
  const result = read(text);
  assert.equal(result.kind, "refused", JSON.stringify(result));
  return (result as Extract<HeadResult, { kind: "refused" }>).refusal;
}

Deno.test("a request head is forwarded with the peer header after the request line", () => {
  const text = "GET /product/sneakers?i=1 HTTP/1.1\r\nHost: shop\r\nAccept: */*\r\n\r\nNEXT";
  const parsed = head(text);
  assert.equal(parsed.method, "GET");
  assert.equal(parsed.end, text.length - 4);
  assert.equal(parsed.contentLength, 0);
  assert.equal(parsed.upgrade, false);
  assert.equal(
    decoder.decode(parsed.forward),
    "GET /product/sneakers?i=1 HTTP/1.1\r\nx-peer: 10.0.0.1:5000\r\nHost: shop\r\nAccept: */*\r\n\r\n",
  );
});

Deno.test("client copies of the peer header and Sec-WebSocket-Extensions are removed", () => {
  const parsed = head(
    "GET /api/live HTTP/1.1\r\nX-Peer: 6.6.6.6:1\r\nHost: a\r\nUpgrade: websocket\r\n" +
      "Sec-WebSocket-Extensions: permessage-deflate\r\nx-peer: 7.7.7.7:2\r\n\r\n",
  );
  assert.equal(parsed.upgrade, true);
  assert.equal(
    decoder.decode(parsed.forward),
    "GET /api/live HTTP/1.1\r\nx-peer: 10.0.0.1:5000\r\nHost: a\r\nUpgrade: websocket\r\n\r\n",
  );
});

Deno.test("Content-Length frames the body; equal duplicates are accepted", () => {
  assert.equal(head("POST /order HTTP/1.1\r\nContent-Length: 42\r\n\r\n").contentLength, 42);
  assert.equal(
    head("POST /x HTTP/1.1\r\nContent-Length: 7\r\ncontent-length:  7 \r\n\r\n").contentLength,
    7,
  );
  assert.equal(head("GET / HTTP/1.0\r\n\r\n").method, "GET");
});

Deno.test("a head whose blank line has not arrived is partial, and resumes where it stopped", () => {
  const first = read("GET / HTTP/1.1\r\nHost: a\r\n");
  assert.equal(first.kind, "partial");
  const scanned = (first as { scanned: number }).scanned;
  assert.ok(scanned > 0 && scanned <= 25);
  assert.equal(read("GET / HTTP/1.1\r\nHost: a\r\n\r\n", scanned).kind, "head");
});

Deno.test("heads over the limit are refused with 431, complete or not", () => {
  const long = `GET / HTTP/1.1\r\nCookie: ${"a".repeat(300)}`;
  assert.equal(refusal(long).status, 431);
  assert.equal(refusal(`${long}\r\n\r\n`).status, 431);
  assert.match(refusal(long).message, /the limit is 256 bytes/);
});

Deno.test("ambiguous framing is refused: Transfer-Encoding 411, odd or conflicting lengths 400", () => {
  const cases: [string, number, RegExp][] = [
    ["POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 411, /Content-Length/],
    ["POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\n", 411, /Length/],
    ["POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400, /conflicting/],
    ["POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, /invalid Content-Length "-1"/],
    ["POST / HTTP/1.1\r\nContent-Length: 1,1\r\n\r\n", 400, /invalid Content-Length/],
    ["POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n", 400, /invalid Content-Length/],
    ["POST / HTTP/1.1\r\nContent-Length: 1234567890123456\r\n\r\n", 400, /invalid/],
  ];
  for (const [text, status, message] of cases) {
    const refused = refusal(text);
    assert.equal(refused.status, status, text);
    assert.match(refused.message, message, text);
  }
});

Deno.test("malformed heads are refused with 400 and the reason", () => {
  const cases: [string, RegExp][] = [
    ["GET / HTTP/1.1\nHost: a\n\n", /CRLF/],
    ["GET / HTTP/1.1\r\nHost: a\n\r\n", /CRLF/],
    ["GET  / HTTP/1.1\r\n\r\n", /malformed request line/],
    ["GET /a b HTTP/1.1\r\n\r\n", /malformed request line/],
    ["G(T / HTTP/1.1\r\n\r\n", /malformed request line/],
    ["GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", /folded/],
    ["GET / HTTP/1.1\r\nno colon here\r\n\r\n", /without a colon/],
    ["GET / HTTP/1.1\r\nHost : a\r\n\r\n", /invalid header name "host "/],
    ["GET / HTTP/1.1\r\nX-A: a\x00b\r\n\r\n", /control character in header "x-a"/],
    ["GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n", /control character/],
  ];
  for (const [text, message] of cases) {
    const refused = refusal(text);
    assert.equal(refused.status, 400, text);
    assert.match(refused.message, message, text);
  }
});

Deno.test("other versions are refused with 505, CONNECT with 405", () => {
  assert.equal(refusal("PRI * HTTP/2.0\r\n\r\n").status, 505);
  assert.equal(refusal("GET / HTTP/0.9\r\n\r\n").status, 505);
  assert.equal(refusal("CONNECT a:443 HTTP/1.1\r\n\r\n").status, 405);
});

Deno.test("blank lines before a request are skipped", () => {
  const bytes = encoder.encode("\r\n\r\nGET /");
  assert.equal(leadingBlankLines(bytes, bytes.length), 4);
  assert.equal(leadingBlankLines(bytes, 1), 0);
});
