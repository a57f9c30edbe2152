/**
 * The KPI strip: today's impressions, clicks and orders (digits only inside the
 * `kpi-*` elements), click-through and conversion, events/s, consumer lag, and how
 * old the newest event is.
 *
 * @module
 */
import { clickThroughRate, conversionRate, type Summary, sumProducts } from "../../lib/summary.ts";
import { Count, formatAge, formatCount, formatPercent } from "./format.tsx";

/** Props of {@linkcode KpiStrip}. */
export interface KpiStripProps {
  summary: Summary;
  /** Events per second measured from live updates, when connected long enough. */
  liveRate: number | null;
  /** The current time (ms), ticking each second for the age. */
  now: number;
}

/** The row of KPI cards. */
export function KpiStrip({ summary, liveRate, now }: KpiStripProps) {
  const today = sumProducts(summary.today.counts);
  const rate = liveRate ?? summary.eventsPerSecond;
  return (
    <section class="kpis" aria-label={`Today, ${summary.today.day}`}>
      <div class="kpi">
        <div class="kpi-label">Impressions today</div>
        <Count value={today.banner_show} testid="kpi-shows" class="kpi-value" />
      </div>
      <div class="kpi">
        <div class="kpi-label">Clicks today</div>
        <Count value={today.banner_click} testid="kpi-clicks" class="kpi-value" />
      </div>
      <div class="kpi">
        <div class="kpi-label">Orders today</div>
        <Count value={today.order} testid="kpi-orders" class="kpi-value" />
      </div>
      <div class="kpi">
        <div class="kpi-label">Click-through</div>
        <div class="kpi-value" data-testid="kpi-ctr">{formatPercent(clickThroughRate(today))}</div>
      </div>
      <div class="kpi">
        <div class="kpi-label">Conversion</div>
        <div class="kpi-value" data-testid="kpi-conversion">
          {formatPercent(conversionRate(today))}
        </div>
      </div>
      <div class="kpi small">
        <div class="kpi-label">Events/s now</div>
        <div class="kpi-value" data-testid="kpi-rate">
          {rate < 10 ? rate.toFixed(1) : formatCount(Math.round(rate))}
        </div>
      </div>
      <div class="kpi small">
        <div class="kpi-label">Consumer lag</div>
        <div class="kpi-value" data-testid="kpi-lag">
          {summary.lag === null ? "–" : formatCount(summary.lag)}
        </div>
      </div>
      <div class="kpi small">
        <div class="kpi-label">Data as of</div>
        <div class="kpi-value" data-testid="kpi-age" title={summary.lastEventAt ?? ""}>
          {formatAge(summary.lastEventAt, now)}
        </div>
      </div>
    </section>
  );
}
