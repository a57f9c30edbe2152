/**
 * The live updates' wire formats, shared by the worker (its NOTIFY payload), the web
 * process's hub and the browser (the WebSocket messages): types and the payload's
 * decoder only, so islands can import it. Browser-safe.
 *
 * @module
 */
import type { EcommerceEvent, Product, SiteVersion, Title } from "../core/event.ts";

/**
 * Events the live ticker shows, newest first: what a NOTIFY carries of a batch, what
 * the hub keeps between messages, what the summary and the page show.
 */
export const TICKER_LENGTH = 8;

/** A delta as a tuple: [minute ISO, product, site_version, title, n]. */
export type DeltaTuple = [string, Product, SiteVersion, Title, number];

/** A recent event for the live ticker. */
export type TickerEvent = Pick<EcommerceEvent, "time" | "product" | "site_version" | "title">;

/** One NOTIFY payload. */
export interface LiveUpdate {
  /** Format version. */
  v: 1;
  /** Per-minute deltas of the rows the batch inserted. */
  d: DeltaTuple[];
  /** The newest few events of the batch, newest first. */
  e: TickerEvent[];
  /** Commit-side timestamp (ms since epoch), for "data as of" and latency. */
  at: number;
  /** True when deltas had to be dropped to fit; clients should refetch. */
  truncated?: boolean;
}

/** A message the hub sends to a dashboard socket. */
export type LiveMessage =
  | {
    type: "hello";
    /** Identifies this web process: `seq` numbers are only comparable within one. */
    instance: string;
    /** The last notification's number at connect time. */
    seq: number;
  }
  | {
    type: "update";
    instance: string;
    /** The number of the last notification folded into this message. */
    seq: number;
    /** Deltas of the notifications since the previous message, summed per key. */
    d: DeltaTuple[];
    /** Newest events first. */
    e: TickerEvent[];
    /** The newest notification's commit-side time (ms since epoch). */
    at: number;
    /** True when a notification had dropped deltas: refetch the summary. */
    truncated?: boolean;
  }
  | {
    type: "status";
    /** Consumer lag in messages, null when unknown. */
    lag: number | null;
    /** Events stored per second by the workers, null when unknown. */
    eventsPerSecond: number | null;
  }
  | { type: "ping" }
  | {
    /** The hub lost its LISTEN for a while: notifications may be missing, refetch. */
    type: "resync";
  };

/** Parses a payload; undefined when it is not a version-1 update. */
export function decodeLiveUpdate(text: string): LiveUpdate | undefined {
  try {
    const value = JSON.parse(text) as LiveUpdate;
    return value?.v === 1 && Array.isArray(value.d) && Array.isArray(value.e) ? value : undefined;
  } catch {
    return undefined;
  }
}
