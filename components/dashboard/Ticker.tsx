/**
 * The live ticker: the newest events, newest first.
 *
 * @module
 */
import type { TickerEvent } from "../../lib/live/protocol.ts";
import { CategoryName } from "./CategoryName.tsx";
import { formatClock } from "./format.ts";
import { DEVICE_LABELS, TITLE_LABELS } from "../../lib/core/labels.ts";

/** The list of newest events. */
export function Ticker(props: { events: TickerEvent[]; timeZone: string }) {
  if (props.events.length === 0) {
    return <p class="muted" data-testid="ticker">No events in the last two days yet.</p>;
  }
  return (
    <ol class="ticker" data-testid="ticker">
      {
        // Keyed by position: at a thousand events a second every row is new each second,
        // and rewriting the text of eight rows is cheaper than replacing them.
        props.events.map((event, i) => (
          <li key={i} class={`tick ${event.title}`}>
            <time dateTime={event.time}>{formatClock(event.time, props.timeZone)}</time>
            <CategoryName product={event.product} />
            <span class="tick-title">{TITLE_LABELS[event.title]}</span>
            <span class="muted">{DEVICE_LABELS[event.site_version]}</span>
          </li>
        ))
      }
    </ol>
  );
}
