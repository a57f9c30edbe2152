/**
 * What the original project computed with Spark, from the database: row count and
 * date range, events by title, product and device, the funnel (click-through rate =
 * clicks/shows, conversion = orders/clicks) by product and by device, and the top
 * users and pages. Everything that a rollup key can answer comes from `rollup_daily`
 * (a few thousand rows); only the top users and pages, which no rollup keeps, scan
 * `events` (helped by the `events_user_id` index). Used by `deno task stats` and the
 * dashboard's explore panel.
 *
 * @module
 */
import type { Queryable } from "../db/client.ts";
import { PRODUCTS, SITE_VERSIONS, type Title, TITLES } from "../core/event.ts";
import type { Funnel, Stats } from "./stats_report.ts";
import { ROLLUP } from "../rollups/schema.ts";

export type { Funnel, Stats };

/** Options for {@linkcode computeStats}. */
export interface StatsOptions {
  /** First day included (`YYYY-MM-DD`, a calendar day in `timeZone`). */
  from?: string;
  /** Last day included (`YYYY-MM-DD`). */
  to?: string;
  /** `ANALYTICS_TZ`, the calendar of the daily rollup and of from/to; default UTC. */
  timeZone?: string;
  /** How many top users and pages; default 5. */
  top?: number;
}

/** Thrown for an invalid option; the message names it. */
export class StatsOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StatsOptionError";
  }
}

function checkDay(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const date = match ? new Date(`${value}T00:00:00Z`) : undefined;
  if (!date || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) {
    throw new StatsOptionError(`Invalid --${name} "${value}": expected a date as YYYY-MM-DD`);
  }
  return value;
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, performance.now() - started];
}

function funnel(shows: number, clicks: number, orders: number): Funnel {
  return {
    shows,
    clicks,
    orders,
    ctr: shows > 0 ? clicks / shows : null,
    conversion: clicks > 0 ? orders / clicks : null,
  };
}

/** Computes the statistics for the whole data set or a range of days. */
export async function computeStats(sql: Queryable, options: StatsOptions = {}): Promise<Stats> {
  const from = checkDay("from", options.from);
  const to = checkDay("to", options.to);
  if (from && to && from > to) {
    throw new StatsOptionError(`Invalid range "${from}".."${to}": --from is after --to`);
  }
  const timeZone = options.timeZone ?? "UTC";
  const top = options.top ?? 5;
  const started = performance.now();
  // Day bounds as instants, for the queries on events and the hourly rollup.
  const start = from
    ? sql`(${from}::date)::timestamp at time zone ${timeZone}`
    : sql`'-infinity'::timestamptz`;
  const end = to
    ? sql`(${to}::date + 1)::timestamp at time zone ${timeZone}`
    : sql`'infinity'::timestamptz`;
  // No filter at all without a range: the top-users index-only scan then reads just
  // the index.
  const timeWhere = from || to ? sql`where event_time >= ${start} and event_time < ${end}` : sql``;
  const dayFilter = sql`day >= coalesce(${from ?? null}::date, '-infinity') and day <= coalesce(${
    to ?? null
  }::date, 'infinity')`;

  // The busiest ids of `column`; an id is formatted only for the winners, not for each
  // of millions of groups.
  const topIds = (column: "user_id" | "page_id") =>
    sql`
    select replace(${sql(column)}::text, '-', '') as id, n from (
      select ${sql(column)}, count(*)::int8 as n from events ${timeWhere}
      group by 1 order by n desc, 1 limit ${top}
    ) t order by n desc, id`;
  const [[keys, rollupsMs], [range, rangeMs], [users, usersMs], [pages, pagesMs]] = await Promise
    .all([
      timed(() =>
        sql`
        select product, site_version, title, sum(n)::int8 as n from ${sql(ROLLUP.daily.table)}
        where ${dayFilter} group by 1, 2, 3`
      ),
      timed(async () => {
        // The hourly rollup narrows the first and last hour; the BRIN index on
        // event_time makes reading those two hours of events cheap.
        const [hours] = await sql`
        select min(hour) as first, max(hour) as last from ${sql(ROLLUP.hourly.table)}
        where hour >= date_trunc('hour', ${start}) and hour < ${end}`;
        if (!hours.first) return { first: null, last: null };
        const [row] = await sql`
        select
          (select min(event_time) from events
            where event_time >= greatest(${hours.first}::timestamptz, ${start})
              and event_time < ${hours.first}::timestamptz + interval '1 hour') as first,
          (select max(event_time) from events
            where event_time >= ${hours.last}::timestamptz
              and event_time < least(${hours.last}::timestamptz + interval '1 hour', ${end})) as last`;
        return { first: row.first as Date | null, last: row.last as Date | null };
      }),
      timed(() => topIds("user_id")),
      timed(() => topIds("page_id")),
    ]);

  const byTitle = Object.fromEntries(TITLES.map((t) => [t, 0])) as Record<Title, number>;
  const perProduct = new Map(PRODUCTS.map((p) => [p, { shows: 0, clicks: 0, orders: 0, all: 0 }]));
  const perSite = new Map(
    SITE_VERSIONS.map((s) => [s, { shows: 0, clicks: 0, orders: 0, all: 0 }]),
  );
  let events = 0;
  for (const key of keys) {
    const n = key.n as number;
    events += n;
    byTitle[key.title as Title] += n;
    for (const group of [perProduct.get(key.product), perSite.get(key.site_version)]) {
      if (!group) continue;
      group.all += n;
      if (key.title === "banner_show") group.shows += n;
      else if (key.title === "banner_click") group.clicks += n;
      else if (key.title === "order") group.orders += n;
    }
  }
  const share = (n: number) => events > 0 ? n / events : null;
  return {
    from: from ?? null,
    to: to ?? null,
    timeZone,
    events,
    firstEvent: range.first ? range.first.toISOString() : null,
    lastEvent: range.last ? range.last.toISOString() : null,
    byTitle,
    byProduct: [...perProduct].map(([product, g]) => ({
      product,
      events: g.all,
      share: share(g.all),
    }))
      .sort((a, b) => b.events - a.events),
    bySiteVersion: [...perSite].map(([site_version, g]) => ({
      site_version,
      events: g.all,
      share: share(g.all),
    })),
    funnelByProduct: [...perProduct].map(([product, g]) => ({
      product,
      ...funnel(g.shows, g.clicks, g.orders),
    })),
    funnelBySiteVersion: [...perSite].map(([site_version, g]) => ({
      site_version,
      ...funnel(g.shows, g.clicks, g.orders),
    })),
    topUsers: users.map((row) => ({ user_id: row.id as string, events: row.n as number })),
    topPages: pages.map((row) => ({ page_id: row.id as string, events: row.n as number })),
    timings: {
      rollups: Math.round(rollupsMs),
      range: Math.round(rangeMs),
      topUsers: Math.round(usersMs),
      topPages: Math.round(pagesMs),
      total: Math.round(performance.now() - started),
    },
  };
}
