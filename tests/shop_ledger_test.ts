// Consumed impressions in the real Postgres: each use of an impression is granted
// exactly once, under concurrency, across two ledgers (as two web processes would be),
// and inside one group-committed batch.
import assert from "node:assert/strict";
import { connect } from "../lib/db/client.ts";
import { consumeImpressions, type Impression, ImpressionLedger } from "../lib/shop/impressions.ts";
import { createTestDatabase } from "./support/services.ts";

const impression = (nonce: string): Impression => ({
  nonce,
  product: "sneakers",
  issuedAt: Date.now(),
});

Deno.test("each use of an impression is granted once, across concurrent pages and processes", async () => {
  await using db = await createTestDatabase("shop_ledger");
  const otherPool = connect(db.url, { applicationName: "ecommerce-test-2" });
  try {
    const first = new ImpressionLedger(db.sql);
    const second = new ImpressionLedger(otherPool);
    const shared = impression("00000000000000aa");
    const attempts = await Promise.all(
      Array.from(
        { length: 40 },
        (_, i) =>
          (i % 2 ? first : second).consume(shared, i % 4 < 2 ? ["show"] : ["show", "click"]),
      ),
    );
    const shows = attempts.filter((uses) => uses.has("show")).length;
    const clicks = attempts.filter((uses) => uses.has("click")).length;
    assert.equal(shows, 1);
    assert.equal(clicks, 1);

    const distinct = await Promise.all(
      Array.from(
        { length: 50 },
        (_, i) => first.consume(impression(i.toString(16).padStart(16, "0")), ["click"]),
      ),
    );
    assert.ok(distinct.every((uses) => uses.has("click")));

    // One statement holding the same use twice grants it to the first request only.
    const batch = await consumeImpressions(db.sql, [
      { impression: impression("00000000000000bb"), uses: ["show", "click"] },
      { impression: impression("00000000000000bb"), uses: ["show"] },
    ]);
    assert.deepEqual(batch.map((uses) => [...uses].sort()), [["click", "show"], []]);
    const [{ count }] = await db.sql`select count(*)::int as count from consumed_impressions`;
    assert.equal(count, 2 + 50 + 2);
  } finally {
    await otherPool.end({ timeout: 5 });
  }
});
