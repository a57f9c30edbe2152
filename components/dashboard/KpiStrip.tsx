/**
 * The KPI strip: today's impressions, clicks and orders (digits only inside the
 * `kpi-*` elements), click-through and conversion, events/s, consumer lag, and how
 * old the newest event is.
 *
 * Preact renders the strip once (on the server, then hydrated); after that every new
 * number is written straight into the text that changed ({@linkcode KpiStrip.show}),
 * so a live update costs a handful of DOM writes, not a render of the strip.
 *
 * @module
 */
import { Component } from "preact";
import {
  clickThroughRate,
  conversionRate,
  type Summary,
  sumProducts,
} from "../../lib/dashboard/model.ts";
import { TITLE_LABELS } from "../../lib/core/labels.ts";
import { Count, setText, writeCount } from "./Count.tsx";
import { formatAge, formatCount, formatPercent } from "./format.ts";

/** Props of {@linkcode KpiStrip}. */
export interface KpiStripProps {
  summary: Summary;
  /** Events per second measured from live updates, when connected long enough. */
  liveRate: number | null;
  /** The current time (ms), ticking each second for the age. */
  now: number;
}

/** Today's counts, one card each, in funnel order. */
const COUNT_KPIS = [
  { name: "shows", title: "banner_show" },
  { name: "clicks", title: "banner_click" },
  { name: "orders", title: "order" },
] as const;
type CountName = typeof COUNT_KPIS[number]["name"];
type TextName = "ctr" | "conversion" | "rate" | "lag" | "age";

/** What the strip shows for `props`: counts as numbers, the rest as text. */
function kpiValues({ summary, liveRate, now }: KpiStripProps) {
  const today = sumProducts(summary.today.counts);
  const rate = liveRate ?? summary.eventsPerSecond;
  return {
    label: `Today, ${summary.today.day}`,
    counts: { shows: today.banner_show, clicks: today.banner_click, orders: today.order },
    texts: {
      ctr: formatPercent(clickThroughRate(today)),
      conversion: formatPercent(conversionRate(today)),
      rate: rate < 10 ? rate.toFixed(1) : formatCount(Math.round(rate)),
      lag: summary.lag === null ? "–" : formatCount(summary.lag),
      age: formatAge(summary.lastEventAt, now),
    },
    ageTitle: summary.lastEventAt ?? "",
  };
}

/** The row of KPI cards. */
export class KpiStrip extends Component<KpiStripProps> {
  #section: HTMLElement | null = null;
  #counts: Partial<Record<CountName, HTMLElement>> = {};
  #texts: Partial<Record<TextName, HTMLElement>> = {};
  /** What the DOM shows now (starts as the first render's values). */
  #shown = kpiValues(this.props);

  /**
   * Shows new numbers: writes only the text that differs from what is on screen. Called
   * by the dashboard on each live message, and by Preact instead of a re-render.
   */
  show(props: KpiStripProps): void {
    const next = kpiValues(props);
    const shown = this.#shown;
    for (const { name } of COUNT_KPIS) {
      const element = this.#counts[name];
      if (element && next.counts[name] !== shown.counts[name]) {
        writeCount(element, next.counts[name]);
      }
    }
    for (const name of ["ctr", "conversion", "rate", "lag", "age"] as const) {
      const element = this.#texts[name];
      if (element && next.texts[name] !== shown.texts[name]) setText(element, next.texts[name]);
    }
    if (next.ageTitle !== shown.ageTitle) this.#texts.age?.setAttribute("title", next.ageTitle);
    if (next.label !== shown.label) this.#section?.setAttribute("aria-label", next.label);
    this.#shown = next;
  }

  override shouldComponentUpdate(next: KpiStripProps): boolean {
    this.show(next);
    return false;
  }

  render() {
    const { label, counts, texts, ageTitle } = this.#shown;
    const count = (name: CountName) => (element: HTMLElement | null) => {
      if (element) this.#counts[name] = element;
    };
    const text = (name: TextName) => (element: HTMLElement | null) => {
      if (element) this.#texts[name] = element;
    };
    return (
      <section
        class="kpis"
        aria-label={label}
        ref={(e) => {
          this.#section = e;
        }}
      >
        {COUNT_KPIS.map(({ name, title }) => (
          <div class="kpi" key={name}>
            <div class="kpi-label">{TITLE_LABELS[title]} today</div>
            <Count
              value={counts[name]}
              testid={`kpi-${name}`}
              class="kpi-value"
              elementRef={count(name)}
            />
          </div>
        ))}
        <div class="kpi">
          <div class="kpi-label">Click-through</div>
          <div class="kpi-value" data-testid="kpi-ctr" ref={text("ctr")}>{texts.ctr}</div>
        </div>
        <div class="kpi">
          <div class="kpi-label">Conversion</div>
          <div class="kpi-value" data-testid="kpi-conversion" ref={text("conversion")}>
            {texts.conversion}
          </div>
        </div>
        <div class="kpi small">
          <div class="kpi-label">Events/s now</div>
          <div class="kpi-value" data-testid="kpi-rate" ref={text("rate")}>{texts.rate}</div>
        </div>
        <div class="kpi small">
          <div class="kpi-label">Consumer lag</div>
          <div class="kpi-value" data-testid="kpi-lag" ref={text("lag")}>{texts.lag}</div>
        </div>
        <div class="kpi small">
          <div class="kpi-label">Data as of</div>
          <div class="kpi-value" data-testid="kpi-age" title={ageTitle} ref={text("age")}>
            {texts.age}
          </div>
        </div>
      </section>
    );
  }
}
