/**
 * The worker → web NOTIFY payload: what one committed batch changed, compact enough
 * for Postgres's 8000-byte limit. The worker sends it inside the batch's transaction
 * (delivered only if it commits); every web process LISTENs and fans it out over the
 * WebSocket to open dashboards.
 *
 * @module
 */
import type { MinuteDelta } from "../rollups/minute_counts.ts";
import { type LiveUpdate, TICKER_LENGTH, type TickerEvent } from "./protocol.ts";

/** The Postgres channel for `topic` (one channel per topic, so tests stay apart). */
export function liveChannel(topic: string): string {
  return `live_${topic}`.replace(/[^a-zA-Z0-9_]/g, "_").slice(0, 63);
}

/** Postgres rejects NOTIFY payloads of 8000 bytes or more. */
export const MAX_PAYLOAD_BYTES = 7900;

/** Builds the payload; drops ticker events, then deltas (marking `truncated`), to fit. */
export function encodeLiveUpdate(
  deltas: readonly MinuteDelta[],
  newest: readonly TickerEvent[],
  at = Date.now(),
): string {
  const update: LiveUpdate = {
    v: 1,
    d: deltas.map((d) => [d.minute, d.product, d.site_version, d.title, d.n]),
    e: newest.slice(0, TICKER_LENGTH).map(({ time, product, site_version, title }) => ({
      time,
      product,
      site_version,
      title,
    })),
    at,
  };
  let text = JSON.stringify(update);
  while (new TextEncoder().encode(text).length > MAX_PAYLOAD_BYTES) {
    if (update.e.length > 0) update.e.pop();
    else {
      // Keep the newest minutes: those are what open dashboards show live.
      update.d.sort((a, b) => a[0].localeCompare(b[0]));
      update.d.splice(0, Math.max(1, Math.ceil(update.d.length / 4)));
      update.truncated = true;
    }
    text = JSON.stringify(update);
  }
  return text;
}
