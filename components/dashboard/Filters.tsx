/**
 * The range picker and the category/device filters. Every control is a real link or
 * form to `/dashboard?…` (works before any script runs, and the URL can be shared);
 * once hydrated, `onNavigate` takes over and the page updates without a reload.
 *
 * @module
 */
import { type Product, PRODUCTS, SITE_VERSIONS, type SiteVersion } from "../../lib/core/event.ts";
import { type RangeName, type SummaryQuery, summarySearch } from "../../lib/dashboard/query.ts";
import { type Summary } from "../../lib/dashboard/model.ts";
import { CATEGORY_COLORS } from "./colors.ts";
import { CATEGORY_LABELS, DEVICE_LABELS } from "../../lib/core/labels.ts";

const RANGE_LABELS: Record<Exclude<RangeName, "custom">, string> = {
  today: "Today",
  yesterday: "Yesterday",
  "7d": "Last 7 days",
  "30d": "Last 30 days",
  all: "All data",
};

/** Props of {@linkcode Filters}. */
export interface FiltersProps {
  summary: Summary;
  /** Called instead of following a link, once hydrated. */
  onNavigate?: (query: SummaryQuery) => void;
}

function toggleProduct(products: Product[], product: Product): Product[] {
  const current = products.length > 0 ? products : [...PRODUCTS];
  const next = current.includes(product)
    ? current.filter((p) => p !== product)
    : [...current, product];
  return next.length === 0 || next.length === PRODUCTS.length
    ? []
    : PRODUCTS.filter((p) => next.includes(p));
}

/** The controls bar. */
export function Filters({ summary, onNavigate }: FiltersProps) {
  const query = summary.query;
  const link = (next: SummaryQuery) => ({
    href: `/dashboard?${summarySearch(next)}`,
    onClick: onNavigate
      ? (event: MouseEvent) => {
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
        event.preventDefault();
        onNavigate(next);
      }
      : undefined,
  });
  const withRange = (range: RangeName): SummaryQuery => ({
    ...query,
    range,
    from: undefined,
    to: undefined,
  });
  const onCustom = (event: Event) => {
    if (!onNavigate) return;
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const from = String(form.get("from") ?? "");
    const to = String(form.get("to") ?? "");
    if (from && to) {
      onNavigate({
        ...query,
        range: "custom",
        from: from <= to ? from : to,
        to: from <= to ? to : from,
      });
    }
  };
  const devices: (SiteVersion | undefined)[] = [undefined, ...SITE_VERSIONS];
  return (
    <nav class="filters" aria-label="Range and filters">
      <div class="seg" role="group" aria-label="Range" data-testid="range-picker">
        {(Object.keys(RANGE_LABELS) as Exclude<RangeName, "custom">[]).map((range) => (
          <a
            key={range}
            {...link(withRange(range))}
            class={query.range === range ? "on" : undefined}
            aria-current={query.range === range ? "true" : undefined}
            data-range={range}
          >
            {RANGE_LABELS[range]}
          </a>
        ))}
      </div>
      <form class="custom" method="get" action="/dashboard" onSubmit={onCustom}>
        <input type="hidden" name="range" value="custom" />
        {query.products.length > 0
          ? <input type="hidden" name="product" value={query.products.join(",")} />
          : null}
        {query.siteVersion
          ? <input type="hidden" name="site_version" value={query.siteVersion} />
          : null}
        <input
          type="date"
          name="from"
          aria-label="From"
          value={summary.range.from}
          min={summary.bounds.from}
          max={summary.bounds.to}
          required
        />
        <span class="muted">to</span>
        <input
          type="date"
          name="to"
          aria-label="To"
          value={summary.range.to}
          min={summary.bounds.from}
          max={summary.bounds.to}
          required
        />
        <button type="submit" class={query.range === "custom" ? "on" : undefined}>Apply</button>
      </form>
      <div class="chips" role="group" aria-label="Categories">
        {PRODUCTS.map((product) => {
          const on = query.products.length === 0 || query.products.includes(product);
          return (
            <a
              key={product}
              {...link({ ...query, products: toggleProduct(query.products, product) })}
              class={on ? "chip on" : "chip"}
              style={on ? { borderColor: CATEGORY_COLORS[product] } : undefined}
              aria-pressed={on ? "true" : "false"}
              data-product={product}
            >
              <span class="dot" style={{ background: CATEGORY_COLORS[product] }} />
              {CATEGORY_LABELS[product]}
            </a>
          );
        })}
      </div>
      <div class="seg" role="group" aria-label="Device">
        {devices.map((device) => (
          <a
            key={device ?? "all"}
            {...link({ ...query, siteVersion: device })}
            class={query.siteVersion === device ? "on" : undefined}
            data-device={device ?? "all"}
          >
            {device ? DEVICE_LABELS[device] : "All devices"}
          </a>
        ))}
      </div>
      <a
        class="export"
        href={`/api/export.csv?${summarySearch(query)}`}
        download
        data-testid="export"
      >
        Export CSV
      </a>
    </nav>
  );
}
