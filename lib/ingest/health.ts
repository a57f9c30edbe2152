/**
 * What /healthz reports about ingestion: running workers and their rate, time since
 * an event was last stored, lag per partition (`status.ts`: the same figure the
 * dashboard shows), and rejects by kind. Read from the workers' bookkeeping
 * (migration 003) and from Kafka.
 *
 * @module
 */
import type { Queryable } from "../db/client.ts";
import { type PartitionEnd, topicEnds } from "../kafka/offsets.ts";
import { withTimeout } from "../core/async.ts";
import { type IngestLag, LIVE_WORKER_SECONDS, loadIngestLag } from "./status.ts";

/** A worker that reported within the last {@linkcode LIVE_WORKER_SECONDS}. */
export interface LiveWorker {
  workerId: string;
  hostname: string;
  pid: number;
  eventsPerSecond: number;
  eventsTotal: number;
  rejectedTotal: number;
}

/** The ingest section of /healthz. */
export interface IngestHealth {
  /** Workers of the topic that reported recently. */
  workers: LiveWorker[];
  /** Events stored per second, summed over the live workers. */
  eventsPerSecond: number;
  /** Seconds since any worker last stored an event (null: never). */
  lastEventAgeSeconds: number | null;
  /** Newest `event_time` the workers stored. */
  newestEventTime: string | null;
  /** Lag per partition ({@linkcode loadIngestLag}; null when Kafka did not answer in time). */
  lag: IngestLag | null;
  /** Rejected messages of the topic, by kind ("unknown product", "not JSON", …). */
  rejects: { total: number; byKind: Record<string, number> };
}

/** Options for {@linkcode loadIngestHealth}. */
export interface IngestHealthOptions {
  topic: string;
  brokers: string[];
  /** How long to wait for Kafka's offsets; default 2 s. */
  kafkaTimeoutMs?: number;
  /** Reads the topic's offsets (the web server passes its long-lived admin's); default {@linkcode topicEnds}. */
  readEnds?: (topic: string) => Promise<PartitionEnd[]>;
}

/** Reads the ingest health of `options.topic`. */
export async function loadIngestHealth(
  sql: Queryable,
  options: IngestHealthOptions,
): Promise<IngestHealth> {
  const { topic } = options;
  const [workers, [summary], rejects, lag] = await Promise.all([
    sql`
      select worker_id, hostname, pid, events_per_second, events_total, rejected_total
      from ingest_workers
      where topic = ${topic} and stopped_at is null
        and heartbeat_at > now() - make_interval(secs => ${LIVE_WORKER_SECONDS})
      order by started_at`,
    sql`
      select extract(epoch from now() - max(last_stored_at))::float8 as age,
        max(newest_event_time) as newest
      from ingest_workers where topic = ${topic}`,
    sql`select kind, count(*)::int8 as n from rejected_events where topic = ${topic}
      group by kind order by 2 desc`,
    withTimeout(
      (options.readEnds ?? ((t) => topicEnds(options.brokers, t)))(topic),
      options.kafkaTimeoutMs ?? 2_000,
      "Reading the topic's offsets from Kafka",
    ).then((ends) => loadIngestLag(sql, topic, ends), () => null),
  ]);
  const live = workers.map((w) => ({
    workerId: w.worker_id as string,
    hostname: w.hostname as string,
    pid: w.pid as number,
    eventsPerSecond: w.events_per_second as number,
    eventsTotal: w.events_total as number,
    rejectedTotal: w.rejected_total as number,
  }));
  const byKind: Record<string, number> = {};
  for (const row of rejects) byKind[row.kind as string] = row.n as number;
  return {
    workers: live,
    eventsPerSecond: Math.round(live.reduce((sum, w) => sum + w.eventsPerSecond, 0) * 10) / 10,
    lastEventAgeSeconds: summary?.age == null ? null : Math.round(summary.age * 10) / 10,
    newestEventTime: summary?.newest ? (summary.newest as Date).toISOString() : null,
    lag,
    rejects: { total: Object.values(byKind).reduce((a, b) => a + b, 0), byKind },
  };
}
