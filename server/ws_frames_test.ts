import assert from "node:assert/strict";
import { CLOSE_PROTOCOL_ERROR, CLOSE_TOO_BIG, closeFrame, FrameScanner } from "./ws_frames.ts";

/** A frame's header, masked (as from a client) unless `masked` is false. */
function header(opcode: number, length: number, { fin = true, masked = true } = {}): number[] {
  const bytes = [(fin ? 0x80 : 0) | opcode];
  const mask = masked ? 0x80 : 0;
  if (length < 126) bytes.push(mask | length);
  else if (length < 65536) bytes.push(mask | 126, length >> 8, length & 0xff);
  else {
    bytes.push(mask | 127);
    const high = Math.floor(length / 2 ** 32);
    const low = length >>> 0;
    bytes.push(high >>> 24, (high >> 16) & 0xff, (high >> 8) & 0xff, high & 0xff);
    bytes.push(low >>> 24, (low >> 16) & 0xff, (low >> 8) & 0xff, low & 0xff);
  }
  if (masked) bytes.push(1, 2, 3, 4);
  return bytes;
}

function frame(opcode: number, length: number, flags = {}): number[] {
  return [...header(opcode, length, flags), ...new Array(length).fill(7)];
}

function scanAll(scanner: FrameScanner, bytes: number[], chunkSize = bytes.length) {
  for (let at = 0; at < bytes.length; at += chunkSize) {
    const chunk = Uint8Array.from(bytes.slice(at, at + chunkSize));
    const refusal = scanner.scan(chunk, chunk.length);
    if (refusal) return { ...refusal, offset: at + refusal.offset };
  }
  return undefined;
}

Deno.test("client frames within the limit pass, in any chunking", () => {
  const stream = [
    ...frame(1, 10),
    ...frame(9, 125), // ping
    ...frame(2, 4096),
    ...frame(1, 2000, { fin: false }),
    ...frame(0, 2096), // 4096 in all
    ...frame(8, 2), // close
  ];
  for (const size of [stream.length, 1000, 7, 1]) {
    const scanner = new FrameScanner({ maxMessageBytes: 4096 });
    assert.equal(scanAll(scanner, stream, size), undefined, `chunks of ${size}`);
    assert.ok(scanner.atBoundary);
  }
});

Deno.test("a frame over the limit is refused at its header with 1009", () => {
  const scanner = new FrameScanner({ maxMessageBytes: 4096 });
  const stream = [...frame(1, 3), ...header(2, 63 * 1024 * 1024)];
  const refusal = scanAll(scanner, stream);
  assert.deepEqual(refusal, {
    code: CLOSE_TOO_BIG,
    reason: "Message too big: the limit is 4096 bytes",
    offset: 9,
  });
});

Deno.test("a header split across chunks is refused at offset 0 of the chunk that completes it", () => {
  const scanner = new FrameScanner({ maxMessageBytes: 100 });
  const bytes = header(2, 2 ** 40);
  assert.equal(scanner.scan(Uint8Array.from(bytes.slice(0, 3)), 3), undefined);
  const rest = Uint8Array.from(bytes.slice(3));
  assert.equal(scanner.scan(rest, rest.length)?.offset, 0);
});

Deno.test("fragments of one message count together", () => {
  const scanner = new FrameScanner({ maxMessageBytes: 4096 });
  const stream = [
    ...frame(1, 3000, { fin: false }),
    ...frame(9, 5), // a ping between fragments does not reset the count
    ...frame(0, 1000, { fin: false }),
    ...header(0, 97),
  ];
  assert.equal(scanAll(scanner, stream)?.code, CLOSE_TOO_BIG);
});

Deno.test("unmasked frames and long or fragmented control frames are protocol errors", () => {
  for (
    const bytes of [
      header(1, 5, { masked: false }),
      header(9, 126),
      header(8, 2, { fin: false }),
    ]
  ) {
    const scanner = new FrameScanner({ maxMessageBytes: 4096 });
    assert.equal(scanAll(scanner, bytes)?.code, CLOSE_PROTOCOL_ERROR, JSON.stringify(bytes));
  }
});

Deno.test("without limits the scanner finds where the current server frame ends", () => {
  const scanner = new FrameScanner();
  const first = frame(1, 300, { masked: false });
  const second = frame(1, 20, { masked: false });
  const chunk = Uint8Array.from([...first.slice(0, 100)]);
  assert.equal(scanner.scan(chunk, chunk.length), undefined);
  assert.equal(scanner.atBoundary, false);
  const rest = Uint8Array.from([...first.slice(100), ...second]);
  const end = scanner.boundary(rest, rest.length);
  assert.equal(end, first.length - 100);
  assert.ok(scanner.atBoundary);
  assert.equal(scanner.boundary(rest, rest.length), 0);
});

Deno.test("a close frame carries the code and the reason", () => {
  const bytes = closeFrame(1009, "Message too big");
  assert.deepEqual([...bytes.subarray(0, 4)], [0x88, 17, 0x03, 0xf1]);
  assert.equal(new TextDecoder().decode(bytes.subarray(4)), "Message too big");
  assert.equal(closeFrame(1009, "x".repeat(500)).length, 4 + 123);
});
