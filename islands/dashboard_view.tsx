/**
 * The live dashboard island: server-rendered with the summary's numbers, then kept
 * current by `/api/live` deltas applied in place (no refetch), redrawn at most five
 * times a second. A new connection compares the hub's position with the summary's and
 * refetches `/api/summary` only when something may have been missed (reconnects,
 * restarts, truncated payloads, midnight); the range and filters live in the URL.
 *
 * @module
 */
import { Component, type VNode } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { LiveMessage } from "../lib/live_hub.ts";
import {
  applyDeltas,
  dayIn,
  matchesFilters,
  parseSummaryQuery,
  type Summary,
  type SummaryQuery,
  summarySearch,
} from "../lib/summary.ts";
import { CategoryBars } from "../components/dashboard/category_bars.tsx";
import { DeviceShare } from "../components/dashboard/device_share.tsx";
import { Filters } from "../components/dashboard/filters.tsx";
import { RANGE_EVENT } from "../components/dashboard/format.tsx";
import { FunnelTable } from "../components/dashboard/funnel_table.tsx";
import { KpiStrip } from "../components/dashboard/kpi_strip.tsx";
import { CategoryLegend } from "../components/dashboard/legend.tsx";
import { connectLive } from "../components/dashboard/live_client.ts";
import { OrdersChart } from "../components/dashboard/orders_chart.tsx";
import { Ticker } from "../components/dashboard/ticker.tsx";

type Update = Extract<LiveMessage, { type: "update" }>;

/** Props of {@linkcode DashboardView}. */
export interface DashboardViewProps {
  initial: Summary;
}

/** Counters redraw at most this often (the hub sends at most two messages a second)… */
const MIN_REDRAW_MS = 450;
/** …and the charts, tables and ticker at most this often (50 open tabs share the CPU). */
const CHART_REDRAW_MS = 1000;
const RATE_WINDOW_MS = 10_000;
const TICKER_SIZE = 8;

const RANGE_TITLES: Record<string, string> = {
  today: "today",
  yesterday: "yesterday",
  "7d": "the last 7 days",
  "30d": "the last 30 days",
  all: "all data",
  custom: "the selected days",
};

/** Renders its child again only when `version` changes (the charts' slower clock). */
class Throttled extends Component<{ version: number; children: () => VNode }> {
  override shouldComponentUpdate(next: { version: number }) {
    return next.version !== this.props.version;
  }
  render() {
    return this.props.children();
  }
}

