/**
 * The shop's catalogue: one product per category and the copy its ad and page show
 * (how visitors respond to them is the synthetic model's, `lib/synth/model.ts`).
 *
 * @module
 */
import { type Product, PRODUCTS } from "../core/event.ts";
import { CATEGORY_LABELS } from "../core/labels.ts";

/** What the shop shows for one category. */
export interface CatalogEntry {
  product: Product;
  /** Display name of the category (`CATEGORY_LABELS`). */
  name: string;
  /** The product on offer. */
  item: string;
  /** The ad's one-line pitch. */
  pitch: string;
  /** The product page's description. */
  description: string;
  /** Price in euros. */
  price: number;
  /** The ad's picture (our own SVG under `static/ads/`). */
  image: string;
}

/** The five categories, in {@linkcode PRODUCTS} order. */
export const CATALOG: Record<Product, CatalogEntry> = {
  accessories: {
    product: "accessories",
    name: CATEGORY_LABELS.accessories,
    item: "Everyday leather watch",
    pitch: "A watch that goes with everything. Now 20% off.",
    description: "Brushed steel case, vegetable-tanned strap, 50 m water resistance.",
    price: 89,
    image: "/ads/accessories.svg",
  },
  clothes: {
    product: "clothes",
    name: CATEGORY_LABELS.clothes,
    item: "Merino crew sweater",
    pitch: "Warm, light, itch-free. The sweater for every season.",
    description: "Fine merino wool, relaxed fit, five colours, machine washable.",
    price: 69,
    image: "/ads/clothes.svg",
  },
  electronics: {
    product: "electronics",
    name: CATEGORY_LABELS.electronics,
    item: "Noise-cancelling headphones",
    pitch: "Silence the commute. 30 hours of battery.",
    description: "Adaptive noise cancelling, USB-C fast charge, folding design.",
    price: 199,
    image: "/ads/electronics.svg",
  },
  sneakers: {
    product: "sneakers",
    name: CATEGORY_LABELS.sneakers,
    item: "Trail runner sneakers",
    pitch: "Grip for the trail, comfort for the city.",
    description: "Recycled mesh upper, cushioned midsole, lugged rubber outsole.",
    price: 119,
    image: "/ads/sneakers.svg",
  },
  sports_nutrition: {
    product: "sports_nutrition",
    name: CATEGORY_LABELS.sports_nutrition,
    item: "Whey protein, vanilla",
    pitch: "25 g of protein per scoop. Mixes in seconds.",
    description: "1 kg pouch, 33 servings, no added sugar, tested for banned substances.",
    price: 34,
    image: "/ads/sports_nutrition.svg",
  },
};

/** The catalogue entry for a URL segment, or undefined for an unknown category. */
export function findCategory(segment: string): CatalogEntry | undefined {
  return (PRODUCTS as readonly string[]).includes(segment)
    ? CATALOG[segment as Product]
    : undefined;
}
