import assert from "node:assert/strict";
import { encodeEvent, newId } from "../event.ts";
import { randomEvent } from "../../tests/ingest_support.ts";
import { splitBatch } from "./batch.ts";
import { DLQ_HEADERS, dlqMessages } from "./dlq.ts";
import { describeError, RetryAborted, retryWithBackoff } from "./retry.ts";
import { isConnectionError } from "./pool.ts";
import { isClosedSocketWrite } from "./postgres_guard.ts";

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
  const { events, rejects } = splitBatch(messages);
  assert.deepEqual(events, [a, b]);
  assert.deepEqual(rejects.map((r) => [r.offset, r.reason]), [
    ["11", "not JSON"],
    ["12", "empty message"],
    ["14", 'unknown product "toys"'],
  ]);
  assert.equal(rejects[0].message, messages[1]);
});

Deno.test("dlqMessages keep the original key, bytes and headers and add the reason and source", () => {
  const value = bytes("{nope");
  const key = bytes(newId());
  const [message] = dlqMessages("shop", 3, [{
    offset: "42",
    reason: "not JSON",
    message: { offset: "42", key, value, headers: { trace: "abc", bin: bytes("x") } },
  }], new Date("2026-01-02T03:04:05.000Z"));
  assert.equal(message.key, key);
  assert.equal(message.value, value);
  assert.deepEqual(message.headers, {
    trace: "abc",
    bin: bytes("x"),
    [DLQ_HEADERS.reason]: "not JSON",
    [DLQ_HEADERS.topic]: "shop",
    [DLQ_HEADERS.partition]: "3",
    [DLQ_HEADERS.offset]: "42",
    [DLQ_HEADERS.rejectedAt]: "2026-01-02T03:04:05.000Z",
  });
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
    const code of ["CONNECTION_CLOSED", "ECONNREFUSED", "57P01", "08006", "TRANSACTION_TIMEOUT"]
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
