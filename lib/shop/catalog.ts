/**
 * The shop's catalogue: one product per category, the copy its ad and page show, and
 * the funnel rates the traffic simulator uses for it.
 *
 * @module
 */
import { type Product, PRODUCTS } from "../core/event.ts";

/** What the shop shows for one category. */
export interface CatalogEntry {
  product: Product;
  /** Display name of the category. */
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
  /** Simulator: share of impressions that are clicked. */
  clickRate: number;
  /** Simulator: share of clicks that end in an order. */
  orderRate: number;
}

/** The five categories, in {@linkcode PRODUCTS} order. */
export const CATALOG: Record<Product, CatalogEntry> = {
  accessories: {
    product: "accessories",
    name: "Accessories",
    item: "Everyday leather watch",
    pitch: "A watch that goes with everything. Now 20% off.",
    description: "Brushed steel case, vegetable-tanned strap, 50 m water resistance.",
    price: 89,
    image: "/ads/accessories.svg",
    clickRate: 0.08,
    orderRate: 0.14,
  },
  clothes: {
    product: "clothes",
    name: "Clothes",
    item: "Merino crew sweater",
    pitch: "Warm, light, itch-free. The sweater for every season.",
    description: "Fine merino wool, relaxed fit, five colours, machine washable.",
    price: 69,
    image: "/ads/clothes.svg",
    clickRate: 0.1,
    orderRate: 0.09,
  },
  electronics: {
    product: "electronics",
    name: "Electronics",
    item: "Noise-cancelling headphones",
    pitch: "Silence the commute. 30 hours of battery.",
    description: "Adaptive noise cancelling, USB-C fast charge, folding design.",
    price: 199,
    image: "/ads/electronics.svg",
    clickRate: 0.12,
    orderRate: 0.05,
  },
  sneakers: {
    product: "sneakers",
    name: "Sneakers",
    item: "Trail runner sneakers",
    pitch: "Grip for the trail, comfort for the city.",
    description: "Recycled mesh upper, cushioned midsole, lugged rubber outsole.",
    price: 119,
    image: "/ads/sneakers.svg",
    clickRate: 0.11,
    orderRate: 0.1,
  },
  sports_nutrition: {
    product: "sports_nutrition",
    name: "Sports nutrition",
    item: "Whey protein, vanilla",
    pitch: "25 g of protein per scoop. Mixes in seconds.",
    description: "1 kg pouch, 33 servings, no added sugar, tested for banned substances.",
    price: 34,
    image: "/ads/sports_nutrition.svg",
    clickRate: 0.09,
    orderRate: 0.2,
  },
};

/** The catalogue entry for a URL segment, or undefined for an unknown category. */
export function findCategory(segment: string): CatalogEntry | undefined {
  return (PRODUCTS as readonly string[]).includes(segment)
    ? CATALOG[segment as Product]
    : undefined;
}