/** The whole live dashboard. */
export default function DashboardView({ initial }: DashboardViewProps) {
  const current = useRef<Summary>(initial);
  // Bumped to redraw the counters; its value is not read.
  const [, setVersion] = useState(0);
  const [chartVersion, setChartVersion] = useState(0);
  const [connection, setConnection] = useState<"live" | "connecting" | "offline">("connecting");
  const [error, setError] = useState<string | null>(null);
  const sync = useRef({
    buffering: false,
    buffered: [] as Update[],
    lastRender: 0,
    timer: undefined as ReturnType<typeof setTimeout> | undefined,
    timerAt: 0,
    timerTrailing: false,
    lastChart: 0,
    chartsDirty: false,
    forceCharts: false,
    now: Date.parse(initial.generatedAt),
    arrivals: [] as [number, number][],
    connectedAt: 0,
    loadSeq: 0,
  });

  /**
   * One render clock for everything, so a tab draws at most a few frames a second:
   * counters within MIN_REDRAW_MS of a change, charts at most every CHART_REDRAW_MS
   * (`force`: at once, for a new range or a resync).
   */
  const scheduleRender = (force = false, charts = true) => {
    const s = sync.current;
    s.forceCharts ||= force;
    s.chartsDirty ||= charts;
    const at = s.forceCharts ? Date.now() : Math.max(Date.now(), s.lastRender + MIN_REDRAW_MS);
    frameAt(at);
  };

  /**
   * Makes sure a frame runs by `at` (keeps an earlier one, moves a later one up).
   * `trailing`: a frame only for charts left dirty; it does not count against the
   * counters' throttle, so it never delays the next data frame.
   */
  const frameAt = (at: number, trailing = false) => {
    const s = sync.current;
    if (s.timer !== undefined && s.timerAt <= at) return;
    clearTimeout(s.timer);
    s.timerAt = at;
    s.timerTrailing = trailing;
    s.timer = setTimeout(renderFrame, Math.max(0, at - Date.now()));
  };

  const renderFrame = () => {
    const s = sync.current;
    const now = Date.now();
    s.timer = undefined;
    if (!s.timerTrailing) s.lastRender = now;
    setVersion((v) => v + 1);
    if (!s.chartsDirty) return;
    if (s.forceCharts || now - s.lastChart >= CHART_REDRAW_MS) {
      s.forceCharts = s.chartsDirty = false;
      s.lastChart = now;
      setChartVersion((v) => v + 1);
    } else {
      // The charts' turn: with the next data frame, or this trailing one if none comes.
      frameAt(s.lastChart + CHART_REDRAW_MS, true);
    }
  };

  const applyUpdate = (summary: Summary, update: Update) => {
    if (update.instance === summary.live.instance && update.seq <= summary.live.seq) return;
    applyDeltas(summary, update.d);
    const fresh = update.e.filter((e) => matchesFilters(summary.query, e.product, e.site_version));
    if (fresh.length > 0) {
      summary.ticker = [...fresh, ...summary.ticker].slice(0, TICKER_SIZE);
      const newest = fresh.reduce((a, b) => (a.time > b.time ? a : b)).time;
      if (!summary.lastEventAt || newest > summary.lastEventAt) summary.lastEventAt = newest;
    }
    summary.live = { instance: update.instance, seq: update.seq };
  };

  /** Fetches the summary for `query`; live updates meanwhile are held, then replayed. */
  const load = async (query: SummaryQuery) => {
    const s = sync.current;
    const mine = ++s.loadSeq;
    s.buffering = true;
    try {
      const response = await fetch(`/api/summary?${summarySearch(query)}`, {
        headers: { accept: "application/json" },
      });
      if (response.status === 401) {
        location.reload();
        return;
      }
      if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
      const summary = await response.json() as Summary;
      if (mine !== s.loadSeq) return; // a newer navigation won
      for (const update of s.buffered) applyUpdate(summary, update);
      current.current = summary;
      setError(null);
      dispatchEvent(new CustomEvent(RANGE_EVENT, { detail: summary.range }));
    } catch (cause) {
      if (mine === s.loadSeq) setError(`Cannot load the numbers: ${String(cause)}`);
    } finally {
      if (mine === s.loadSeq) {
        s.buffering = false;
        s.buffered = [];
        scheduleRender(true);
      }
    }
  };

  const navigate = (query: SummaryQuery) => {
    history.pushState(null, "", `/dashboard?${summarySearch(query)}`);
    current.current = { ...current.current, query };
    // Show the choice at once (controls build their links from the current query).
    scheduleRender(true);
    load(query);
  };

  useEffect(() => {
    const s = sync.current;
    const close = connectLive({
      onState(state) {
        setConnection(state);
        if (state === "live") s.connectedAt = Date.now();
      },
      onHello(hello) {
        const summary = current.current;
        // Nothing can have been missed only if the summary came from this hub at this position.
        if (hello.instance !== summary.live.instance || hello.seq !== summary.live.seq) {
          load(summary.query);
        }
      },
      onUpdate(update) {
        const n = update.d.reduce((sum, d) => sum + d[4], 0);
        s.arrivals.push([Date.now(), n]);
        if (s.buffering) {
          s.buffered.push(update);
          return;
        }
        applyUpdate(current.current, update);
        if (update.truncated) load(current.current.query);
        scheduleRender();
      },
      onResync() {
        load(current.current.query);
      },
      onStatus(status) {
        current.current.lag = status.lag;
        if (status.eventsPerSecond !== null) {
          current.current.eventsPerSecond = status.eventsPerSecond;
        }
        // Drawn with the next data frame, or by the idle clock: a frame of its own would
        // push the next data frame back by the throttle.
      },
    });
    const onPop = () => {
      try {
        load(parseSummaryQuery(new URLSearchParams(location.search)));
      } catch (cause) {
        setError(String(cause));
      }
    };
    addEventListener("popstate", onPop);
    const tick = setInterval(() => {
      const at = Date.now();
      s.now = at;
      s.arrivals = s.arrivals.filter(([t]) => t > at - RATE_WINDOW_MS);
      // The age and rate change each second. While data flows they ride on its frames;
      // when quiet, this frame does not count against the throttle (a new event is drawn
      // at once, not half a second after the clock ticked).
      if (at - s.lastRender >= 1000 && s.timer === undefined) setVersion((v) => v + 1);
      // Midnight in the analytics zone: today's numbers start again from the server.
      const summary = current.current;
      if (!s.buffering && dayIn(at, summary.timeZone) !== summary.today.day) load(summary.query);
    }, 1000);
    return () => {
      close();
      clearInterval(tick);
      removeEventListener("popstate", onPop);
      clearTimeout(s.timer);
    };
  }, []);

  const summary = current.current;
  const s = sync.current;
  const liveRate = s.connectedAt > 0 && s.now - s.connectedAt >= RATE_WINDOW_MS
    ? s.arrivals.reduce((sum, [, n]) => sum + n, 0) / (RATE_WINDOW_MS / 1000)
    : null;
  return (
    <div class="dash">
      <header class="dash-head">
        <div>
          <h1>Ad funnel</h1>
          <p class="muted">
            Today is {summary.today.day} ({summary.timeZone}) · showing{" "}
            {RANGE_TITLES[summary.query.range]}
            {summary.query.range === "today"
              ? ""
              : ` (${summary.range.from} to ${summary.range.to})`}
          </p>
        </div>
        <span class={`pill ${connection}`} data-testid="live-status" data-state={connection}>
          {connection === "live"
            ? "Live"
            : connection === "connecting"
            ? "Connecting…"
            : "Offline, retrying"}
        </span>
      </header>
      <Throttled version={chartVersion}>
        {() => <Filters summary={summary} onNavigate={navigate} />}
      </Throttled>
      {error ? <p class="error" role="alert">{error}</p> : null}
      <KpiStrip summary={summary} liveRate={liveRate} now={s.now} />
      <Throttled version={chartVersion}>
        {() => (
          <>
            <div class="grid two">
              <section class="card">
                <h2>Today by category</h2>
                <CategoryLegend products={summary.query.products} />
                <CategoryBars counts={summary.today.counts} products={summary.query.products} />
              </section>
              <section class="card">
                <h2>
                  Orders over time{" "}
                  <span class="muted">
                    per {summary.granularity}, {RANGE_TITLES[summary.query.range]}
                  </span>
                </h2>
                <OrdersChart summary={summary} version={chartVersion} />
              </section>
            </div>
            <div class="grid three">
              <section class="card wide">
                <h2>
                  Funnel{" "}
                  <span class="muted">
                    {summary.previousRange
                      ? `vs ${summary.previousRange.from} – ${summary.previousRange.to}`
                      : "(no previous period for all data)"}
                  </span>
                </h2>
                <FunnelTable summary={summary} />
              </section>
              <section class="card">
                <h2>Desktop vs mobile</h2>
                <DeviceShare devices={summary.devices} />
              </section>
              <section class="card">
                <h2>Newest events</h2>
                <Ticker events={summary.ticker} timeZone={summary.timeZone} />
              </section>
            </div>
          </>
        )}
      </Throttled>
    </div>
  );
}
