/**
 * The dashboard's CSV export: what the page shows, bucket by bucket, written by
 * Postgres from the rollups.
 *
 * @module
 */
import type { Queryable } from "../db/client.ts";
import { addDays, type DayRange, startOfDay } from "../core/calendar.ts";
import type { SummaryQuery } from "./query.ts";
import { type Granularity, granularityFor } from "./buckets.ts";
import { ROLLUP } from "../rollups/schema.ts";
import { keyFilters, resolveQueryDays } from "./summary.ts";

/** The CSV columns of the export. */
export const EXPORT_COLUMNS = ["period", "product", "site_version", "title", "events"] as const;

/**
 * What the page shows, as CSV lines (`EXPORT_COLUMNS`, CRLF, header included): `sum(n)`
 * per bucket (at the range's granularity, so at most `MAX_POINTS` buckets), category,
 * device and event type, filters applied, in time order; `period` is the bucket's start,
 * ISO UTC (midnight in `ANALYTICS_TZ` for day, week and month buckets). Postgres writes
 * the text: up to 60,000 rows parsed and formatted here would hold the one JavaScript
 * thread for about a second. Throws `BadQueryError` for a range outside the allowed days.
 */
export async function loadExportCsv(
  sql: Queryable,
  query: SummaryQuery,
  options: { timeZone: string; now?: Date },
): Promise<{ range: DayRange; granularity: Granularity; csv: string }> {
  const { today, range } = await resolveQueryDays(sql, query, options);
  const granularity = granularityFor(range, today);
  const start = new Date(startOfDay(range.from, options.timeZone));
  const end = new Date(startOfDay(addDays(range.to, 1), options.timeZone));
  const grouped = granularity === "minute"
    ? sql`
      select minute as period, product, site_version, title, sum(n)::int8 as events
      from ${sql(ROLLUP.minute.table)}
      where minute >= ${start} and minute < ${end} ${keyFilters(sql, query)}
      group by 1, 2, 3, 4`
    : granularity === "hour"
    ? sql`
      select hour as period, product, site_version, title, sum(n)::int8 as events
      from ${sql(ROLLUP.hourly.table)}
      where hour >= ${start} and hour < ${end} ${keyFilters(sql, query)}
      group by 1, 2, 3, 4`
    : sql`
      select date_trunc(${granularity}, day::timestamp) at time zone ${options.timeZone}
          as period,
        product, site_version, title, sum(n)::int8 as events
      from ${sql(ROLLUP.daily.table)}
      where day between ${range.from}::date and ${range.to}::date ${keyFilters(sql, query)}
      group by 1, 2, 3, 4`;
  // Every value is an ISO time, an enum name or an integer: nothing needs quoting.
  const [row] = await sql`
    select string_agg(
      to_char(period at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || ',' || product
        || ',' || site_version || ',' || title || ',' || events,
      E'\r\n' order by period, product, site_version, title) as lines
    from (${grouped}) grouped`;
  const header = EXPORT_COLUMNS.join(",");
  const lines = row.lines as string | null;
  return { range, granularity, csv: lines ? `${header}\r\n${lines}\r\n` : `${header}\r\n` };
}
