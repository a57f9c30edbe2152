/**
 * Labels, colours and number formatting shared by the dashboard's components: one
 * colour per category in every chart, thousands separators drawn by CSS so counters
 * hold digits only (tests and screen readers read plain integers).
 *
 * @module
 */
import type { Ref } from "preact";
import type { Product, SiteVersion } from "../../lib/core/event.ts";
import { CATEGORY_LABELS } from "../../lib/core/labels.ts";

/** The window event the dashboard sends when its range of days changes (`detail`: DayRange). */
export const RANGE_EVENT = "dashboard-range";

/** One colour per category, used by every chart, legend and ticker. */
export const CATEGORY_COLORS: Record<Product, string> = {
  accessories: "#8b5cf6",
  clothes: "#f59e0b",
  electronics: "#2563eb",
  sneakers: "#10b981",
  sports_nutrition: "#e11d48",
};

/** Device colours (not categories, so neutral tones). */
export const DEVICE_COLORS: Record<SiteVersion, string> = {
  desktop: "#334155",
  mobile: "#94a3b8",
};

const grouping = new Intl.NumberFormat("en-US");

/** `1234567` → `"1,234,567"` (for text where markup cannot be used: tooltips, titles). */
export function formatCount(value: number): string {
  return grouping.format(value);
}

/** A rate as a percentage with up to two decimals (`0.0345` → `"3.45%"`). */
export function formatPercent(value: number): string {
  return `${(value * 100).toFixed(value >= 0.1 ? 1 : 2)}%`;
}

/** A change in percentage points, signed (`+0.42 pp`). */
export function formatPointChange(value: number): string {
  const points = value * 100;
  return `${points >= 0 ? "+" : "−"}${Math.abs(points).toFixed(2)} pp`;
}

/** Splits a non-negative integer into groups of three digits (`1234567` → `["1","234","567"]`). */
export function digitGroups(value: number): string[] {
  const digits = String(Math.max(0, Math.round(value)));
  const groups: string[] = [];
  for (let end = digits.length; end > 0; end -= 3) {
    groups.unshift(digits.slice(Math.max(0, end - 3), end));
  }
  return groups;
}

/**
 * An integer whose text content is digits only; the separators between groups are
 * CSS `::before` content (`.count > .g + .g`), visible but not part of the text.
 */
export function Count(
  props: { value: number; testid?: string; class?: string; elementRef?: Ref<HTMLSpanElement> },
) {
  return (
    <span
      ref={props.elementRef}
      class={props.class ? `count ${props.class}` : "count"}
      data-testid={props.testid}
      aria-label={formatCount(props.value)}
    >
      {digitGroups(props.value).map((group, i) => <span key={i} class="g">{group}</span>)}
    </span>
  );
}

/**
 * Shows `value` in an element rendered by {@linkcode Count}, without a render: only
 * the digit groups that changed are written (a counter ticking by one touches one
 * text node), so a live update costs a few DOM writes instead of a diff.
 */
export function writeCount(element: HTMLElement, value: number): void {
  const groups = digitGroups(value);
  const spans = element.children;
  if (spans.length !== groups.length) {
    element.replaceChildren(...groups.map((group) => {
      const span = document.createElement("span");
      span.className = "g";
      span.textContent = group;
      return span;
    }));
  } else {
    for (let i = 0; i < groups.length; i++) setText(spans[i], groups[i]);
  }
  const label = formatCount(value);
  if (element.getAttribute("aria-label") !== label) element.setAttribute("aria-label", label);
}

/**
 * Sets an element's text, changing its text node's data in place when it has exactly
 * one (the layout keeps its text object: cheaper than `textContent`, which replaces the
 * node and so the text's layout object on every write).
 */
export function setText(element: Element, text: string): void {
  const node = element.firstChild;
  if (node !== null && node === element.lastChild && node.nodeType === Node.TEXT_NODE) {
    if ((node as Text).data !== text) (node as Text).data = text;
  } else if (element.textContent !== text) {
    element.textContent = text;
  }
}

/** A coloured dot and the category's name. */
export function CategoryName(props: { product: Product }) {
  return (
    <span class="cat">
      <span class="dot" style={{ background: CATEGORY_COLORS[props.product] }} />
      {CATEGORY_LABELS[props.product]}
    </span>
  );
}

/** How long ago `iso` was, short (`4 s`, `3 min`, `2 h`, `5 d`), from `now` (ms). */
export function formatAge(iso: string | null, now: number): string {
  if (!iso) return "no data";
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400 * 2) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}

const clocks = new Map<string, Intl.DateTimeFormat>();

/** `HH:MM:SS` of `iso` in `timeZone`. */
export function formatClock(iso: string, timeZone: string): string {
  // One formatter per zone: `toLocaleTimeString` with options builds a new one per call
  // (about a third of a tab's render time with the ticker's eight rows).
  let clock = clocks.get(timeZone);
  if (!clock) {
    clock = new Intl.DateTimeFormat("en-GB", {
      timeZone,
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    });
    clocks.set(timeZone, clock);
  }
  return clock.format(new Date(iso));
}
