// The live dashboard's bookkeeping: updates applied once, held during loads, the
// charts' cadence and the measured rate.
import assert from "node:assert/strict";
import {
  applyLiveUpdate,
  CHART_MS,
  LiveSync,
  RATE_WINDOW_MS,
  type UpdateMessage,
} from "./live_sync.ts";
import { emptyDeviceCounts, emptyProductCounts, type Summary } from "./model.ts";
import { PRODUCTS } from "../core/event.ts";
import { TICKER_LENGTH } from "../live/protocol.ts";

function summary(): Summary {
  return {
    generatedAt: "2024-03-10T10:01:30Z",
    timeZone: "UTC",
    query: { range: "today", products: ["clothes"] },
    range: { from: "2024-03-10", to: "2024-03-10" },
    previousRange: null,
    bounds: { from: "2023-03-10", to: "2024-03-11" },
    granularity: "minute",
    today: { day: "2024-03-10", counts: emptyProductCounts() },
    totals: emptyProductCounts(),
    previous: null,
    devices: emptyDeviceCounts(),
    series: {
      t: [],
      orders: Object.fromEntries(
        PRODUCTS.map((p) => [p, [] as number[]]),
      ) as Summary["series"]["orders"],
    },
    dataRange: null,
    lastEventAt: null,
    eventsPerSecond: 0,
    ticker: [],
    lag: null,
    live: { instance: "hub-1", seq: 4 },
  };
}

function update(seq: number, instance = "hub-1"): UpdateMessage {
  const time = `2024-03-10T10:02:${String(seq).padStart(2, "0")}.000Z`;
  return {
    type: "update",
    instance,
    seq,
    at: 0,
    d: [["2024-03-10T10:02:00.000Z", "clothes", "desktop", "banner_click", 1]],
    e: [
      { time, product: "clothes", site_version: "desktop", title: "banner_click" },
      { time, product: "sneakers", site_version: "desktop", title: "banner_click" },
    ],
  };
}

Deno.test("a live update is applied once: older positions of the same hub are skipped", () => {
  const s = summary();
  applyLiveUpdate(s, update(4));
  assert.equal(s.totals.clothes.banner_click, 0, "seq 4 is already in the summary");
  applyLiveUpdate(s, update(5));
  applyLiveUpdate(s, update(5));
  assert.equal(s.totals.clothes.banner_click, 1);
  assert.deepEqual(s.live, { instance: "hub-1", seq: 5 });
  // The ticker keeps only events the filters pass, newest first, TICKER_LENGTH at most.
  assert.deepEqual(s.ticker.map((e) => e.product), ["clothes"]);
  for (let seq = 6; seq < 6 + TICKER_LENGTH + 3; seq++) applyLiveUpdate(s, update(seq));
  assert.equal(s.ticker.length, TICKER_LENGTH);
  assert.equal(s.lastEventAt, s.ticker[0].time);
  // Another hub (a restarted server) numbers from 1 again: its updates apply.
  applyLiveUpdate(s, update(1, "hub-2"));
  assert.deepEqual(s.live, { instance: "hub-2", seq: 1 });
});

Deno.test("loads hold updates and only the newest load ends the hold", () => {
  const sync = new LiveSync("2024-03-10T10:01:30Z");
  const first = sync.beginLoad();
  const second = sync.beginLoad();
  assert.equal(sync.buffering, true);
  assert.equal(sync.isLatest(first), false);
  assert.equal(sync.isLatest(second), true);
  sync.buffered.push(update(5));
  sync.endLoad();
  assert.equal(sync.buffering, false);
  assert.deepEqual(sync.buffered, []);
});

Deno.test("charts are due CHART_MS after a redraw, with changed data, on a visible page", () => {
  const sync = new LiveSync("2024-03-10T10:01:30Z");
  sync.redrawn(10_000);
  assert.equal(sync.chartsDue(10_000 + CHART_MS, true), false, "nothing changed");
  sync.dirty = true;
  assert.equal(sync.chartsDue(10_000 + CHART_MS - 100, true), false, "too soon");
  assert.equal(sync.chartsDue(10_000 + CHART_MS - 50, true), true, "within the slack");
  assert.equal(sync.chartsDue(10_000 + CHART_MS, false), false, "hidden page");
  sync.redrawn(20_000);
  assert.equal(sync.dirty, false);
});

Deno.test("the live rate is events per second over the window, once connected that long", () => {
  const sync = new LiveSync("2024-03-10T10:01:30Z");
  const start = Date.parse("2024-03-10T10:01:30Z");
  sync.connectedAt = start;
  for (let i = 0; i < 10; i++) sync.countArrival(start + i * 1000, 5);
  sync.now = start + RATE_WINDOW_MS - 1;
  assert.equal(sync.liveRate(), null, "not connected for a whole window yet");
  sync.now = start + RATE_WINDOW_MS;
  assert.equal(sync.liveRate(), 5);
  sync.pruneArrivals(start + RATE_WINDOW_MS + 4_500);
  assert.equal(sync.liveRate(), 2.5, "arrivals older than the window are forgotten");
});
