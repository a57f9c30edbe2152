/**
 * Ingest lag and rate, the one definition the dashboard, its live status line and
 * `/healthz` share.
 *
 * Lag is, per partition, Kafka's end offset now minus the next offset the workers
 * have stored in Postgres (`ingest_offsets.next_offset`, written in the same
 * transaction as the events): the messages not yet counted on the dashboard. Neither
 * Kafka's committed group offset (committed after the database, so it trails it by up
 * to a batch whose redelivery is absorbed) nor the end offset the workers last saw
 * (stale when no worker runs, which is when lag matters most) says that.
 *
 * @module
 */
import type { Queryable } from "../db/client.ts";
import type { PartitionEnd } from "../kafka/offsets.ts";

/** A worker counts as running when it reported this recently (it reports every second). */
export const LIVE_WORKER_SECONDS = 10;

/** Lag of one partition. */
export interface PartitionLag {
  partition: number;
  /** The next offset the workers stored (null: nothing stored from this partition yet). */
  stored: number | null;
  /** Kafka's end offset. */
  end: number;
  /** Messages on the partition not yet in Postgres. */
  lag: number;
}

/** Lag of a topic: the total and each partition. */
export interface IngestLag {
  total: number;
  partitions: PartitionLag[];
}

/** The lag of `topic` given Kafka's offsets now (`ends`). */
export async function loadIngestLag(
  sql: Queryable,
  topic: string,
  ends: PartitionEnd[],
): Promise<IngestLag> {
  const rows = await sql`
    select partition, next_offset from ingest_offsets where topic = ${topic}`;
  const stored = new Map(rows.map((row) => [row.partition as number, Number(row.next_offset)]));
  const partitions = ends.map(({ partition, low, end }) => {
    const next = stored.get(partition) ?? null;
    // Before anything is stored the worker starts at the oldest message still held.
    return { partition, stored: next, end, lag: Math.max(0, end - (next ?? low)) };
  });
  return { total: partitions.reduce((sum, p) => sum + p.lag, 0), partitions };
}

/** The dashboard's line about ingestion. */
export interface IngestStatus {
  /** {@linkcode IngestLag.total}; null when Kafka did not answer. */
  lag: number | null;
  /** Events stored per second by the running workers; null when none runs. */
  eventsPerSecond: number | null;
}

/**
 * Reads the lag (with Kafka's offsets from `readEnds`, null when it fails) and the
 * running workers' rate.
 */
export async function loadIngestStatus(
  sql: Queryable,
  topic: string,
  readEnds: (topic: string) => Promise<PartitionEnd[]>,
): Promise<IngestStatus> {
  const [lag, [row]] = await Promise.all([
    readEnds(topic).then((ends) => loadIngestLag(sql, topic, ends), () => null),
    sql`
      select sum(events_per_second)::float8 as rate from ingest_workers
      where topic = ${topic} and stopped_at is null
        and heartbeat_at > now() - make_interval(secs => ${LIVE_WORKER_SECONDS})`,
  ]);
  return { lag: lag?.total ?? null, eventsPerSecond: (row?.rate as number | null) ?? null };
}
