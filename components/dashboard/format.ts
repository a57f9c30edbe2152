/**
 * Number and time formats of the dashboard: thousands separators, percentages, digit
 * groups (separators come from CSS so counters hold digits only: tests and screen
 * readers read plain integers), ages and clock times in a zone.
 *
 * @module
 */
import { zoneFormat } from "../../lib/core/calendar.ts";

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

/** How long ago `iso` was, short (`4 s`, `3 min`, `2 h`, `5 d`), from `now` (ms). */
export function formatAge(iso: string | null, now: number): string {
  if (!iso) return "no data";
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400 * 2) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}

const CLOCK_FORMAT = zoneFormat("en-GB", {
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

/** `HH:MM:SS` of `iso` in `timeZone`. */
export function formatClock(iso: string, timeZone: string): string {
  return CLOCK_FORMAT(timeZone).format(new Date(iso));
}
