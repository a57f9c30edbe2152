/**
 * Today's counts by category × event type, as grouped bars (the original dashboard's
 * main chart): one group per event type, one bar per category in its colour. Each
 * group has its own scale, since impressions outnumber orders by orders of magnitude.
 * Plain HTML, so it renders on the server and needs no canvas.
 *
 * @module
 */
import { type Product, PRODUCTS, TITLES } from "../../lib/core/event.ts";
import type { ProductCounts } from "../../lib/dashboard/model.ts";
import { CATEGORY_COLORS } from "./colors.ts";
import { formatCount } from "./format.ts";
import { CATEGORY_LABELS, TITLE_LABELS } from "../../lib/core/labels.ts";

/** Props of {@linkcode CategoryBars}. */
export interface CategoryBarsProps {
  counts: ProductCounts;
  /** Categories shown (the filter); all when empty. */
  products: Product[];
}

/** The grouped bar chart. */
export function CategoryBars({ counts, products }: CategoryBarsProps) {
  const shown = products.length > 0 ? products : [...PRODUCTS];
  return (
    <div
      class="bars"
      data-testid="category-bars"
      role="img"
      aria-label="Today by category and event type"
    >
      {TITLES.map((title) => {
        const max = Math.max(1, ...shown.map((p) => counts[p][title]));
        return (
          <div class="bar-group" key={title}>
            <div class="bar-plot">
              {shown.map((product) => {
                const value = counts[product][title];
                return (
                  <div
                    class="bar-slot"
                    key={product}
                    title={`${CATEGORY_LABELS[product]} · ${TITLE_LABELS[title]}: ${
                      formatCount(value)
                    }`}
                  >
                    <span class="bar-value">{formatCount(value)}</span>
                    <div
                      class="bar"
                      data-testid={`bar-${product}-${title}`}
                      data-value={value}
                      style={{
                        height: `${(value / max) * 100}%`,
                        background: CATEGORY_COLORS[product],
                      }}
                    />
                  </div>
                );
              })}
            </div>
            <div class="bar-label">{TITLE_LABELS[title]}</div>
          </div>
        );
      })}
    </div>
  );
}
