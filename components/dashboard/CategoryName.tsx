/**
 * A category's coloured dot and name, as every table and the ticker show it.
 *
 * @module
 */
import { type Product } from "../../lib/core/event.ts";
import { CATEGORY_LABELS } from "../../lib/core/labels.ts";
import { CATEGORY_COLORS } from "./colors.ts";

/** A coloured dot and the category's name. */
export function CategoryName(props: { product: Product }) {
  return (
    <span class="cat">
      <span class="dot" style={{ background: CATEGORY_COLORS[props.product] }} />
      {CATEGORY_LABELS[props.product]}
    </span>
  );
}
