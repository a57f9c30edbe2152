import assert from "node:assert/strict";
import { encodeEvent, newId } from "../core/event.ts";
import { randomEvent } from "../../tests/support/ingest.ts";
import { splitBatch } from "./batch.ts";
import { copyReject } from "./reject_copy.ts";
import { DLQ_HEADERS, dlqMessages } from "./dlq.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("splitBatch keeps valid events in offset order and every reject with its reason", () => {
  const a = randomEvent();
  const b = randomEvent();
  const messages = [
    { offset: "10", value: bytes(encodeEvent(a)) },
    { offset: "11", value: bytes("{nope") },
    { offset: "12", value: null },
    { offset: "13", value: bytes(encodeEvent(b)) },
    { offset: "14", value: bytes(JSON.stringify({ ...a, product: "toys" })) },
  ];
  const { events, rejects } = splitBatch(messages, {});
  assert.deepEqual(events, [a, b]);
  assert.deepEqual(rejects.map((r) => [r.offset, r.reason]), [
    ["11", "not JSON"],
    ["12", "empty message"],
    ["14", 'unknown product "toys"'],
  ]);
  assert.equal(rejects[0].message, messages[1]);
  assert.deepEqual(rejects[0].copy, copyReject(messages[1]));
});

Deno.test("splitBatch rejects events dated after its bound, and takes those at the bound", () => {
  const now = Date.UTC(2026, 0, 2, 3, 4, 5);
  const at = (ms: number) => ({ ...randomEvent(), time: new Date(ms).toISOString() });
  const edge = at(now + 86_400_000);
  const late = at(now + 86_400_001);
  const messages = [
    { offset: "1", value: bytes(encodeEvent(edge)) },
    { offset: "2", value: bytes(encodeEvent(late)) },
    { offset: "3", value: bytes(JSON.stringify({ ...edge, time: "9999-12-31 23:59:59" })) },
  ];
  const { events, rejects } = splitBatch(messages, { notAfter: now + 86_400_000 });
  assert.deepEqual(events, [edge]);
  assert.deepEqual(rejects.map((r) => r.reason), [
    `time in the future "${late.time}"`,
    'time in the future "9999-12-31 23:59:59"',
  ]);
});

Deno.test("dlqMessages keep a small message's key, bytes and headers and add reason, source, size and hash", () => {
  const value = bytes("{nope");
  const key = bytes(newId());
  const message = {
    offset: "42",
    key,
    value,
    headers: { trace: "abc", bin: bytes("x"), twice: [bytes("1"), bytes("2")] },
  };
  const [dlq] = dlqMessages("shop", 3, [{
    offset: "42",
    reason: "not JSON",
    message,
    copy: copyReject(message),
  }], new Date("2026-01-02T03:04:05.000Z"));
  assert.equal(dlq.key, key);
  assert.equal(dlq.value, value);
  assert.deepEqual(dlq.headers, {
    trace: "abc",
    bin: bytes("x"),
    twice: [bytes("1"), bytes("2")],
    [DLQ_HEADERS.reason]: "not JSON",
    [DLQ_HEADERS.topic]: "shop",
    [DLQ_HEADERS.partition]: "3",
    [DLQ_HEADERS.offset]: "42",
    [DLQ_HEADERS.rejectedAt]: "2026-01-02T03:04:05.000Z",
    [DLQ_HEADERS.size]: "5",
    // sha256("{nope")
    [DLQ_HEADERS.sha256]: "26b8317cfd9d065b7325a6ff3e6260dc62890ecf626448028a14a23fd6c1e04c",
  });
});

Deno.test("dlqMessages cap a huge message and say so, and never pass on a forged size or hash", () => {
  const value = new Uint8Array(1024 * 1024 + 7).fill(0x61);
  const message = {
    offset: "9",
    key: new Uint8Array(5000).fill(0x6b),
    value,
    headers: {
      [DLQ_HEADERS.sha256]: "0".repeat(64),
      [DLQ_HEADERS.truncated]: "nothing",
      big: new Uint8Array(1024 * 1024),
    },
  };
  const [dlq] = dlqMessages("shop", 0, [{
    offset: "9",
    reason: "message larger than 64 KiB",
    message,
    copy: copyReject(message),
  }]);
  assert.deepEqual(dlq.value, value.subarray(0, 64 * 1024));
  assert.equal(dlq.key?.length, 1024);
  assert.equal(dlq.headers[DLQ_HEADERS.size], String(value.length));
  assert.equal(dlq.headers[DLQ_HEADERS.sha256], copyReject(message).sha256);
  assert.notEqual(dlq.headers[DLQ_HEADERS.sha256], "0".repeat(64));
  assert.equal(dlq.headers[DLQ_HEADERS.truncated], "value,key,headers");
  assert.equal((dlq.headers.big as Uint8Array).length, 1024);
});
