/**
 * Writes events and their rollup rows in one statement, so the invariant — for every
 * key, `sum(n)` in the rollups equals `count(*)` of `events` — holds at every commit:
 * rollup rows are computed only from the rows the insert actually added (a duplicate
 * `order_id` adds nothing to either). Used by the ingest worker and the bulk loader.
 *
 * @module
 */
import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";
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
  const counts = new Map<string, MinuteDelta>();
  for (const event of events) countMinute(counts, event);
  return [...counts.values()];
}

function countMinute(counts: Map<string, MinuteDelta>, event: EcommerceEvent): void {
  // event.time is canonical ISO UTC (`2019-01-11T09:24:43.000Z`): its first 16
  // characters name the minute, the bucket of date_trunc('minute').
  const minute = event.time.slice(0, 16);
  const key = `${minute}|${event.product}|${event.site_version}|${event.title}`;
  const delta = counts.get(key);
  if (delta) {
    delta.n++;
  } else {
    counts.set(key, {
      minute: `${minute}:00.000Z`,
      product: event.product,
      site_version: event.site_version,
      title: event.title,
      n: 1,
    });
  }
}

/**
 * Appends rollup rows for events already inserted in the caller's transaction,
 * given as per-minute deltas (see {@linkcode minuteDeltas}); the same SQL as
 * {@linkcode storeEvents} computes the daily, hourly and minute rows from them.
 */
export async function appendRollups(
  tx: Queryable,
  deltas: readonly MinuteDelta[],
  timeZone: string,
): Promise<void> {
  if (deltas.length === 0) return;
  await tx`
    with per_minute as (
      select * from unnest(
        ${deltas.map((d) => d.minute)}::timestamptz[], ${deltas.map((d) => d.product)}::text[],
        ${deltas.map((d) => d.site_version)}::text[], ${deltas.map((d) => d.title)}::text[],
        ${deltas.map((d) => d.n)}::int8[]
      ) as d(minute, product, site_version, title, n)
    ),
    ${rollupsFromPerMinute(tx, timeZone, false)}`;
}

/** Rows per write to the COPY stream (~300 KB): few, large socket writes. */
const COPY_ROWS_PER_CHUNK = 2000;

/**
 * Events prepared for {@linkcode copyNewEvents}, compactly: their rows in COPY's text
 * format, joined into ~300 KB strings, and their per-minute counts. A bulk loader
 * holding a batch this way keeps a few large strings instead of ~10 small objects per
 * row, which is most of what its garbage collector would otherwise do.
 */
export class CopyBatch {
  #chunks: string[] = [];
  #rows: string[] = [];
  #size = 0;
  #counts = new Map<string, MinuteDelta>();

  /** Adds one event. */
  add(event: EcommerceEvent): void {
    // Canonical events need no escaping in COPY's text format: hex ids, enum words, ISO
    // times and digits contain no tab, newline or backslash.
    this.#rows.push(
      `${event.order_id}\t${event.user_id}\t${event.page_id}\t${event.product}\t${event.site_version}\t${event.time}\t${event.title}\t${event.target}\n`,
    );
    if (this.#rows.length === COPY_ROWS_PER_CHUNK) this.#seal();
    this.#size++;
    countMinute(this.#counts, event);
  }

  /** Events added. */
  get size(): number {
    return this.#size;
  }

  /** The COPY text, in chunks of up to 2,000 rows. */
  chunks(): string[] {
    this.#seal();
    return this.#chunks;
  }

  /** Per-minute counts of the events (what their rollup rows are computed from). */
  deltas(): MinuteDelta[] {
    return [...this.#counts.values()];
  }

  /** The events back, for {@linkcode storeEvents} when the COPY met a duplicate. */
  events(): EcommerceEvent[] {
    const events: EcommerceEvent[] = [];
    for (const chunk of this.chunks()) {
      for (const line of chunk.split("\n")) {
        if (line === "") continue;
        const [order_id, user_id, page_id, product, site_version, time, title, target] = line
          .split("\t");
        events.push({
          order_id,
          user_id,
          page_id,
          product: product as Product,
          site_version: site_version as SiteVersion,
          time,
          title: title as Title,
          target: target === "1" ? 1 : 0,
        });
      }
    }
    return events;
  }

  #seal(): void {
    // join() makes one flat string, so the per-row strings (and the fields they were
    // built from) become garbage at once instead of being kept alive by a rope.
    if (this.#rows.length > 0) this.#chunks.push(this.#rows.join(""));
    this.#rows = [];
  }
}

/**
 * The bulk loader's fast path: COPYs the events straight into `events` (no staging,
 * no `ON CONFLICT`), then appends their rollups. Valid only when none of the
 * `order_id`s is stored yet: otherwise the COPY fails with a unique violation (code
 * `23505`), the caller's transaction must be rolled back, and {@linkcode storeEvents}
 * (which skips duplicates) used instead. Either way the invariant holds: rollups are
 * appended only if every row went in. {@linkcode isCopyConflict} tells that failure
 * from others.
 */
export async function copyNewEvents(
  tx: Queryable,
  events: readonly EcommerceEvent[] | CopyBatch,
  timeZone: string,
): Promise<StoreResult> {
  let batch: CopyBatch;
  if (events instanceof CopyBatch) {
    batch = events;
  } else {
    batch = new CopyBatch();
    for (const event of events) batch.add(event);
  }
  if (batch.size === 0) return { inserted: 0, deltas: [] };
  const query = tx`
    copy events (order_id, user_id, page_id, product, site_version, event_time, title, target)
    from stdin`;
  // postgres.js reports a COPY error through the stream only while the stream is open;
  // one that arrives after end() reaches nothing but the query's reject (the query
  // itself resolved to the stream long before). Hook it so the failure is seen.
  const internals = query as unknown as { reject: (error: unknown) => void };
  const failed = new Promise<never>((_, reject) => {
    const original = internals.reject;
    internals.reject = (error) => {
      reject(error);
      original(error);
    };
  });
  failed.catch(() => {});
  const stream = await query.writable();
  const done = Promise.race([finished(stream), failed]);
  done.catch(() => {});
  for (const chunk of batch.chunks()) {
    if (stream.destroyed) break;
    if (!stream.write(chunk)) await Promise.race([drained(stream), done]);
  }
  stream.end();
  await done;
  const deltas = batch.deltas();
  await appendRollups(tx, deltas, timeZone);
  return { inserted: batch.size, deltas };
}

/**
 * True for the error {@linkcode copyNewEvents} fails with when a row was already
 * stored (a unique violation, `23505`): retrying with {@linkcode storeEvents} is then
 * correct.
 */
export function isCopyConflict(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === "23505";
}

/** Resolves at the stream's next `drain` or `close`, leaving no listener behind. */
function drained(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}
