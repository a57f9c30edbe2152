// Used form tokens in the real Postgres: each token is claimed by one order only,
// under concurrency, across two ledgers (as two web processes would be), inside one
// group-committed batch, and again after a released (never sent) order.
import assert from "node:assert/strict";
import { connect } from "../db/client.ts";
import { newId } from "../core/event.ts";
import { claimFormTokens, FormTokenLedger } from "./form_token_ledger.ts";
import { createTestDatabase } from "../../tests/support/services.ts";

const token = (nonce: string) => ({ nonce, issuedAt: Date.now() });

Deno.test("a form token places one order, across concurrent posts and processes", async () => {
  await using db = await createTestDatabase("form_tokens");
  const otherPool = connect(db.url, { applicationName: "ecommerce-test-2" });
  try {
    const first = new FormTokenLedger(db.sql);
    const second = new FormTokenLedger(otherPool);
    const shared = token("00000000000000aa");
    const claims = Array.from({ length: 40 }, () => ({
      token: shared,
      orderId: newId(),
      product: "sneakers" as const,
    }));
    const results = await Promise.all(
      claims.map((claim, i) => (i % 2 ? first : second).claim(claim)),
    );
    const winners = results.flatMap((result, i) => result.claimed ? [claims[i].orderId] : []);
    assert.equal(winners.length, 1);
    // Every other post is told which order the form placed.
    for (const result of results) {
      if (!result.claimed) {
        assert.deepEqual(result.first, { orderId: winners[0], product: "sneakers" });
      }
    }

    const distinct = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        first.claim({
          token: token(i.toString(16).padStart(16, "0")),
          orderId: newId(),
          product: "clothes",
        })),
    );
    assert.ok(distinct.every((result) => result.claimed));

    // One statement holding the same token twice grants it to the first claim only.
    const a = { token: token("00000000000000bb"), orderId: newId(), product: "clothes" as const };
    const b = { ...a, orderId: newId(), product: "sneakers" as const };
    assert.deepEqual(await claimFormTokens(db.sql, [a, b]), [
      { claimed: true },
      { claimed: false, first: { orderId: a.orderId, product: "clothes" } },
    ]);

    // A released claim (its order never went out) lets the form be sent again.
    const dropped = {
      token: token("00000000000000cc"),
      orderId: newId(),
      product: "clothes" as const,
    };
    assert.deepEqual(await first.claim(dropped), { claimed: true });
    await first.release(dropped);
    const retry = { ...dropped, orderId: newId() };
    assert.deepEqual(await second.claim(retry), { claimed: true });
    // Releasing a claim that is not the one stored removes nothing.
    await first.release(dropped);
    assert.equal((await second.claim({ ...dropped, orderId: newId() })).claimed, false);

    const [{ count }] = await db.sql`select count(*)::int as count from consumed_form_tokens`;
    assert.equal(count, 1 + 30 + 1 + 1);
  } finally {
    await otherPool.end({ timeout: 5 });
  }
});
