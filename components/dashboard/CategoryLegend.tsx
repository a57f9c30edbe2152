/**
 * The category legend shared by the charts (one colour per category everywhere).
 *
 * @module
 */
import { type Product, PRODUCTS } from "../../lib/core/event.ts";
import { CategoryName } from "./CategoryName.tsx";

/** A row of category names with their colour. */
export function CategoryLegend(props: { products: Product[] }) {
  const shown = props.products.length > 0 ? props.products : [...PRODUCTS];
  return (
    <div class="legend">
      {shown.map((product) => <CategoryName key={product} product={product} />)}
    </div>
  );
}
