// The shop's events follow the event contract.
import assert from "node:assert/strict";
import { normalizeEvent } from "../core/event.ts";
import { pageId, shopEvent } from "./events.ts";

const userId = "0123456789abcdef0123456789abcdef";

Deno.test("shop events follow the contract: fresh ids, stable page ids, target 1 only for orders", () => {
  const event = shopEvent({
    title: "order",
    product: "clothes",
    userId,
    siteVersion: "mobile",
    page: "/product/clothes",
    time: new Date("2026-01-02T03:04:05.678Z"),
  });
  assert.deepEqual(normalizeEvent({ ...event }), { ok: true, value: event });
  assert.equal(event.target, 1);
  assert.equal(event.page_id, pageId("/product/clothes"));
  assert.match(pageId("/"), /^[0-9a-f]{32}$/);
  assert.notEqual(pageId("/"), pageId("/product/clothes"));
  const show = shopEvent({
    title: "banner_show",
    product: "clothes",
    userId,
    siteVersion: "desktop",
    page: "/",
  });
  assert.equal(show.target, 0);
  assert.notEqual(show.order_id, event.order_id);
});
