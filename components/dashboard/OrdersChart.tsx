/**
 * Orders over time by category: a uPlot line chart (one colour per category), its
 * legend, and a tooltip following the cursor. uPlot needs the DOM, so the server
 * renders an empty frame of the same size and the chart is built after hydration.
 *
 * @module
 */
import { useLayoutEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import { type Product, PRODUCTS } from "../../lib/core/event.ts";
import { type Summary } from "../../lib/dashboard/model.ts";
import { zoneOffset } from "../../lib/core/calendar.ts";
import { CATEGORY_COLORS } from "./colors.ts";
import { formatCount } from "./format.ts";
import { CATEGORY_LABELS } from "../../lib/core/labels.ts";

/** Props of {@linkcode OrdersChart}. */
export interface OrdersChartProps {
  /** Changed in place by live deltas; the chart redraws when its series did. */
  summary: Summary;
}

const HEIGHT = 260;

function visibleProducts(summary: Summary): Product[] {
  return summary.query.products.length > 0 ? summary.query.products : [...PRODUCTS];
}

function chartData(summary: Summary, products: Product[]): uPlot.AlignedData {
  return [summary.series.t, ...products.map((p) => summary.series.orders[p])];
}

/** How the tooltip names a bucket: its time, its day, "week of" its Monday, or its month. */
function bucketLabel(
  timeZone: string,
  granularity: Summary["granularity"],
): (t: number) => string {
  const format = new Intl.DateTimeFormat(
    "en-GB",
    granularity === "minute" || granularity === "hour"
      ? { timeZone, month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" }
      : granularity === "month"
      ? { timeZone, month: "long", year: "numeric" }
      : { timeZone, dateStyle: "medium" },
  );
  const prefix = granularity === "week" ? "Week of " : "";
  return (t) => prefix + format.format(new Date(t * 1000));
}

function tooltipPlugin(timeZone: string, granularity: Summary["granularity"]): uPlot.Plugin {
  let tip: HTMLDivElement;
  const label = bucketLabel(timeZone, granularity);
  return {
    hooks: {
      init(u) {
        tip = document.createElement("div");
        tip.className = "chart-tip";
        tip.style.display = "none";
        u.over.appendChild(tip);
        u.over.addEventListener("mouseleave", () => tip.style.display = "none");
      },
      setCursor(u) {
        const i = u.cursor.idx;
        if (i == null || u.cursor.left == null || u.cursor.left < 0) {
          tip.style.display = "none";
          return;
        }
        const rows = u.series.slice(1).map((s, k) =>
          `<div><span class="dot" style="background:${s.stroke}"></span>${s.label}: <b>${
            formatCount((u.data[k + 1][i] as number) ?? 0)
          }</b></div>`
        );
        tip.innerHTML = `<div class="tip-time">${label(u.data[0][i])}</div>${rows.join("")}`;
        tip.style.display = "block";
        const left = u.cursor.left + 12;
        tip.style.left = `${Math.min(left, u.over.clientWidth - tip.offsetWidth - 4)}px`;
        tip.style.top = `${Math.max(0, (u.cursor.top ?? 0) - tip.offsetHeight - 8)}px`;
      },
    },
  };
}

/**
 * uPlot's `tzDate`: a Date whose local fields show the wall clock in `timeZone`.
 * uPlot.tzDate builds a formatter per call (toLocaleString with a zone), which made
 * each redraw of a day of minutes cost ~20 ms; offsets here are cached per hour.
 */
function zonedDates(timeZone: string): (ts: number) => Date {
  const offsets = new Map<number, number>();
  return (ts) => {
    const ms = ts * 1000;
    const hour = Math.floor(ms / 3_600_000);
    let offset = offsets.get(hour);
    if (offset === undefined) {
      offset = zoneOffset(ms, timeZone);
      if (offsets.size > 10_000) offsets.clear();
      offsets.set(hour, offset);
    }
    const wall = new Date(ms + offset);
    return new Date(wall.getTime() + wall.getTimezoneOffset() * 60_000);
  };
}

/** The orders line chart. */
export function OrdersChart({ summary }: OrdersChartProps) {
  const frame = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = `${summary.granularity}|${summary.timeZone}|${visibleProducts(summary).join(",")}`;

  // Rebuild when the series' set or resolution changes; otherwise only setData. Both are
  // layout effects, so a rebuild runs before the setData below, never after it.
  useLayoutEffect(() => {
    const element = frame.current;
    if (!element) return;
    const products = visibleProducts(summary);
    const options: uPlot.Options = {
      width: element.clientWidth || 600,
      height: HEIGHT,
      tzDate: zonedDates(summary.timeZone),
      legend: { live: true },
      // No drag-zoom: live data resets the scales every redraw.
      cursor: { drag: { x: false, y: false } },
      scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] } },
      axes: [
        { stroke: "#5b6477", grid: { stroke: "#eef0f5" } },
        {
          stroke: "#5b6477",
          grid: { stroke: "#eef0f5" },
          size: 56,
          values: (_u, ticks) => ticks.map((v) => formatCount(v)),
        },
      ],
      series: [
        {},
        ...products.map((p) => ({
          label: CATEGORY_LABELS[p],
          stroke: CATEGORY_COLORS[p],
          // Minute buckets over a day are dense: thinner lines keep the categories apart.
          width: summary.granularity === "minute" ? 1.25 : 2,
          points: { show: summary.series.t.length <= 16 },
          value: (_u: uPlot, v: number | null) => v == null ? "–" : formatCount(v),
        })),
      ],
      plugins: [tooltipPlugin(summary.timeZone, summary.granularity)],
    };
    const u = new uPlot(options, chartData(summary, products), element);
    plot.current = u;
    const resize = new ResizeObserver(() => {
      if (element.clientWidth > 0) u.setSize({ width: element.clientWidth, height: HEIGHT });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [shape]);

  const total = visibleProducts(summary).reduce(
    (sum, p) => sum + summary.series.orders[p].reduce((a, b) => a + b, 0),
    0,
  );
  // Deltas only add orders and buckets, so the total and the bucket count tell whether
  // the series changed: a redraw without a new order leaves the canvas alone. A layout
  // effect, so the canvas is drawn in the same task, and frame, as the rest of the page
  // (an effect would run after that frame and cost a frame of its own).
  useLayoutEffect(() => {
    plot.current?.setData(chartData(summary, visibleProducts(summary)));
  }, [summary, total, summary.series.t.length]);
  return (
    <div
      class="orders-chart"
      ref={frame}
      data-testid="orders-chart"
      data-granularity={summary.granularity}
      data-points={summary.series.t.length}
      data-total={total}
      style={{ minHeight: `${HEIGHT + 40}px` }}
    />
  );
}
