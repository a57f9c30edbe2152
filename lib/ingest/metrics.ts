/**
 * The worker's own metrics — batches, events stored, duplicates, rejects, events/s,
 * last stored event — kept in memory and written about once a second to
 * `ingest_workers` (one row per worker process), where /healthz and the dashboard
 * read them. Writing outside the batch transactions keeps them off the hot path.
 *
 * @module
 */
import type { Sql } from "../db/client.ts";

/** Counters of one worker process. */
export interface WorkerCounters {
  batches: number;
  events: number;
  duplicates: number;
  rejected: number;
  /** Events stored per second over the last {@linkcode RATE_WINDOW_MS}. */
  eventsPerSecond: number;
  lastStoredAt?: Date;
  newestEventTime?: string;
}

/** The window the events/s rate is averaged over. */
export const RATE_WINDOW_MS = 5_000;

/** Identity of the worker row. */
export interface WorkerIdentity {
  workerId: string;
  topic: string;
  groupId: string;
}

/** In-memory counters plus the periodic flush to `ingest_workers`. */
export class WorkerMetrics {
  readonly identity: WorkerIdentity;
  #counters: WorkerCounters = {
    batches: 0,
    events: 0,
    duplicates: 0,
    rejected: 0,
    eventsPerSecond: 0,
  };
  // (time, events stored) samples for the moving rate.
  #samples: [number, number][] = [];

  constructor(identity: WorkerIdentity) {
    this.identity = identity;
  }

  /** Records one committed batch. */
  recordBatch(
    batch: { valid: number; inserted: number; rejected: number; newestEventTime?: string },
  ): void {
    const c = this.#counters;
    c.batches++;
    c.events += batch.inserted;
    c.duplicates += batch.valid - batch.inserted;
    c.rejected += batch.rejected;
    if (batch.inserted > 0) c.lastStoredAt = new Date();
    if (
      batch.newestEventTime && (!c.newestEventTime || batch.newestEventTime > c.newestEventTime)
    ) {
      c.newestEventTime = batch.newestEventTime;
    }
  }

  /** A snapshot of the counters, with the rate computed now. */
  snapshot(now = Date.now()): WorkerCounters {
    this.#samples.push([now, this.#counters.events]);
    while (this.#samples.length > 2 && this.#samples[1][0] <= now - RATE_WINDOW_MS) {
      this.#samples.shift();
    }
    const [t0, e0] = this.#samples[0];
    const rate = now > t0 ? (this.#counters.events - e0) * 1000 / (now - t0) : 0;
    this.#counters.eventsPerSecond = Math.round(rate * 10) / 10;
    return { ...this.#counters };
  }

  /** Creates this worker's row (and drops rows of workers silent for a day). */
  async register(sql: Sql): Promise<void> {
    const { workerId, topic, groupId } = this.identity;
    await sql`delete from ingest_workers where heartbeat_at < now() - interval '1 day'`;
    await sql`
      insert into ingest_workers (worker_id, topic, group_id, hostname, pid)
      values (${workerId}, ${topic}, ${groupId}, ${Deno.hostname()}, ${Deno.pid})
      on conflict (worker_id) do nothing`;
  }

  /** Writes the current counters; `stopped` marks a clean exit. */
  async flush(sql: Sql, stopped = false): Promise<void> {
    const c = this.snapshot();
    await sql`
      update ingest_workers set
        heartbeat_at = now(),
        stopped_at = ${stopped ? new Date() : null},
        batches_total = ${c.batches},
        events_total = ${c.events},
        duplicates_total = ${c.duplicates},
        rejected_total = ${c.rejected},
        events_per_second = ${stopped ? 0 : c.eventsPerSecond},
        last_stored_at = ${c.lastStoredAt ?? null},
        newest_event_time = ${c.newestEventTime ?? null}
      where worker_id = ${this.identity.workerId}`;
  }
}
