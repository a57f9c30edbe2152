/**
 * The ingest worker: a Kafka consumer-group member that stores each batch in one
 * Postgres transaction and only then commits the batch's offsets to Kafka.
 *
 * Exactly-once effects come from at-least-once delivery into an idempotent sink: a
 * crash between the database commit and the Kafka commit re-delivers the batch, and
 * the unique `order_id` makes the second store a no-op (no seeking involved). Offsets
 * are "resolved" in kafkajs only after the database commit, so whatever kafkajs
 * commits (after each batch, on rebalance, on disconnect) is already in Postgres.
 *
 * @module
 */
import {
  type Consumer,
  createKafka,
  dlqTopic,
  type EachBatchPayload,
  type Producer,
  sessionBounds,
} from "../kafka/client.ts";
import { DEFAULT_MAX_FUTURE_MS, latestEventTime } from "../core/event.ts";
import { type MergeResult, startMergeLoop } from "../rollups/merge.ts";
import { commitBatch, type RawMessage, recordDlqRefusals, splitBatch } from "./batch.ts";
import { dlqMessages } from "./dlq.ts";
import { sendToDlq } from "./dlq_send.ts";
import { copyBytes } from "./reject_copy.ts";
import { WorkerMetrics } from "./metrics.ts";
import { describeError, RetryAborted, retryWithBackoff } from "../core/retry.ts";
import { TimeoutError, withTimeout } from "../core/async.ts";
import { isConnectionError, ReplaceablePool } from "../db/pool.ts";
import { connect } from "../db/client.ts";

/**
 * How long a batch's statements may run (Postgres cancels them past it: a batch blocked
 * on a lock rolls back, its backend is free again, and the batch is retried).
 */
export const DEFAULT_BATCH_TIMEOUT_MS = 30_000;

/**
 * A batch transaction still running this long after its statement timeout is a hung
 * connection (postgres.js never answers on one): its backend is terminated, the pool
 * replaced and the batch retried.
 */
const HUNG_GRACE_MS = 5_000;

/**
 * The consumer session a worker asks for: a SIGKILLed worker's partitions wait this
 * long for it before the group hands them on (kafkajs has no static membership, so a
 * restarted worker is a new member that waits for the dead one to expire). 3 s leaves
 * six heartbeats (every 500 ms, also sent while a batch is stored) for a stalled event
 * loop to miss; brokers refuse sessions under `group.min.session.timeout.ms` (6 s by
 * default; infra/kafka/server.properties lowers it to 1 s), and the worker then asks for
 * that minimum instead.
 */
export const DEFAULT_SESSION_TIMEOUT_MS = 3_000;

/** Options for {@linkcode startIngestWorker}. */
export interface IngestWorkerOptions {
  databaseUrl: string;
  kafkaBrokers: string[];
  topic: string;
  /** Consumer group; default `<topic>-ingest`. Workers of one group share the partitions. */
  groupId?: string;
  /** `ANALYTICS_TZ`, the daily rollup's calendar; default `UTC`. */
  timeZone?: string;
  /**
   * `ANALYTICS_MAX_FUTURE`: events dated more than this after the worker's clock are
   * rejected as `time in the future "…"`; default one day.
   */
  maxFutureMs?: number;
  /** Time between background merges; default 60 s; 0 disables the merge in this worker. */
  mergeIntervalMs?: number;
  /** `ANALYTICS_RETENTION` for the merge loop's retention; undefined keeps all events. */
  retentionMs?: number;
  /** Partition batches stored in parallel by this worker; default 2. */
  partitionsConsumedConcurrently?: number;
  /**
   * Largest fetch per partition, which bounds a batch (about 2,000 events at 512 KiB);
   * default 512 KiB. On the 2-core benchmark machine, 256 KiB / 512 KiB / 1 MiB (kafkajs's
   * default) gave about 22,500 / 33,800 / 35,400 events/s at 201 / 245 / 288 MB peak RSS
   * (docs/benchmarks/ingest.md): larger batches spread each transaction's round trips.
   */
  maxBytesPerPartition?: number;
  /** How long the broker waits for data before answering a fetch; default 100 ms. */
  maxWaitTimeInMs?: number;
  /**
   * A member silent this long is dropped from the group; default
   * {@linkcode DEFAULT_SESSION_TIMEOUT_MS}, raised to the broker's minimum when below it.
   */
  sessionTimeoutMs?: number;
  /** Statement timeout of a batch's transaction; default {@linkcode DEFAULT_BATCH_TIMEOUT_MS}. */
  batchTimeoutMs?: number;
  /** How often metrics are written to `ingest_workers`; default 1 s. */
  metricsIntervalMs?: number;
  /** Log lines (default `console.log`; pass `() => {}` to silence). */
  log?: (line: string) => void;
}

