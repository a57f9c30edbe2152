/**
 * Calendar days in a time zone: the `YYYY-MM-DD` arithmetic (days, months, ISO weeks)
 * and where a zone's midnight falls, across DST changes. Pure and browser-safe: the
 * dashboard's server reads and its islands use the same rules.
 *
 * @module
 */

/** A resolved range of calendar days (inclusive) in `ANALYTICS_TZ`. */
export interface DayRange {
  from: string;
  to: string;
}

/** True for a `YYYY-MM-DD` text that names a real calendar day (not 2026-02-30). */
export function isCalendarDay(day: string): boolean {
  const date = new Date(`${day}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === day;
}

const DAY_FORMAT = zoneFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit" });

/** The calendar day (`YYYY-MM-DD`) of `instant` in `timeZone`. */
export function dayIn(instant: Date | number, timeZone: string): string {
  // en-CA formats dates as YYYY-MM-DD.
  const format = DAY_FORMAT(timeZone);
  return format.format(instant);
}

/** `day` plus `n` days (calendar arithmetic on the date alone). */
export function addDays(day: string, n: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + n);
  return date.toISOString().slice(0, 10);
}

/** Days from `from` to `to`, inclusive. */
export function dayCount(range: DayRange): number {
  return Math.round(
    (Date.parse(`${range.to}T00:00:00Z`) - Date.parse(`${range.from}T00:00:00Z`)) / 86_400_000,
  ) + 1;
}

/** `day` plus `n` calendar months, on the same day of the month or the month's last. */
export function addMonths(day: string, n: number): string {
  const [year, month, date] = day.split("-").map(Number);
  const first = new Date(Date.UTC(year, month - 1 + n, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0));
  first.setUTCDate(Math.min(date, last.getUTCDate()));
  return first.toISOString().slice(0, 10);
}

/** The Monday starting the (ISO) week that holds `day`. */
export function weekStartDay(day: string): string {
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay(); // 0 is Sunday
  return addDays(day, -((weekday + 6) % 7));
}

/** The first day of the month that holds `day`. */
export function monthStartDay(day: string): string {
  return `${day.slice(0, 8)}01`;
}

const OFFSET_FORMAT = zoneFormat("en-US", {
  hourCycle: "h23",
  year: "numeric",
  month: "numeric",
  day: "numeric",
  hour: "numeric",
  minute: "numeric",
  second: "numeric",
});

/** The offset of `timeZone` from UTC at `instant`, in milliseconds. */
export function zoneOffset(instant: number, timeZone: string): number {
  const format = OFFSET_FORMAT(timeZone);
  const parts = Object.fromEntries(
    format.formatToParts(instant).map((part) => [part.type, Number(part.value)]),
  );
  const wall = Date.UTC(
    parts.year,
    parts.month - 1,
    parts.day,
    parts.hour,
    parts.minute,
    parts.second,
  );
  return wall - Math.floor(instant / 1000) * 1000;
}

/** The instant (ms) midnight of `day` begins in `timeZone`. */
export function startOfDay(day: string, timeZone: string): number {
  const guess = Date.parse(`${day}T00:00:00Z`);
  const first = guess - zoneOffset(guess, timeZone);
  // Across a DST change the offset at the guess differs from the one at midnight.
  return guess - zoneOffset(first, timeZone);
}

/**
 * A date format of `locale` and `options`, one `Intl.DateTimeFormat` per time zone,
 * made once: building one costs far more than formatting with it (a third of a
 * dashboard tab's render time, when made per call).
 */
export function zoneFormat(
  locale: string,
  options: Omit<Intl.DateTimeFormatOptions, "timeZone">,
): (timeZone: string) => Intl.DateTimeFormat {
  const formats = new Map<string, Intl.DateTimeFormat>();
  return (timeZone) => {
    let format = formats.get(timeZone);
    if (!format) {
      format = new Intl.DateTimeFormat(locale, { ...options, timeZone });
      formats.set(timeZone, format);
    }
    return format;
  };
}
