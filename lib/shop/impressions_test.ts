// Impression ids: signed for one visitor, unaltered, unexpired.
import assert from "node:assert/strict";
import { IMPRESSION_TTL_MS, issueImpression, verifyImpression } from "./impressions.ts";

const secret = new TextEncoder().encode("test-secret-0123456789abcdef");
const userId = "0123456789abcdef0123456789abcdef";

Deno.test("an impression id verifies only for its visitor, unaltered and unexpired", () => {
  const now = Date.UTC(2026, 0, 1);
  const id = issueImpression(secret, { product: "sneakers", userId, now });
  assert.match(id, /^[0-9a-f]{16}\.sneakers\.[0-9a-z]+\.[0-9a-f]{32}$/);
  const ok = verifyImpression(secret, id, { userId, now: now + 5_000 });
  assert.ok(ok.ok);
  assert.equal(ok.value.product, "sneakers");
  assert.equal(ok.value.issuedAt, now);

  const reason = (value: unknown, options: { userId?: string; now?: number } = {}) => {
    const result = verifyImpression(secret, value, { userId, now, ...options });
    return result.ok ? "accepted" : result.reason;
  };
  assert.equal(reason(undefined), "missing impression id");
  assert.equal(reason(42), "missing impression id");
  assert.equal(reason("abc"), 'malformed impression id "abc"');
  assert.equal(
    reason(id.replace("sneakers", "clothes")),
    "impression id not signed by this server for this visitor",
  );
  assert.equal(
    reason(id.replace("sneakers", "toys")),
    `unknown product in impression id ${JSON.stringify(id.replace("sneakers", "toys"))}`,
  );
  assert.equal(
    reason(id, { userId: "f".repeat(32) }),
    "impression id not signed by this server for this visitor",
  );
  assert.equal(
    verifyImpression(secret, id, { userId: undefined, now }).ok,
    false,
  );
  const other = new TextEncoder().encode("another-secret-0123456789");
  assert.equal(verifyImpression(other, id, { userId, now }).ok, false);
  assert.equal(reason(id, { now: now + IMPRESSION_TTL_MS + 1000 }), "impression id expired");
  assert.equal(reason(id, { now: now - 120_000 }), "impression id issued in the future");
});