/** A running worker. */
export interface IngestWorker {
  /** This process's row in `ingest_workers`. */
  workerId: string;
  groupId: string;
  /** The consumer session timeout in effect (the wish clamped to the broker's bounds). */
  sessionTimeoutMs: number;
  /** In-memory counters (also written to `ingest_workers`). */
  metrics: WorkerMetrics;
  /** Finishes the batch in flight, commits, leaves the group, closes connections. */
  stop(): Promise<void>;
}

/**
 * Starts a worker in this process; resolves once it has joined the consumer group.
 * Keeps retrying (with backoff) while Postgres or Kafka is unreachable.
 */
export async function startIngestWorker(options: IngestWorkerOptions): Promise<IngestWorker> {
  const { topic } = options;
  const groupId = options.groupId ?? `${topic}-ingest`;
  const timeZone = options.timeZone ?? "UTC";
  const maxFutureMs = options.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS;
  const concurrency = options.partitionsConsumedConcurrently ?? 2;
  const log = options.log ?? ((line: string) => console.log(line));
  const workerId = `${Deno.hostname()}-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const metrics = new WorkerMetrics({ workerId, topic, groupId });
  const pool = new ReplaceablePool(options.databaseUrl, {
    max: concurrency + 2,
    applicationName: "ecommerce-worker",
  });
  const kafka = createKafka(options.kafkaBrokers, { clientId: "ecommerce-worker" });
  let stopping = false;
  const shouldStop = () => stopping;
  const warn = (what: string) => (error: unknown, attempt: number, delayMs: number) => {
    if (attempt === 1 || attempt % 10 === 0) {
      log(
        `${what} failed (attempt ${attempt}, retrying in ${delayMs} ms): ${describeError(error)}`,
      );
    }
  };

  await retryWithBackoff(() => metrics.register(pool.sql), {
    shouldStop,
    onRetry: warn("Registering the worker in Postgres"),
  });
  // Quiet: the worker logs each failed DLQ send itself (transient ones first and every
  // tenth, refusals once each); kafkajs would add a line per attempt.
  const producer: Producer = createKafka(options.kafkaBrokers, {
    clientId: "ecommerce-worker",
    quiet: true,
  }).producer({ allowAutoTopicCreation: false });
  await retryWithBackoff(() => producer.connect(), {
    shouldStop,
    onRetry: warn("Connecting the DLQ producer to Kafka"),
  });
  const sessionTimeoutMs = await effectiveSession(
    options.kafkaBrokers,
    options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS,
    log,
  );
  // A sixth of the session: Kafka's advice is at most a third; more beats leave more room
  // for a stalled event loop (kafkajs sends one only when due, so asking often is cheap).
  const heartbeatIntervalMs = Math.max(100, Math.floor(sessionTimeoutMs / 6));
  const batchTimeoutMs = options.batchTimeoutMs ?? DEFAULT_BATCH_TIMEOUT_MS;

  async function handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    if (batch.messages.length === 0) return;
    const lastOffset = batch.messages[batch.messages.length - 1].offset;
    const { events, rejects } = splitBatch(
      batch.messages as RawMessage[],
      latestEventTime(Date.now(), maxFutureMs),
    );
    let abandoned = false;
    // Give up the batch (unresolved, so it is fetched again or by the new owner) when
    // stopping, when the partition was taken away, or when the group is rebalancing.
    const giveUp = () => abandoned || stopping || !isRunning() || isStale();
    const keepAlive = (what: string) => (error: unknown, attempt: number, ms: number) => {
      warn(what)(error, attempt, ms);
    };
    // kafkajs heartbeats only between batches, and both concurrent slots may be busy in
    // one: beat all along the batch (a slow or blocked store must not cost the session and
    // force a rebalance). A failed beat means the group is rebalancing or this member is
    // gone: the batch is given up at its next retry.
    const beat = setInterval(() => {
      heartbeat().catch(() => {
        abandoned = true;
      });
    }, heartbeatIntervalMs);
    try {
      const outcome = await retryWithBackoff(async () => {
        const sql = pool.sql;
        let backend: number | undefined;
        try {
          return await withTimeout(
            commitBatch(sql, {
              topic,
              partition: batch.partition,
              nextOffset: (BigInt(lastOffset) + 1n).toString(),
              highWatermark: batch.highWatermark,
              events,
              rejects,
              timeZone,
              statementTimeoutMs: batchTimeoutMs,
              onBackend: (pid) => backend = pid,
            }),
            batchTimeoutMs + HUNG_GRACE_MS,
            `Storing a batch of partition ${batch.partition}`,
          );
        } catch (error) {
          // Postgres did not cancel it itself: end the backend, so it does not keep waiting
          // (and holding its locks) beside the retry on the new pool.
          if (error instanceof TimeoutError && backend !== undefined) {
            await terminateBackend(options.databaseUrl, backend, log);
          }
          if (isConnectionError(error)) pool.replace(sql);
          throw error;
        }
      }, {
        shouldStop: giveUp,
        onRetry: keepAlive(`Storing a batch of partition ${batch.partition}`),
      });
      if (rejects.length > 0) {
        const messages = dlqMessages(topic, batch.partition, rejects);
        const refused = await sendToDlq(
          messages.map((message, i) => ({
            offset: rejects[i].offset,
            message,
            bytes: copyBytes(rejects[i].copy),
          })),
          {
            // kafkajs retries inside one send for up to about 30 s (the batch beats meanwhile).
            send: (dlq) => producer.send({ topic: dlqTopic(topic), messages: dlq }),
            shouldStop: giveUp,
            onRetry: keepAlive(`Sending ${rejects.length} rejects to ${dlqTopic(topic)}`),
          },
        );
        if (refused.length > 0) {
          for (const { offset, error } of refused) {
            log(
              `${dlqTopic(topic)} refused the reject at partition ${batch.partition} offset ` +
                `${offset} for good (${error}); it stays in rejected_events, skipped`,
            );
          }
          await retryWithBackoff(
            async () => {
              const sql = pool.sql;
              try {
                await recordDlqRefusals(sql, topic, batch.partition, refused);
              } catch (error) {
                if (isConnectionError(error)) pool.replace(sql);
                throw error;
              }
            },
            {
              shouldStop: giveUp,
              onRetry: keepAlive(`Recording ${refused.length} DLQ refusals`),
            },
          );
        }
      }
      // Only now may kafkajs commit this batch's offsets (it does after eachBatch).
      resolveOffset(lastOffset);
      metrics.recordBatch({
        valid: events.length,
        inserted: outcome.inserted,
        rejected: outcome.rejected,
        newestEventTime: outcome.newestEventTime,
      });
    } catch (error) {
      if (error instanceof RetryAborted) return;
      throw error;
    } finally {
      clearInterval(beat);
    }
  }

  let consumer: Consumer | undefined;
  let restarting: Promise<void> | undefined;
  async function runConsumer(): Promise<void> {
    const current = kafka.consumer({
      groupId,
      maxWaitTimeInMs: options.maxWaitTimeInMs ?? 100,
      maxBytesPerPartition: options.maxBytesPerPartition ?? 512 * 1024,
      sessionTimeout: sessionTimeoutMs,
      heartbeatInterval: heartbeatIntervalMs,
      allowAutoTopicCreation: false,
    });
    consumer = current;
    current.on(current.events.CRASH, (event) => {
      const { error, restart } = event.payload;
      log(`Consumer crashed: ${describeError(error)}${restart ? "; kafkajs restarts it" : ""}`);
      // kafkajs restarts itself after retriable errors only; recover from the rest too.
      if (!restart && !stopping) restarting = restartConsumer(current);
    });
    current.on(current.events.GROUP_JOIN, (event) => {
      const partitions = event.payload.memberAssignment[topic] ?? [];
      log(`Joined group ${groupId}: partitions [${partitions.join(", ")}] of ${topic}`);
    });
    await current.connect();
    await current.subscribe({ topic, fromBeginning: true });
    await current.run({
      autoCommit: true,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: concurrency,
      eachBatch: handleBatch,
    });
  }
  async function restartConsumer(crashed: Consumer): Promise<void> {
    await crashed.disconnect().catch(() => {});
    await retryWithBackoff(async () => {
      if (stopping) return;
      try {
        await runConsumer();
      } catch (error) {
        await consumer?.disconnect().catch(() => {});
        throw error;
      }
    }, { shouldStop, onRetry: warn("Restarting the consumer"), initialDelayMs: 500 });
  }

  try {
    await retryWithBackoff(async () => {
      try {
        await runConsumer();
      } catch (error) {
        await consumer?.disconnect().catch(() => {});
        throw error;
      }
    }, { shouldStop, onRetry: warn(`Joining group ${groupId}`), initialDelayMs: 500 });
  } catch (error) {
    await producer.disconnect().catch(() => {});
    await pool.end();
    throw error;
  }

  const flushTimer = setInterval(() => {
    metrics.flush(pool.sql).catch(() => {/* the next flush retries; metrics are best effort */});
  }, options.metricsIntervalMs ?? 1_000);
  const mergeIntervalMs = options.mergeIntervalMs ?? 60_000;
  const merger = mergeIntervalMs > 0
    ? startMergeLoop(() => pool.sql, {
      intervalMs: mergeIntervalMs,
      retentionMs: options.retentionMs,
      onRound: (result: MergeResult) => log(describeMerge(result)),
      onError: (error) => log(`Merge failed (next round retries): ${describeError(error)}`),
    })
    : undefined;
  log(
    `Worker ${workerId} consuming ${topic} as ${groupId} ` +
      `(session ${sessionTimeoutMs} ms, heartbeat ${heartbeatIntervalMs} ms)`,
  );

  let stopped: Promise<void> | undefined;
  return {
    workerId,
    groupId,
    sessionTimeoutMs,
    metrics,
    stop() {
      stopped ??= (async () => {
        stopping = true;
        clearInterval(flushTimer);
        await restarting?.catch(() => {});
        // disconnect() waits for the batch in flight, commits resolved offsets, and
        // leaves the group so the others take the partitions over at once.
        await consumer?.disconnect().catch((error) => log(`Leaving the group failed: ${error}`));
        await producer.disconnect().catch(() => {});
        await merger?.stop();
        await metrics.flush(pool.sql, true).catch(() => {});
        await pool.end();
        log(`Worker ${workerId} stopped`);
      })();
      return stopped;
    },
  };
}

/**
 * `wantedMs` within the brokers' `group.{min,max}.session.timeout.ms` (a session outside
 * them is refused and the consumer never joins); `wantedMs` itself when the bounds
 * cannot be read (then the broker's answer to the join tells).
 */
async function effectiveSession(
  brokers: string[],
  wantedMs: number,
  log: (line: string) => void,
): Promise<number> {
  let bounds;
  try {
    bounds = await sessionBounds(brokers);
  } catch (error) {
    log(`Cannot read the brokers' session bounds (${describeError(error)}); asking ${wantedMs} ms`);
    return wantedMs;
  }
  const ms = Math.min(Math.max(wantedMs, bounds.minMs), bounds.maxMs);
  if (ms !== wantedMs) {
    log(
      `Session timeout ${wantedMs} ms is outside the brokers' group.min/max.session.timeout.ms ` +
        `(${bounds.minMs}–${bounds.maxMs} ms); using ${ms} ms (a restarted worker waits that ` +
        `long for the one it replaces)`,
    );
  }
  return ms;
}

/** Ends backend `pid` through a connection of its own (the worker's pool may be the hung one). */
async function terminateBackend(
  url: string,
  pid: number,
  log: (line: string) => void,
): Promise<void> {
  const sql = connect(url, { max: 1, applicationName: "ecommerce-worker-cleanup" });
  try {
    await withTimeout(sql`select pg_terminate_backend(${pid})`, 5_000, "Ending a hung backend");
  } catch (error) {
    log(`Ending the hung backend ${pid} failed: ${describeError(error)}`);
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

function describeMerge(result: MergeResult): string {
  const parts = Object.entries(result.tables)
    .filter(([, t]) => t.keys > 0)
    .map(([table, t]) => `${table} ${t.keys} keys (-${t.rowsRemoved} rows)`);
  if (result.expiredMinuteRows > 0) parts.push(`${result.expiredMinuteRows} old minute rows`);
  for (const m of result.retiredMonths) {
    parts.push(`raw events of ${m.month.slice(0, 7)} dropped (~${m.rows} rows; rollups kept)`);
  }
  return `Merged ${parts.length ? parts.join(", ") : "nothing"} in ${result.durationMs} ms`;
}
