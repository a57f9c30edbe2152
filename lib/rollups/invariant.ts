/**
 * The system's invariant as one read-only check: for every key, `sum(n)` in
 * `rollup_daily` and `rollup_hourly` — and in `rollup_minute` inside its window —
 * equals `count(*)` of `events`. Tests run it after crashes and rebalances; an
 * operator can run it any time (`deno task merge --check`). Buckets that touch a month
 * retention dropped (`events_retired_months`) are left out: their raw events are gone
 * on purpose while their rollup rows stay.
 *
 * @module
 */
import type { Queryable } from "../db/client.ts";
import { MINUTE_WINDOW_HOURS, ROLLUP, type RollupTable } from "./schema.ts";

/** One key whose rollup total differs from the events' count. */
export interface InvariantViolation {
  table: RollupTable;
  /** The key's time bucket (ISO; a date for the daily rollup). */
  bucket: string;
  product: string;
  site_version: string;
  title: string;
  /** `count(*)` of events for the key. */
  events: number;
  /** `sum(n)` of the rollup for the key. */
  rollup: number;
}

/** The result of {@linkcode checkInvariant}. */
export interface InvariantReport {
  /** Rows in `events`. */
  events: number;
  /** `sum(n)` over each rollup (the minute rollup inside the checked window). */
  totals: { daily: number; hourly: number; minute: number; minuteEvents: number };
  violations: InvariantViolation[];
}

/**
 * Compares every rollup with `events`, in one REPEATABLE READ snapshot when `sql` is a
 * pool (so concurrent ingestion cannot skew the comparison). The minute rollup is
 * checked for minutes at least an hour inside the window, away from the boundary
 * that moves while the check runs.
 */
export async function checkInvariant(
  sql: Queryable,
  timeZone = "UTC",
): Promise<InvariantReport> {
  const run = async (tx: Queryable): Promise<InvariantReport> => {
    const windowHours = MINUTE_WINDOW_HOURS - 1;
    const rows = await tx`
      with ev as (
        select date_trunc('minute', event_time) as minute, product, site_version, title,
          count(*)::int8 as n
        from events group by 1, 2, 3, 4
      ),
      retired as (
        select month::timestamp at time zone 'UTC' as lo,
          (month + interval '1 month')::timestamp at time zone 'UTC' as hi
        from events_retired_months
      ),
      daily as (
        select ${ROLLUP.daily.table}::text as tbl, coalesce(e.day, r.day)::text as bucket,
          coalesce(e.product, r.product) as product,
          coalesce(e.site_version, r.site_version) as site_version,
          coalesce(e.title, r.title) as title, coalesce(e.n, 0) as events, coalesce(r.n, 0) as rollup
        from (select (minute at time zone ${timeZone})::date as day, product, site_version, title,
                sum(n) as n from ev group by 1, 2, 3, 4) e
        full join (select day, product, site_version, title, sum(n) as n
                   from ${tx(ROLLUP.daily.table)} group by 1, 2, 3, 4) r
          using (day, product, site_version, title)
        where e.n is distinct from r.n and not exists (select 1 from retired
          where (coalesce(e.day, r.day)::timestamp at time zone ${timeZone}) < retired.hi
            and ((coalesce(e.day, r.day) + 1)::timestamp at time zone ${timeZone}) > retired.lo)
      ),
      hourly as (
        select ${ROLLUP.hourly.table}::text, coalesce(e.hour, r.hour)::text,
          coalesce(e.product, r.product), coalesce(e.site_version, r.site_version),
          coalesce(e.title, r.title), coalesce(e.n, 0), coalesce(r.n, 0)
        from (select date_trunc('hour', minute) as hour, product, site_version, title,
                sum(n) as n from ev group by 1, 2, 3, 4) e
        full join (select hour, product, site_version, title, sum(n) as n
                   from ${tx(ROLLUP.hourly.table)} group by 1, 2, 3, 4) r
          using (hour, product, site_version, title)
        where e.n is distinct from r.n and not exists (select 1 from retired
          where coalesce(e.hour, r.hour) >= retired.lo and coalesce(e.hour, r.hour) < retired.hi)
      ),
      minutely as (
        select ${ROLLUP.minute.table}::text, coalesce(e.minute, r.minute)::text,
          coalesce(e.product, r.product), coalesce(e.site_version, r.site_version),
          coalesce(e.title, r.title), coalesce(e.n, 0), coalesce(r.n, 0)
        from (select * from ev
              where minute >= now() - make_interval(hours => ${windowHours})) e
        full join (select minute, product, site_version, title, sum(n) as n
                   from ${tx(ROLLUP.minute.table)}
                   where minute >= now() - make_interval(hours => ${windowHours})
                   group by 1, 2, 3, 4) r
          using (minute, product, site_version, title)
        where e.n is distinct from r.n and not exists (select 1 from retired
          where coalesce(e.minute, r.minute) >= retired.lo
            and coalesce(e.minute, r.minute) < retired.hi)
      )
      select * from daily union all select * from hourly union all select * from minutely`;
    const [totals] = await tx`
      select
        (select count(*) from events)::int8 as events,
        (select coalesce(sum(n), 0) from ${tx(ROLLUP.daily.table)})::int8 as daily,
        (select coalesce(sum(n), 0) from ${tx(ROLLUP.hourly.table)})::int8 as hourly,
        (select coalesce(sum(n), 0) from ${tx(ROLLUP.minute.table)}
          where minute >= now() - make_interval(hours => ${windowHours}))::int8 as minute,
        (select count(*) from events
          where date_trunc('minute', event_time) >= now() - make_interval(hours => ${windowHours})
        )::int8 as minute_events`;
    return {
      events: totals.events,
      totals: {
        daily: totals.daily,
        hourly: totals.hourly,
        minute: totals.minute,
        minuteEvents: totals.minute_events,
      },
      violations: rows.map((row) => ({
        table: row.tbl,
        bucket: row.bucket,
        product: row.product,
        site_version: row.site_version,
        title: row.title,
        events: Number(row.events),
        rollup: Number(row.rollup),
      })),
    };
  };
  if ("begin" in sql) {
    return await sql.begin("isolation level repeatable read read only", (tx) => run(tx));
  }
  return await run(sql);
}
