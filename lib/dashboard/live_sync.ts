/**
 * The live dashboard's bookkeeping, apart from its DOM: which live updates a summary
 * already holds, updates held while a summary loads, when the charts are due again, and
 * the rate measured from arrivals. Pure and browser-safe (`islands/DashboardView.tsx`
 * drives it; the numbers are in `model.ts`).
 *
 * @module
 */
import { type LiveMessage, TICKER_LENGTH } from "../live/protocol.ts";
import { applyDeltas, type Summary } from "./model.ts";
import { matchesFilters } from "./query.ts";

/**
 * Charts, tables and the ticker redraw at most this often: with a busy hub (a message
 * every 500 ms), on every third message. Each redraw costs a tab a few milliseconds of
 * CPU; 50 tabs on one 2-core machine could not afford one a second next to the ingest
 * side without the counters falling behind (docs/benchmarks/dashboard.md).
 */
export const CHART_MS = 1500;
/** The live rate is measured over this window, once connected that long. */
export const RATE_WINDOW_MS = 10_000;

/** A live message carrying deltas. */
export type UpdateMessage = Extract<LiveMessage, { type: "update" }>;

/**
 * Applies one live update to `summary` in place (deltas, ticker, newest event, the
 * hub position) unless the summary already holds it.
 */
export function applyLiveUpdate(summary: Summary, update: UpdateMessage): void {
  if (update.instance === summary.live.instance && update.seq <= summary.live.seq) return;
  applyDeltas(summary, update.d);
  const fresh = update.e.filter((e) => matchesFilters(summary.query, e.product, e.site_version));
  if (fresh.length > 0) {
    summary.ticker = [...fresh, ...summary.ticker].slice(0, TICKER_LENGTH);
    const newest = fresh.reduce((a, b) => (a.time > b.time ? a : b)).time;
    if (!summary.lastEventAt || newest > summary.lastEventAt) summary.lastEventAt = newest;
  }
  summary.live = { instance: update.instance, seq: update.seq };
}

/** The state between live messages, loads and redraws of one dashboard. */
export class LiveSync {
  /** A summary is loading: updates are held, then replayed onto it. */
  buffering = false;
  /** Updates that arrived while loading. */
  buffered: UpdateMessage[] = [];
  /** Live data arrived since the last redraw of the charts. */
  dirty = false;
  /** When the charts were last due and drawn. */
  lastRedraw = 0;
  /** When the last live message arrived (the clock draws only when none came lately). */
  lastMessage = 0;
  /** A pending redraw of the charts right after a message. */
  chartTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** Bumped whenever the summary is replaced (a load or a navigation): the filters redraw. */
  summarySeq = 0;
  /** The time the numbers are shown for (the age and midnight follow it). */
  now: number;
  /** When the socket last went live (0: not yet). */
  connectedAt = 0;
  #arrivals: [number, number][] = [];
  #loadSeq = 0;

  /** Starts at the time the summary was generated. */
  constructor(generatedAt: string) {
    this.now = Date.parse(generatedAt);
  }

  /** Counts `n` events arriving at `at` for the live rate. */
  countArrival(at: number, n: number): void {
    this.#arrivals.push([at, n]);
  }

  /** Forgets arrivals older than the rate's window. */
  pruneArrivals(at: number): void {
    this.#arrivals = this.#arrivals.filter(([t]) => t > at - RATE_WINDOW_MS);
  }

  /** Events per second over the window, once connected that long; else null. */
  liveRate(): number | null {
    return this.connectedAt > 0 && this.now - this.connectedAt >= RATE_WINDOW_MS
      ? this.#arrivals.reduce((sum, [, n]) => sum + n, 0) / (RATE_WINDOW_MS / 1000)
      : null;
  }

  /** The charts are due at `at`: CHART_MS since they were drawn, data changed, page visible. */
  chartsDue(at: number, visible: boolean): boolean {
    // 50 ms of slack: messages CHART_MS apart should each redraw, not every other one.
    return this.dirty && visible && at - this.lastRedraw >= CHART_MS - 50;
  }

  /** Records a redraw of everything for data due at `dueAt`. */
  redrawn(dueAt: number): void {
    this.dirty = false;
    this.lastRedraw = dueAt;
  }

  /** Starts a load: updates are held until it ends; returns its ticket. */
  beginLoad(): number {
    this.buffering = true;
    return ++this.#loadSeq;
  }

  /** True while `ticket` is the newest load (a newer navigation wins). */
  isLatest(ticket: number): boolean {
    return ticket === this.#loadSeq;
  }

  /** Ends the newest load: held updates are dropped (the caller replayed them). */
  endLoad(): void {
    this.buffering = false;
    this.buffered = [];
  }
}
