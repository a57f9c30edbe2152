import assert from "node:assert/strict";
import { encodeEvent, newId } from "../core/event.ts";
import { randomEvent } from "../../tests/support/ingest.ts";
import { splitBatch } from "./batch.ts";
import { copyReject } from "./reject_copy.ts";
import { DLQ_HEADERS, dlqMessages } from "./dlq.ts";
import { describeError, RetryAborted, retryWithBackoff } from "../core/retry.ts";
import { isConnectionError } from "../db/pool.ts";
import { isClosedSocketWrite } from "../db/guard.ts";

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

Deno.test("retryWithBackoff retries until success, reporting each failure", async () => {
  let calls = 0;
  const seen: number[] = [];
  const result = await retryWithBackoff(() => {
    calls++;
    if (calls < 3) return Promise.reject(new Error(`boom ${calls}`));
    return Promise.resolve("done");
  }, { initialDelayMs: 1, onRetry: (_error, attempt) => void seen.push(attempt) });
  assert.equal(result, "done");
  assert.deepEqual(seen, [1, 2]);
});

Deno.test("retryWithBackoff stops with RetryAborted when told to, keeping the cause", async () => {
  const cause = Object.assign(new Error("Connection refused"), { code: "ECONNREFUSED" });
  const error = await retryWithBackoff(() => Promise.reject(cause), {
    initialDelayMs: 1,
    shouldStop: () => true,
  }).catch((e) => e);
  assert.ok(error instanceof RetryAborted);
  assert.equal(error.cause, cause);
  assert.equal(describeError(cause), "Connection refused (ECONNREFUSED)");
});

Deno.test("isConnectionError tells lost connections from statement errors", () => {
  for (
    const code of ["CONNECTION_CLOSED", "ECONNREFUSED", "57P01", "08006", "TIMEOUT"]
  ) {
    assert.ok(isConnectionError({ code }), code);
  }
  for (const code of ["23505", "40P01", "22007", undefined]) {
    assert.ok(!isConnectionError({ code }), String(code));
  }
  assert.ok(!isConnectionError(null));
});

Deno.test("isClosedSocketWrite matches only postgres.js's closed-socket write", () => {
  const error = new TypeError("Cannot read properties of null (reading 'write')");
  error.stack = `${error.message}\n    at nextWrite (file:///x/node_modules/.deno/postgres@3.4.9/` +
    `node_modules/postgres/src/connection.js:255:22)`;
  assert.ok(isClosedSocketWrite(error));
  const elsewhere = new TypeError(error.message);
  elsewhere.stack = `${error.message}\n    at mine (file:///x/lib/thing.ts:1:1)`;
  assert.ok(!isClosedSocketWrite(elsewhere));
  assert.ok(!isClosedSocketWrite(new Error("other")));
});
