/**
 * The explore panel: what `deno task stats` prints (totals, date range, events by
 * type, top products, users and pages) for the selected days. Top users and pages
 * scan `events`, so the panel loads only when opened.
 *
 * @module
 */
import { useEffect, useState } from "preact/hooks";
import type { DayRange } from "../lib/core/calendar.ts";
import { RANGE_EVENT } from "../lib/dashboard/range_event.ts";
import { DEVICE_LABELS, TITLE_LABELS } from "../lib/core/labels.ts";
import type { Stats as ExploreStats } from "../lib/dashboard/stats_report.ts";
import { CategoryName } from "../components/dashboard/CategoryName.tsx";
import { Count } from "../components/dashboard/Count.tsx";
import { formatCount, formatPercent } from "../components/dashboard/format.ts";
import { TITLES } from "../lib/core/event.ts";

/** Props of {@linkcode ExplorePanel}. */
export interface ExplorePanelProps {
  /** The dashboard's days when the page was rendered. */
  range: DayRange;
}

/** A collapsible panel that fetches `/api/explore` when opened. */
export default function ExplorePanel({ range }: ExplorePanelProps) {
  const [open, setOpen] = useState(false);
  const [days, setDays] = useState(range);
  const [stats, setStats] = useState<ExploreStats | null>(null);
  const [state, setState] = useState<"idle" | "loading" | "error">("idle");
  /** The server's reason for the last failure (a busy server says when to retry). */
  const [reason, setReason] = useState("");

  useEffect(() => {
    // Follow the dashboard's range when it changes in the URL.
    const follow = (event: Event) => setDays((event as CustomEvent<DayRange>).detail);
    addEventListener(RANGE_EVENT, follow);
    return () => removeEventListener(RANGE_EVENT, follow);
  }, []);

  useEffect(() => {
    if (!open) return;
    let cancelled = false;
    setState("loading");
    fetch(`/api/explore?from=${days.from}&to=${days.to}`)
      .then(async (r) => {
        if (r.ok) return r.json();
        // The reason is plain text (400: the range; 503: busy, with when to retry).
        const text = (await r.text()).slice(0, 300);
        throw new Error(r.status === 400 || r.status === 503 ? text : `status ${r.status}`);
      })
      .then((value) => {
        if (cancelled) return;
        setStats(value as ExploreStats);
        setState("idle");
      })
      .catch((error) => {
        if (cancelled) return;
        setReason(error instanceof Error ? error.message : String(error));
        setState("error");
      });
    return () => {
      cancelled = true;
    };
  }, [open, days.from, days.to]);

  return (
    <details
      class="card explore"
      data-testid="explore"
      onToggle={(event) => setOpen((event.currentTarget as HTMLDetailsElement).open)}
    >
      <summary>
        <h2>Explore</h2>
        <span class="muted">totals, top products, users and pages ({days.from} to {days.to})</span>
      </summary>
      {state === "loading" && !stats ? <p class="muted">Loading…</p> : null}
      {state === "error"
        ? (
          <p class="error" data-testid="explore-error">
            Cannot load the statistics: {reason}
          </p>
        )
        : null}
      {stats ? <ExploreBody stats={stats} /> : null}
    </details>
  );
}

function ExploreBody({ stats }: { stats: ExploreStats }) {
  // Times in UTC, to the minute: the panel's column is narrow.
  const when = (iso: string | null) => iso ? iso.slice(0, 16).replace("T", " ") : "–";
  return (
    <div class="explore-grid">
      <div>
        <h3>Totals</h3>
        <dl class="facts">
          <dt>Events</dt>
          <dd>
            <Count value={stats.events} testid="explore-total" />
          </dd>
          <dt>First event (UTC)</dt>
          <dd>{when(stats.firstEvent)}</dd>
          <dt>Last event (UTC)</dt>
          <dd>{when(stats.lastEvent)}</dd>
          {TITLES.map((title) => [
            <dt key={`t-${title}`}>{TITLE_LABELS[title]}</dt>,
            <dd key={`d-${title}`}>{formatCount(stats.byTitle[title])}</dd>,
          ])}
          {stats.funnelBySiteVersion.map((row) => [
            <dt key={`s-${row.site_version}`}>{DEVICE_LABELS[row.site_version]} CTR / conv.</dt>,
            <dd key={`v-${row.site_version}`}>
              {row.ctr === null ? "–" : formatPercent(row.ctr)} /{" "}
              {row.conversion === null ? "–" : formatPercent(row.conversion)}
            </dd>,
          ])}
        </dl>
      </div>
      <div>
        <h3>Top products</h3>
        <ol class="top">
          {stats.byProduct.map((row) => (
            <li key={row.product}>
              <CategoryName product={row.product} />
              <span>{formatCount(row.events)}</span>
            </li>
          ))}
        </ol>
      </div>
      <div>
        <h3>Top users</h3>
        <ol class="top mono" data-testid="explore-users">
          {stats.topUsers.map((row) => (
            <li key={row.user_id}>
              <code title={row.user_id}>{row.user_id.slice(0, 12)}…</code>
              <span>{formatCount(row.events)}</span>
            </li>
          ))}
        </ol>
      </div>
      <div>
        <h3>Top pages</h3>
        <ol class="top mono">
          {stats.topPages.map((row) => (
            <li key={row.page_id}>
              <code title={row.page_id}>{row.page_id.slice(0, 12)}…</code>
              <span>{formatCount(row.events)}</span>
            </li>
          ))}
        </ol>
      </div>
    </div>
  );
}
