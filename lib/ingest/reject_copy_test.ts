import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { copyBytes, copyReject, REJECT_COPY_LIMITS } from "./reject_copy.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

Deno.test("copyReject keeps a small message whole, with its size and hash", () => {
  const value = bytes('{"product":"toys"}');
  const key = bytes("c81e728d9d4c2f636f067f89cc14862c");
  const copy = copyReject({ offset: "1", key, value, headers: { trace: "é", bin: bytes("x") } });
  assert.equal(copy.value, value);
  assert.equal(copy.key, key);
  assert.equal(copy.size, value.length);
  assert.equal(copy.sha256, sha256(value));
  assert.deepEqual(copy.headers, [["trace", "é"], ["bin", bytes("x")]]);
  assert.deepEqual(copy.truncated, []);
  const empty = copyReject({ offset: "2", value: null });
  assert.deepEqual(empty, {
    value: null,
    size: 0,
    sha256: null,
    key: null,
    headers: [],
    truncated: [],
  });
});

Deno.test("copyReject cuts a 1 MiB value to 64 KiB and hashes the whole", () => {
  const value = new Uint8Array(1024 * 1024);
  for (let i = 0; i < value.length; i++) value[i] = i % 251;
  const copy = copyReject({ offset: "1", value });
  assert.equal(copy.value?.length, REJECT_COPY_LIMITS.valueBytes);
  assert.deepEqual(copy.value, value.subarray(0, REJECT_COPY_LIMITS.valueBytes));
  assert.equal(copy.size, 1024 * 1024);
  assert.equal(copy.sha256, sha256(value));
  assert.notEqual(copy.sha256, sha256(copy.value!));
  assert.deepEqual(copy.truncated, ["value"]);
  // Exactly the cap is kept whole.
  const edge = new Uint8Array(REJECT_COPY_LIMITS.valueBytes);
  assert.deepEqual(copyReject({ offset: "2", value: edge }).truncated, []);
});

Deno.test("copyReject bounds a huge key and huge or many headers", () => {
  const key = new Uint8Array(1024 * 1024).fill(0x6b);
  const headers: Record<string, unknown> = {
    small: "ok",
    huge: new Uint8Array(1024 * 1024).fill(0x68),
    wide: "é".repeat(1000),
    ["n".repeat(REJECT_COPY_LIMITS.headerNameBytes + 1)]: "dropped: name too long",
    repeated: [bytes("a"), bytes("b")],
  };
  for (let i = 0; i < 1000; i++) headers[`h${i}`] = "v".repeat(100);
  const copy = copyReject({ offset: "1", key, value: bytes("{}"), headers });
  assert.equal(copy.key?.length, REJECT_COPY_LIMITS.keyBytes);
  assert.deepEqual(copy.truncated, ["key", "headers"]);
  const names = copy.headers.map(([name]) => name);
  assert.deepEqual(names.slice(0, 5), ["small", "huge", "wide", "repeated", "repeated"]);
  assert.ok(names.length <= REJECT_COPY_LIMITS.headerCount);
  assert.ok(!names.some((name) => name.startsWith("nnn")));
  assert.equal((copy.headers[1][1] as Uint8Array).length, REJECT_COPY_LIMITS.headerValueBytes);
  // A string cut in bytes becomes bytes (the cut may split "é").
  assert.ok(copy.headers[2][1] instanceof Uint8Array);
  assert.equal(copy.headers[2][1].length, REJECT_COPY_LIMITS.headerValueBytes);
  let total = 0;
  for (const [name, value] of copy.headers) {
    total += bytes(name).length + (typeof value === "string" ? bytes(value).length : value.length);
  }
  assert.ok(total <= REJECT_COPY_LIMITS.headerBytes, `headers take ${total} bytes`);
  // The whole copy stays far below a broker's default 1 MiB limit.
  assert.ok(copyBytes(copy) < 100 * 1024, `copy of ${copyBytes(copy)} bytes`);
  const worst = copyReject({
    offset: "2",
    key,
    value: new Uint8Array(10 * 1024 * 1024),
    headers: Object.fromEntries(
      Array.from({ length: 100 }, (_, i) => [`x${i}`, new Uint8Array(100_000)]),
    ),
  });
  assert.ok(copyBytes(worst) < 80 * 1024, `worst copy of ${copyBytes(worst)} bytes`);
});
