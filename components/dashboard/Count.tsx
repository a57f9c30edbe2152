/**
 * Counters written without a render: {@linkcode Count} draws an integer as digit groups,
 * {@linkcode writeCount} and {@linkcode setText} change only the text that changed
 * (a live update costs a few DOM writes instead of a diff).
 *
 * @module
 */
import { digitGroups, formatCount } from "./format.ts";
import { type Ref } from "preact";

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
