/**
 * `events` is partitioned by UTC month of `event_time` (migration 010). Two things live
 * here: making sure a batch's months have a partition before the batch's transaction
 * (creating one locks the parent table, so it must not happen inside a writer's
 * transaction that already holds row locks), and retention: dropping whole months
 * older than `ANALYTICS_RETENTION` while the rollups keep their counts.
 *
 * A dropped month is recorded in `events_retired_months`; events of a retired month are
 * never stored again (a redelivery or a reload of them was counted when they were first
 * stored), so the rollups stay exactly-once across retention.
 *
 * @module
 */
import type { Queryable, Sql } from "../db/client.ts";
import type { EcommerceEvent } from "../core/event.ts";
import { isPostgresError, SQLSTATE } from "../db/sqlstate.ts";

/** The first day (`YYYY-MM-01`) of the UTC month of an ISO time. */
export function monthOf(time: string | number | Date): string {
  return new Date(time).toISOString().slice(0, 7) + "-01";
}

// Months known to have a partition, per pool: asking Postgres once per month, not
// once per batch. A month retention drops later is found when an insert fails with
// "no partition" (see forgetPartitions) and the batch is retried.
const known = new WeakMap<Queryable, Set<string>>();

/**
 * Creates the partitions `months` need (if missing) and returns the months that are
 * retired. Run it outside the transaction that will write those months.
 */
export async function ensurePartitions(
  sql: Sql,
  months: Iterable<string>,
): Promise<Set<string>> {
  let cache = known.get(sql);
  if (!cache) known.set(sql, cache = new Set());
  const missing = [...new Set(months)].filter((m) => !cache.has(m));
  const retired = new Set<string>();
  if (missing.length === 0) return retired;
  const rows = await sql`select to_char(m, 'YYYY-MM-DD') as month
    from events_ensure_partitions(${missing}::date[]) as m`;
  for (const row of rows) retired.add(row.month as string);
  // A retired month is asked again each time: that is rare (very late data or a reload
  // of old files) and keeps this cache small.
  for (const month of missing) if (!retired.has(month)) cache.add(month);
  return retired;
}

/** What {@linkcode prepareEvents} leaves to store. */
export interface PreparedEvents {
  /** The events whose month has a partition, in their order. */
  events: EcommerceEvent[];
  /** Events skipped because their month is retired (counted once, long ago). */
  retired: number;
}

/** Ensures the partitions of `events`' months and leaves out events of retired months. */
export async function prepareEvents(
  sql: Sql,
  events: readonly EcommerceEvent[],
): Promise<PreparedEvents> {
  if (events.length === 0) return { events: [], retired: 0 };
  const months = events.map((e) => monthOf(e.time));
  const retired = await ensurePartitions(sql, months);
  if (retired.size === 0) return { events: [...events], retired: 0 };
  const kept = events.filter((_, i) => !retired.has(months[i]));
  return { events: kept, retired: events.length - kept.length };
}

/**
 * True for the error of an insert into a month with no partition (dropped by another
 * process since this one cached it); forgets the pool's cache so the retry asks again.
 */
export function forgetPartitionsOn(sql: Queryable, error: unknown): boolean {
  const noPartition = isPostgresError(error) && error.code === SQLSTATE.checkViolation &&
    /no partition of relation/.test(error.message);
  if (noPartition) known.delete(sql);
  return noPartition;
}

/** One month dropped by {@linkcode dropExpiredMonths}. */
export interface RetiredMonth {
  /** `YYYY-MM-01`. */
  month: string;
  /** Rows the partition held, as the planner estimates (their counts stay in the rollups). */
  rows: number;
}

/**
 * Drops every month partition that ends at or before `now - retentionMs` (a month is
 * dropped only once all of it is older than the retention), each in its own short
 * transaction: record the month as retired, then `DROP TABLE` (O(1): no row is
 * deleted, nothing is left to vacuum). Also creates last, this and next month's
 * partitions so live traffic never waits on DDL. `retentionMs` undefined keeps all.
 */
export async function maintainPartitions(
  sql: Sql,
  retentionMs: number | undefined,
  now = Date.now(),
): Promise<RetiredMonth[]> {
  const month = (offset: number) => {
    const d = new Date(now);
    d.setUTCDate(1);
    d.setUTCMonth(d.getUTCMonth() + offset);
    return monthOf(d);
  };
  await ensurePartitions(sql, [month(-1), month(0), month(1)]);
  if (retentionMs === undefined) return [];
  const horizon = new Date(now - retentionMs);
  const partitions = await sql`
    select c.relname as name,
      to_char(to_date(substr(c.relname, 9), 'YYYYMM'), 'YYYY-MM-DD') as month,
      (to_date(substr(c.relname, 9), 'YYYYMM') + interval '1 month')::timestamp
        at time zone 'UTC' as upper
    from pg_inherits h join pg_class c on c.oid = h.inhrelid
    where h.inhparent = 'events'::regclass and c.relname ~ '^events_p[0-9]{6}$'
    order by c.relname`;
  const dropped: RetiredMonth[] = [];
  for (const p of partitions) {
    // The upper bound is exclusive: a month whose end is at or before the horizon holds
    // only events older than the retention.
    if ((p.upper as Date) > horizon) continue;
    const rows = await sql.begin(async (tx) => {
      // The same lock creators take: no partition is made for this month meanwhile.
      await tx`select pg_advisory_xact_lock(7301947114)`;
      // The planner's estimate, not count(*): counting would read the whole month.
      const [{ n }] = await tx`select greatest(reltuples, 0)::int8 as n from pg_class
        where oid = ${p.name as string}::regclass`;
      await tx`insert into events_retired_months (month, rows_estimate)
        values (${p.month as string}::date, ${n}) on conflict (month) do nothing`;
      await tx`drop table ${tx(p.name as string)}`;
      return Number(n);
    });
    known.get(sql)?.delete(p.month as string);
    dropped.push({ month: p.month as string, rows });
  }
  return dropped;
}
