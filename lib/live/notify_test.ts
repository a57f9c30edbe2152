import assert from "node:assert/strict";
import { PRODUCTS, SITE_VERSIONS, TITLES } from "../core/event.ts";
import { encodeLiveUpdate, MAX_PAYLOAD_BYTES } from "./notify.ts";
import { decodeLiveUpdate } from "./protocol.ts";
import type { MinuteDelta } from "../rollups/store.ts";

Deno.test("a batch touching thousands of keys still fits one NOTIFY, keeping its newest minutes", () => {
  // 5,000 events, each its own minute and key: far beyond Postgres's 8000-byte payload,
  // which would fail the batch's transaction on every retry if it were sent whole.
  const start = Date.UTC(2026, 0, 1);
  const deltas: MinuteDelta[] = Array.from({ length: 5_000 }, (_, i) => ({
    minute: new Date(start + i * 60_000).toISOString(),
    product: PRODUCTS[i % PRODUCTS.length],
    site_version: SITE_VERSIONS[i % SITE_VERSIONS.length],
    title: TITLES[i % TITLES.length],
    n: 1,
  }));
  const newest = deltas.slice(-5).reverse().map((d) => ({ ...d, time: d.minute }));
  const text = encodeLiveUpdate(deltas, newest, 1);
  assert.ok(new TextEncoder().encode(text).length <= MAX_PAYLOAD_BYTES, `${text.length} bytes`);
  const update = decodeLiveUpdate(text);
  assert.ok(update);
  assert.equal(update.truncated, true);
  assert.equal(update.e.length, 0);
  assert.ok(update.d.length > 10 && update.d.length < deltas.length);
  const kept = update.d.map((d) => d[0]);
  assert.deepEqual(kept, deltas.slice(-kept.length).map((d) => d.minute));
  // A small batch goes whole.
  const small = decodeLiveUpdate(encodeLiveUpdate(deltas.slice(0, 3), newest, 1));
  assert.equal(small?.truncated, undefined);
  assert.equal(small?.d.length, 3);
  assert.equal(small?.e.length, 5);
});
