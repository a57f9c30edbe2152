/**
 * The orders series' time buckets: the granularity a range gets (minute to month,
 * within `MAX_POINTS` points) and where each bucket starts in `ANALYTICS_TZ`. Pure and
 * browser-safe: the server's reads and the islands' live updates bucket alike.
 *
 * @module
 */
import {
  addDays,
  addMonths,
  dayCount,
  dayIn,
  type DayRange,
  monthStartDay,
  startOfDay,
  weekStartDay,
} from "../core/calendar.ts";

/**
 * Time-series resolution: minute rollups for today, hourly up to a week, then the
 * finest of day, week (from Monday) and month that keeps the series within
 * {@linkcode MAX_POINTS} (see {@linkcode granularityFor}).
 */
export type Granularity = "minute" | "hour" | "day" | "week" | "month";

/** At most this many buckets in a series (and per key in the CSV export). */
export const MAX_POINTS = 2000;

/**
 * Minute buckets for a range that is today alone, hourly up to 7 days, then daily,
 * weekly or monthly: the finest that keeps the series within {@linkcode MAX_POINTS}
 * (daily up to 2,000 days, weekly up to about 38 years; monthly beyond, which
 * {@linkcode allowedDays} keeps under 2,000 months).
 */
export function granularityFor(range: DayRange, today: string): Granularity {
  if (range.from === today && range.to === today) return "minute";
  const days = dayCount(range);
  if (days <= 7) return "hour";
  if (days <= MAX_POINTS) return "day";
  // A range of d days touches at most ceil(d / 7) + 1 weeks (Monday to Sunday).
  return Math.ceil(days / 7) + 1 <= MAX_POINTS ? "week" : "month";
}

/** The first day of the bucket holding `day`, for the calendar granularities. */
export function bucketDay(day: string, granularity: "day" | "week" | "month"): string {
  return granularity === "day"
    ? day
    : granularity === "week"
    ? weekStartDay(day)
    : monthStartDay(day);
}

/** Start (epoch seconds) of the bucket holding `instant` at `granularity` in `timeZone`. */
export function bucketStart(
  instant: number,
  granularity: Granularity,
  timeZone: string,
): number {
  if (granularity === "minute") return Math.floor(instant / 60_000) * 60;
  if (granularity === "hour") return Math.floor(instant / 3_600_000) * 3600;
  return startOfDay(bucketDay(dayIn(instant, timeZone), granularity), timeZone) / 1000;
}

/** The start (epoch seconds) of the bucket after the one starting at `t`. */
export function nextBucket(t: number, granularity: Granularity, timeZone: string): number {
  if (granularity === "minute") return t + 60;
  if (granularity === "hour") return t + 3600;
  const day = bucketDay(dayIn(t * 1000, timeZone), granularity);
  const next = granularity === "day"
    ? addDays(day, 1)
    : granularity === "week"
    ? addDays(day, 7)
    : addMonths(day, 1);
  return startOfDay(next, timeZone) / 1000;
}
