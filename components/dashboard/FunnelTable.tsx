/**
 * The funnel impression → click → order per category, with click-through and
 * conversion, and their change against the previous period of the same length.
 *
 * @module
 */
import { type Product, PRODUCTS } from "../../lib/core/event.ts";
import {
  clickThroughRate,
  conversionRate,
  type Summary,
  sumProducts,
  type TitleCounts,
} from "../../lib/dashboard/model.ts";
import type { ComponentChildren } from "preact";
import { CategoryName } from "./CategoryName.tsx";
import { Count } from "./Count.tsx";
import { formatPercent, formatPointChange } from "./format.ts";

function Change(props: { now: number; before: number | null }) {
  if (props.before === null) return null;
  const diff = props.now - props.before;
  const cls = Math.abs(diff) < 0.00005 ? "flat" : diff > 0 ? "up" : "down";
  return <span class={`change ${cls}`}>{formatPointChange(diff)}</span>;
}

function Row(
  props: {
    label: ComponentChildren;
    now: TitleCounts;
    before: TitleCounts | null;
    total?: boolean;
  },
) {
  const { now, before } = props;
  const hadBefore = before !== null && before.banner_show + before.banner_click + before.order > 0;
  return (
    <tr class={props.total ? "total" : undefined}>
      <th scope="row">{props.label}</th>
      <td>
        <Count value={now.banner_show} />
      </td>
      <td>
        <Count value={now.banner_click} />
      </td>
      <td>
        <Count value={now.order} />
      </td>
      <td>
        {formatPercent(clickThroughRate(now))}
        <Change now={clickThroughRate(now)} before={hadBefore ? clickThroughRate(before!) : null} />
      </td>
      <td>
        {formatPercent(conversionRate(now))}
        <Change now={conversionRate(now)} before={hadBefore ? conversionRate(before!) : null} />
      </td>
    </tr>
  );
}

/** The funnel table for the selected range. */
export function FunnelTable({ summary }: { summary: Summary }) {
  const shown: Product[] = summary.query.products.length > 0
    ? summary.query.products
    : [...PRODUCTS];
  const previous = summary.previous;
  return (
    <div class="table-wrap">
      <table class="funnel" data-testid="funnel">
        <thead>
          <tr>
            <th scope="col">Category</th>
            <th scope="col">Impressions</th>
            <th scope="col">Clicks</th>
            <th scope="col">Orders</th>
            <th scope="col">CTR</th>
            <th scope="col">Conversion</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((product) => (
            <Row
              key={product}
              label={<CategoryName product={product} />}
              now={summary.totals[product]}
              before={previous ? previous[product] : null}
            />
          ))}
          <Row
            total
            label="All"
            now={sumProducts(summary.totals)}
            before={previous ? sumProducts(previous) : null}
          />
        </tbody>
      </table>
    </div>
  );
}
