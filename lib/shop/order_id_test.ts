// The shop's order_ids are UUIDv7: the contract's 32 hex digits, time-ordered.
import assert from "node:assert/strict";
import { normalizeEvent } from "../core/event.ts";
import { newOrderId, orderIdTime } from "./order_id.ts";
import { shopEvent } from "./events.ts";

Deno.test("order ids are 32 hex digits of a version-7 UUID carrying the clock's millisecond", () => {
  const before = Date.now();
  const id = newOrderId();
  const after = Date.now();
  assert.match(id, /^[0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
  const time = orderIdTime(id)!.getTime();
  assert.ok(time >= before && time <= after, `${time} not in [${before}, ${after}]`);
});

Deno.test("order ids made one after another sort one after another, with no repeats", () => {
  const ids = Array.from({ length: 20_000 }, () => newOrderId());
  assert.equal(new Set(ids).size, ids.length);
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1] < ids[i], `${ids[i - 1]} >= ${ids[i]}`);
});

Deno.test("orderIdTime reads v7 ids only: random (v4) ids and malformed text give undefined", () => {
  assert.equal(orderIdTime(crypto.randomUUID()), undefined);
  assert.equal(orderIdTime("not an id"), undefined);
  assert.equal(
    orderIdTime("0190b3c4-5d6e-7f80-9a1b-2c3d4e5f6a7b")?.toISOString(),
    new Date(0x0190b3c45d6e).toISOString(),
  );
});

Deno.test("the shop's events carry v7 order ids and still pass the event contract", () => {
  const event = shopEvent({
    title: "banner_show",
    product: "sneakers",
    userId: "0123456789abcdef0123456789abcdef",
    siteVersion: "desktop",
    page: "/",
  });
  assert.ok(orderIdTime(event.order_id) !== undefined);
  assert.deepEqual(normalizeEvent({ ...event }), { ok: true, value: event });
});
