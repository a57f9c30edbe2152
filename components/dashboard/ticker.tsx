/**
 * The live ticker: the newest events, newest first.
 *
 * @module
 */
import type { TickerEvent } from "../../lib/live_update.ts";
import { CategoryName, DEVICE_LABELS, formatClock, TITLE_LABELS } from "./format.tsx";

/** The list of newest events. */
export function Ticker(props: { events: TickerEvent[]; timeZone: string }) {
  if (props.events.length === 0) {
    return <p class="muted" data-testid="ticker">No events in the last two days yet.</p>;
  }
  return (
    <ol class="ticker" data-testid="ticker">
      {props.events.map((event, i) => (
        <li key={`${event.time}-${i}`} class={`tick ${event.title}`}>
          <time dateTime={event.time}>{formatClock(event.time, props.timeZone)}</time>
          <CategoryName product={event.product} />
          <span class="tick-title">{TITLE_LABELS[event.title]}</span>
          <span class="muted">{DEVICE_LABELS[event.site_version]}</span>
        </li>
      ))}
    </ol>
  );
}
