import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { sign, verify } from "./signing.ts";

const secret = new TextEncoder().encode("test-secret-0123456789abcdef");

Deno.test("a signature is HMAC-SHA256 over the parts joined by newlines, first 128 bits", () => {
  const parts = ["impression", "0123456789abcdef", "sneakers", "t0abc", "a".repeat(32)];
  const expected = createHmac("sha256", secret).update(parts.join("\n")).digest("hex").slice(0, 32);
  assert.equal(sign(secret, parts), expected);
  // The same again (the keyed state is cloned, never consumed), and per secret.
  assert.equal(sign(secret, parts), expected);
  const other = new TextEncoder().encode("another-secret-0123456789");
  assert.equal(
    sign(other, parts),
    createHmac("sha256", other).update(parts.join("\n")).digest("hex").slice(0, 32),
  );
  assert.equal(
    sign(secret, ["é", ""]),
    createHmac("sha256", secret).update("é\n").digest("hex").slice(0, 32),
  );
});

Deno.test("verify accepts only the exact lower-case signature of the same parts", () => {
  const signature = sign(secret, ["visitor", "b".repeat(32)]);
  assert.equal(verify(secret, ["visitor", "b".repeat(32)], signature), true);
  assert.equal(verify(secret, ["visitor", "c".repeat(32)], signature), false);
  assert.equal(verify(secret, ["visitor", "b".repeat(32)], signature.toUpperCase()), false);
  assert.equal(verify(secret, ["visitor", "b".repeat(32)], signature.slice(1)), false);
  assert.equal(verify(secret, ["visitor", "b".repeat(32)], ""), false);
  assert.throws(() => sign(secret, ["a\nb"]), /Cannot sign "a\\nb": it has a newline/);
});
