/**
 * Writes events and their rollup rows in one statement, so the invariant — for every
 * key, `sum(n)` in the rollups equals `count(*)` of `events` — holds at every commit:
 * rollup rows are computed only from the rows the insert actually added (a duplicate
 * `order_id` adds nothing to either). Used by the ingest worker and the bulk loader.
 *
 * @module
 */
import { CopyBatch } from "./copy_batch.ts";
import type { Queryable } from "../db/client.ts";
import { copyFrom } from "../db/copy.ts";
import {
  type EcommerceEvent,
  type Product,
  PRODUCTS,
  SITE_VERSIONS,
  type SiteVersion,
  type Title,
  TITLES,
} from "../core/event.ts";
import { MinuteCounts, type MinuteDelta } from "./minute_counts.ts";
import { isPostgresError, SQLSTATE } from "../db/sqlstate.ts";
import { MINUTE_WINDOW_HOURS, ROLLUP } from "./schema.ts";

export type { MinuteDelta } from "./minute_counts.ts";

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
      on conflict (order_id, event_time) do nothing
      returning product, site_version, event_time, title
    ),
    per_minute as (
      select date_trunc('minute', event_time) as minute, product, site_version, title,
        count(*)::int8 as n
      from inserted group by 1, 2, 3, 4
    ),
    ${rollupsFromPerMinute(tx, timeZone)}`;
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

/**
 * The rollup half of every write, shared so the worker and the bulk loader cannot
 * diverge: given a CTE `per_minute(minute, product, site_version, title, n)` of rows
 * just inserted, appends to the three rollups and selects `per_minute` back (or only
 * one row when the caller has the deltas already).
 */
function rollupsFromPerMinute(tx: Queryable, timeZone: string, selectBack = true) {
  return tx`
    daily as (
      insert into ${tx(ROLLUP.daily.table)} (day, product, site_version, title, n)
      select (minute at time zone ${timeZone})::date, product, site_version, title, sum(n)
      from per_minute group by 1, 2, 3, 4
    ),
    hourly as (
      insert into ${tx(ROLLUP.hourly.table)} (hour, product, site_version, title, n)
      select date_trunc('hour', minute), product, site_version, title, sum(n)
      from per_minute group by 1, 2, 3, 4
    ),
    minutely as (
      insert into ${tx(ROLLUP.minute.table)} (minute, product, site_version, title, n)
      select minute, product, site_version, title, n from per_minute
      where minute >= now() - make_interval(hours => ${MINUTE_WINDOW_HOURS})
    )
    ${
    selectBack
      ? tx`select minute, product, site_version, title, n from per_minute`
      // Data-modifying CTEs run to completion whether or not the query reads them.
      : tx`select 1 as done`
  }`;
}

/**
 * Folds events into per-minute counts, the same buckets as `date_trunc('minute')` of
 * their UTC time. Used when the rows are known to be inserted (after a COPY).
 */
export function minuteDeltas(events: readonly EcommerceEvent[]): MinuteDelta[] {
  const counts = new MinuteCounts();
  for (const e of events) counts.addEvent(e.time, e.product, e.site_version, e.title);
  return counts.deltas();
}

/**
 * Appends rollup rows for events already inserted in the caller's transaction,
 * given as per-minute counts; the same SQL as {@linkcode storeEvents} computes the
 * daily, hourly and minute rows from them.
 */
export async function appendRollups(
  tx: Queryable,
  counts: MinuteCounts,
  timeZone: string,
): Promise<void> {
  if (counts.size === 0) return;
  const c = counts.columns();
  await tx`
    with per_minute as (
      select to_timestamp(m * 60::float8) as minute,
        (${PRODUCTS as readonly string[] as string[]}::text[])[p] as product,
        (${SITE_VERSIONS as readonly string[] as string[]}::text[])[s] as site_version,
        (${TITLES as readonly string[] as string[]}::text[])[t] as title,
        n
      from unnest(
        ${c.minutes}::int4[], ${c.products}::int2[], ${c.sites}::int2[], ${c.titles}::int2[],
        ${c.counts}::int8[]
      ) as d(m, p, s, t, n)
    ),
    ${rollupsFromPerMinute(tx, timeZone, false)}`;
}

/**
 * The bulk loader's fast path: COPYs the events straight into `events` (no staging,
 * no `ON CONFLICT`), then appends their rollups. Valid only when none of the
 * `order_id`s is stored yet: otherwise the COPY fails with a unique violation (code
 * `23505`), the caller's transaction must be rolled back, and {@linkcode storeEvents}
 * (which skips duplicates) used instead. Either way the invariant holds: rollups are
 * appended only if every row went in. {@linkcode isCopyConflict} tells that failure
 * from others. `options.deltas: false` leaves the result's `deltas` empty.
 */
export async function copyNewEvents(
  tx: Queryable,
  events: readonly EcommerceEvent[] | CopyBatch,
  timeZone: string,
  options: { deltas?: boolean } = {},
): Promise<StoreResult> {
  let batch: CopyBatch;
  if (events instanceof CopyBatch) {
    batch = events;
  } else {
    batch = new CopyBatch();
    for (const event of events) batch.add(event);
  }
  if (batch.size === 0) return { inserted: 0, deltas: [] };
  await copyFrom(
    tx`
      copy events (order_id, user_id, page_id, product, site_version, event_time, title, target)
      from stdin`,
    batch.chunks(),
  );
  await appendRollups(tx, batch.counts, timeZone);
  // The bulk loader has no use for them (no NOTIFY): building ~17,000 objects per batch
  // inside its transaction would only hold the connection longer.
  return { inserted: batch.size, deltas: options.deltas === false ? [] : batch.counts.deltas() };
}

/**
 * True for the error {@linkcode copyNewEvents} fails with when a row was already
 * stored (a unique violation, `23505`): retrying with {@linkcode storeEvents} is then
 * correct.
 */
export function isCopyConflict(error: unknown): boolean {
  return isPostgresError(error, SQLSTATE.uniqueViolation);
}
