/**
 * Writes events and their rollup rows in one statement, so the invariant — for every
 * key, `sum(n)` in the rollups equals `count(*)` of `events` — holds at every commit:
 * rollup rows are computed only from the rows the insert actually added (a duplicate
 * `order_id` adds nothing to either). Used by the ingest worker and the bulk loader.
 *
 * @module
 */
import type { Queryable } from "./db.ts";
import type { EcommerceEvent, Product, SiteVersion, Title } from "./event.ts";

/** How long minute rollups are kept (the live charts' window). */
export const MINUTE_WINDOW_HOURS = 48;

/** One rollup delta at minute resolution: what a batch added to a key. */
export interface MinuteDelta {
  /** Start of the minute, ISO UTC. */
  minute: string;
  product: Product;
  site_version: SiteVersion;
  title: Title;
  n: number;
}

/** What one call stored. */
export interface StoreResult {
  /** Rows added to `events` (the batch size minus duplicates). */
  inserted: number;
  /** Per-minute deltas of the inserted rows (any age), for the live NOTIFY. */
  deltas: MinuteDelta[];
}

/**
 * Inserts `events` (duplicates of stored `order_id`s, or within the batch, are
 * skipped) and appends the matching rows to `rollup_daily` (calendar day in
 * `timeZone`), `rollup_hourly` and `rollup_minute` (only inside the 48-hour window).
 * Run it inside the caller's transaction to tie it to offsets or a NOTIFY.
 */
export async function storeEvents(
  tx: Queryable,
  events: readonly EcommerceEvent[],
  timeZone: string,
): Promise<StoreResult> {
  if (events.length === 0) return { inserted: 0, deltas: [] };
  const columns = {
    order_id: [] as string[],
    user_id: [] as string[],
    page_id: [] as string[],
    product: [] as string[],
    site_version: [] as string[],
    time: [] as string[],
    title: [] as string[],
    target: [] as number[],
  };
  for (const event of events) {
    columns.order_id.push(event.order_id);
    columns.user_id.push(event.user_id);
    columns.page_id.push(event.page_id);
    columns.product.push(event.product);
    columns.site_version.push(event.site_version);
    columns.time.push(event.time);
    columns.title.push(event.title);
    columns.target.push(event.target);
  }
  const rows = await tx`
    with source as (
      select * from unnest(
        ${columns.order_id}::uuid[], ${columns.user_id}::uuid[], ${columns.page_id}::uuid[],
        ${columns.product}::text[], ${columns.site_version}::text[],
        ${columns.time}::timestamptz[], ${columns.title}::text[], ${columns.target}::int2[]
      ) as s(order_id, user_id, page_id, product, site_version, event_time, title, target)
    ),
    inserted as (
      insert into events (order_id, user_id, page_id, product, site_version, event_time, title, target)
      select * from source
      on conflict (order_id) do nothing
      returning product, site_version, event_time, title
    ),
    per_minute as (
      select date_trunc('minute', event_time) as minute, product, site_version, title,
        count(*)::int8 as n
      from inserted group by 1, 2, 3, 4
    ),
    daily as (
      insert into rollup_daily (day, product, site_version, title, n)
      select (minute at time zone ${timeZone})::date, product, site_version, title, sum(n)
      from per_minute group by 1, 2, 3, 4
    ),
    hourly as (
      insert into rollup_hourly (hour, product, site_version, title, n)
      select date_trunc('hour', minute), product, site_version, title, sum(n)
      from per_minute group by 1, 2, 3, 4
    ),
    minutely as (
      insert into rollup_minute (minute, product, site_version, title, n)
      select minute, product, site_version, title, n from per_minute
      where minute >= now() - make_interval(hours => ${MINUTE_WINDOW_HOURS})
    )
    select minute, product, site_version, title, n from per_minute`;
  let inserted = 0;
  const deltas = rows.map((row) => {
    inserted += row.n as number;
    return {
      minute: (row.minute as Date).toISOString(),
      product: row.product as Product,
      site_version: row.site_version as SiteVersion,
      title: row.title as Title,
      n: row.n as number,
    };
  });
  return { inserted, deltas };
}
