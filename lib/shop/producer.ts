/**
 * The shop's one Kafka producer per process: events are queued in memory and sent in
 * the background, so a page never waits on Kafka for longer than it chooses to (see
 * {@linkcode EventProducer.publish}).
 *
 * Delivery: kafkajs's idempotent producer, `acks: -1` (all in-sync replicas), one
 * batch in flight at a time (so a visitor's events keep their order), a short linger
 * to gather batches. While Kafka is unreachable, events wait in a bounded queue and the
 * failed batch is re-sent unchanged until it is acknowledged; when the queue is full,
 * new events are dropped, counted and logged. A re-send after an ambiguous failure can
 * duplicate a batch on the topic: the worker's unique `order_id` absorbs it
 * (at-least-once delivery, exactly-once effects).
 *
 * With a {@linkcode Spool} (the web process's), nothing accepted waits only in memory:
 * an event `publish` cannot see acknowledged within its wait is appended to the spool
 * and fsync'd before `publish` answers "spooled"; while Kafka is unreachable or the
 * spool still holds events, new events go straight to the spool (so a visitor's events
 * keep their order). The sender drains the spool, oldest first, after the memory queue,
 * and removes records only once Kafka acknowledged them; on the next start it drains
 * what a crashed process left. An event that was both queued and spooled can reach the
 * topic twice: the worker absorbs the copy.
 *
 * @module
 */
import { createKafka, type Producer } from "../kafka/client.ts";
import { type EcommerceEvent, encodeEvent } from "../core/event.ts";
import { sleep, withTimeout } from "../core/async.ts";
import type { Spool, SpoolStats } from "./spool.ts";

/** Options for {@linkcode createEventProducer}. */
export interface EventProducerOptions {
  brokers: string[];
  topic: string;
  /** Most events kept while Kafka is slow or unreachable; default 100,000. */
  maxQueue?: number;
  /** How long to gather a batch after the first event arrives; default 5 ms. */
  lingerMs?: number;
  /** Most events per request to the broker; default 1,000. */
  maxBatch?: number;
  /**
   * Longest wait for one batch's acknowledgement before it counts as failed and is
   * re-sent on a fresh connection; default 10 s (kafkajs alone can wait much longer
   * while a broker is down).
   */
  sendTimeoutMs?: number;
  /**
   * A batch unacknowledged this long makes `connected` false at once, long before its
   * send times out (a dead broker's sockets are not always seen closing: kafkajs retries
   * quietly); default 1 s (an acknowledgement takes milliseconds).
   */
  staleAfterMs?: number;
  /** Shown in the broker's logs; default `ecommerce-producer`. */
  clientId?: string;
  /** Where warnings go (queue full, Kafka unreachable); default `console.warn`. */
  log?: (line: string) => void;
  /**
   * The durable spool for what Kafka does not acknowledge in time (see the module
   * documentation); without one, such events wait in memory only.
   */
  spool?: Spool;
}

/**
 * What happened to a published event by the time `publish` returned: acknowledged by
 * Kafka, in the spool on disk, queued in memory (no spool), dropped (memory queue
 * full, no spool), or refused (the spool is full).
 */
export type PublishOutcome = "delivered" | "spooled" | "queued" | "dropped" | "refused";

/** Counters for `/healthz` and the tasks' progress lines. */
export interface ProducerStats {
  /** Events waiting (including the batch being sent). */
  queued: number;
  /** Events acknowledged by Kafka since start. */
  delivered: number;
  /** Events dropped because the queue was full, since start. */
  dropped: number;
  /** Failed send attempts since start (each is retried). */
  failedSends: number;
  /**
   * True when the last send (or connect) succeeded and no batch has waited longer than
   * `staleAfterMs` for its acknowledgement.
   */
  connected: boolean;
  /** How long the batch being sent has waited for Kafka, in ms (0: none waiting). */
  unacknowledgedMs: number;
  /** The most recent failure, if any. */
  lastError?: string;
  /** The spool's counters, when there is one. */
  spool?: SpoolStats;
}

interface Pending {
  key: string;
  value: string;
  done?: (outcome: PublishOutcome) => void;
  /** Set once `publish` gave up waiting and started appending it to the spool. */
  spooling?: boolean;
  /** Kafka acknowledged it (from the memory queue). */
  delivered?: boolean;
  /** Its sequence number in the spool, once appended. */
  seq?: number;
}

/** A queue-backed producer of ad-funnel events; see the module documentation. */
export class EventProducer {
  readonly topic: string;
  #options: Required<Omit<EventProducerOptions, "brokers" | "topic" | "spool">>;
  #spool: Spool | undefined;
  /** Spooled events Kafka already acknowledged from the memory queue: not re-sent. */
  #deliveredSeqs = new Set<number>();
  #brokers: string[];
  #queue: Pending[] = [];
  #batch: Pending[] | undefined;
  /** When the batch came from the spool: how many spool records it acknowledges. */
  #spoolBatch = 0;
  /** When the batch being sent was taken from the queue. */
  #batchSince = 0;
  #producer: Promise<Producer> | undefined;
  #connected = false;
  #stats = { delivered: 0, dropped: 0, failedSends: 0, lastError: undefined as string | undefined };
  #wake: (() => void) | undefined;
  #roomWaiters: (() => void)[] = [];
  #loop: Promise<void> | undefined;
  #closing = false;
  #abandon = false;
  #lastDropLog = 0;
  #dropsSinceLog = 0;
  #lastFailureLog = 0;
  /** Disconnects waiting for a given-up send to settle (see {@linkcode #resetProducer}). */
  #cleanups = new Set<Promise<void>>();

  constructor(options: EventProducerOptions) {
    this.topic = options.topic;
    this.#brokers = options.brokers;
    this.#spool = options.spool;
    if (this.#spool) this.#spool.onAppend = () => this.#wake?.();
    this.#options = {
      maxQueue: options.maxQueue ?? 100_000,
      lingerMs: options.lingerMs ?? 5,
      maxBatch: options.maxBatch ?? 1_000,
      sendTimeoutMs: options.sendTimeoutMs ?? 10_000,
      staleAfterMs: options.staleAfterMs ?? 1_000,
      clientId: options.clientId ?? "ecommerce-producer",
      log: options.log ?? ((line) => console.warn(line)),
    };
  }

  /** Starts the background sender and connects in the background; idempotent. */
  start(): this {
    if (this.#loop) return this;
    this.#loop = this.#run();
    // Connect now so the first event does not pay for it; a failure is retried on send.
    this.#connect().then(() => (this.#connected = true), () => {});
    return this;
  }

  /**
   * Queues `event` (keyed by `user_id`) and waits at most `waitMs` (default 50) for
   * Kafka's acknowledgement. With a spool, an event not acknowledged by then is
   * appended to it, and "spooled" comes only after the fsync; while Kafka is away it
   * goes to the spool at once. Never throws: a full queue or spool says so.
   */
  publish(event: EcommerceEvent, options: { waitMs?: number } = {}): Promise<PublishOutcome> {
    const waitMs = options.waitMs ?? 50;
    const spool = this.#spool;
    const record = { key: event.user_id, value: encodeEvent(event) };
    if (spool && this.#straightToSpool()) return this.#toSpool(record);
    return new Promise((resolve) => {
      let settled = false;
      const settle = (outcome: PublishOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      const timer = setTimeout(() => {
        if (!spool || !item) return settle("queued");
        const pending = item;
        pending.spooling = true;
        spool.append(record).then((seq) => {
          if (seq === undefined) return settle(this.#unqueue(pending));
          pending.seq = seq;
          if (pending.delivered) this.#deliveredSeqs.add(seq);
          settle("spooled");
        }, (error) => {
          this.#options.log(
            `Spool append failed: ${error instanceof Error ? error.message : error}`,
          );
          settle(this.#unqueue(pending));
        });
      }, waitMs);
      const item = this.#enqueue(event, settle);
    });
  }

  /**
   * Queues `event` without waiting (memory only, even with a spool: for bulk senders
   * such as `simulate`); returns false when it was dropped (queue full).
   */
  send(event: EcommerceEvent): boolean {
    return this.#enqueue(event) !== undefined;
  }

  /** Resolves once the queue has room for more (bulk senders call it to avoid drops). */
  room(): Promise<void> {
    if (this.#queue.length < this.#options.maxQueue / 2) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  /** Current counters. */
  stats(): ProducerStats {
    const unacknowledgedMs = this.#batch ? Date.now() - this.#batchSince : 0;
    return {
      queued: this.#queue.length + (this.#batch?.length ?? 0),
      delivered: this.#stats.delivered,
      dropped: this.#stats.dropped,
      failedSends: this.#stats.failedSends,
      connected: this.#connected && unacknowledgedMs <= this.#options.staleAfterMs,
      unacknowledgedMs,
      lastError: this.#stats.lastError,
      spool: this.#spool?.stats(),
    };
  }

  /**
   * Resolves true when everything queued (and spooled) so far was delivered, false
   * after `timeoutMs`.
   */
  async flush(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.stats().queued > 0 || (this.#spool?.pending ?? 0) > 0) {
      if (Date.now() >= deadline) return false;
      await sleep(5);
    }
    return true;
  }

  /**
   * Delivers what is queued (waiting at most `timeoutMs`, default 5 s), then
   * disconnects. Events still undelivered at the deadline are lost and logged.
   */
  async close(timeoutMs = 5_000): Promise<void> {
    this.#closing = true;
    this.#wake?.();
    const deadline = Date.now() + timeoutMs;
    while (this.stats().queued > 0 && Date.now() < deadline) await sleep(5);
    // A batch taken from the spool is still in the spool: only memory's own events count.
    const left = [...(this.#spoolBatch > 0 ? [] : this.#batch ?? []), ...this.#queue];
    if (left.length > 0 && this.#spool) {
      // Whatever memory still holds goes to the spool for the next start (events whose
      // `publish` already spooled them are there).
      const spool = this.#spool;
      const unspooled = left.filter((item) => !item.spooling && !item.delivered);
      const results = await Promise.all(
        unspooled.map(({ key, value }) => spool.append({ key, value }).catch(() => undefined)),
      );
      const lost = results.filter((seq) => seq === undefined).length;
      this.#options.log(
        `Kafka producer closing: ${left.length} events not yet delivered to "${this.topic}" ` +
          `are kept in the spool for the next start (${unspooled.length - lost} appended now)` +
          (lost ? `; ${lost} did not fit: lost` : ""),
      );
    } else if (left.length > 0) {
      this.#options.log(
        `Kafka producer closing: ${left.length} events not delivered to "${this.topic}" are lost`,
      );
    }
    if (this.#spool && this.#spool.pending > 0) {
      this.#options.log(
        `Kafka producer closing: ${this.#spool.pending} spooled events wait in ${this.#spool.dir} for the next start`,
      );
    }
    this.#abandon = true;
    this.#wake?.();
    await Promise.race([this.#loop, sleep(1_000)]);
    await Promise.race([this.#resetProducer(), sleep(2_000)]);
    // A process exits only once every socket is closed: wait (bounded) for the sends
    // given up during an outage to settle and their producers to be closed again.
    // (withTimeout clears its timer: a bare sleep would itself keep the process 15 s.)
    await withTimeout(Promise.all(this.#cleanups), 15_000, "Closing given-up sends")
      .catch(() => {});
    await this.#spool?.close();
  }

  /** True when an event must go to the spool without trying Kafka first. */
  #straightToSpool(): boolean {
    const spool = this.#spool!;
    // Behind spooled events: keep each visitor's order. Kafka known away, or the
    // memory queue full: the visitor should not wait for a send that will fail.
    return spool.pending > 0 || this.#closing || this.#queue.length >= this.#options.maxQueue ||
      (!this.stats().connected && this.#stats.failedSends > 0);
  }

  async #toSpool(record: { key: string; value: string }): Promise<PublishOutcome> {
    try {
      return (await this.#spool!.append(record)) === undefined ? "refused" : "spooled";
    } catch (error) {
      this.#options.log(`Spool append failed: ${error instanceof Error ? error.message : error}`);
      return "refused";
    }
  }

  /**
   * The spool refused an event that waits in memory: take it out of the queue, so it
   * is really not sent. One already in the batch being sent cannot be taken back.
   */
  #unqueue(item: Pending): PublishOutcome {
    if (item.delivered) return "delivered";
    const index = this.#queue.indexOf(item);
    if (index >= 0) {
      this.#queue.splice(index, 1);
      this.#stats.dropped++;
      return "refused";
    }
    this.#options.log(
      "Spool full while an event was being sent: refused to its sender, it may still reach Kafka",
    );
    return "refused";
  }

  #enqueue(
    event: EcommerceEvent,
    done?: (outcome: PublishOutcome) => void,
  ): Pending | undefined {
    if (this.#queue.length >= this.#options.maxQueue || this.#closing) {
      this.#stats.dropped++;
      this.#dropsSinceLog++;
      const now = Date.now();
      // Every drop is counted; the log says so at most every 10 s, so a long outage
      // cannot flood it.
      if (now - this.#lastDropLog >= 10_000) {
        this.#options.log(
          `Kafka producer queue full (${this.#options.maxQueue} events): dropped ${this.#dropsSinceLog} event(s), ${this.#stats.dropped} in total`,
        );
        this.#lastDropLog = now;
        this.#dropsSinceLog = 0;
      }
      done?.("dropped");
      return undefined;
    }
    const item: Pending = { key: event.user_id, value: encodeEvent(event), done };
    this.#queue.push(item);
    if (this.#queue.length === 1) this.#wake?.();
    this.start();
    return item;
  }

  async #run(): Promise<void> {
    let backoff = 100;
    while (!this.#abandon) {
      if (!this.#batch) {
        if (this.#queue.length === 0) {
          if (this.#closing) return;
          if (this.#spool && this.#spool.unsent > 0) {
            // The memory queue is empty: the spool's oldest records go next.
            if (await this.#takeSpoolBatch()) continue;
          } else {
            await new Promise<void>((resolve) => (this.#wake = resolve));
            this.#wake = undefined;
            continue;
          }
        } else {
          if (this.#queue.length < this.#options.maxBatch && !this.#closing) {
            await sleep(this.#options.lingerMs);
          }
          this.#batch = this.#queue.splice(0, this.#options.maxBatch);
          this.#spoolBatch = 0;
          this.#batchSince = Date.now();
          this.#releaseRoom();
        }
      }
      const batch = this.#batch;
      if (!batch) continue;
      let sending: Promise<unknown> | undefined;
      try {
        // Connecting counts against the timeout too: kafkajs retries it for long.
        sending = this.#connect().then((producer) =>
          producer.send({
            topic: this.topic,
            acks: -1,
            messages: batch.map(({ key, value }) => ({ key, value })),
          })
        );
        await withTimeout(sending, this.#options.sendTimeoutMs, "Kafka's acknowledgement");
        this.#batch = undefined;
        this.#stats.delivered += batch.length;
        if (this.#spoolBatch > 0) {
          // Only now, with Kafka's acknowledgement, do the records leave the disk.
          await this.#spool!.ack(this.#spoolBatch);
          this.#spoolBatch = 0;
        }
        if (!this.#connected && this.#stats.failedSends > 0) {
          this.#options.log(`Kafka producer reconnected to ${this.#brokers.join(",")}`);
        }
        this.#connected = true;
        backoff = 100;
        for (const item of batch) {
          item.delivered = true;
          if (item.seq !== undefined) this.#deliveredSeqs.add(item.seq);
          item.done?.("delivered");
        }
      } catch (error) {
        this.#onFailure(error);
        await this.#resetProducer(sending);
        // Retry the same batch, unchanged, after a growing pause.
        await Promise.race([sleep(backoff), new Promise<void>((r) => (this.#wake = r))]);
        this.#wake = undefined;
        backoff = Math.min(backoff * 2, 2_000);
      }
    }
  }

  /**
   * Makes the spool's next records the batch (skipping those the memory queue already
   * delivered); false when there was nothing left to send.
   */
  async #takeSpoolBatch(): Promise<boolean> {
    const spool = this.#spool!;
    const records = spool.peek(this.#options.maxBatch);
    const toSend = records.filter((record) => !this.#deliveredSeqs.has(record.seq));
    for (const record of records) this.#deliveredSeqs.delete(record.seq);
    if (toSend.length === 0) {
      await spool.ack(records.length);
      return false;
    }
    this.#batch = toSend.map(({ key, value }) => ({ key, value }));
    this.#spoolBatch = records.length;
    this.#batchSince = Date.now();
    return true;
  }

  #connect(): Promise<Producer> {
    if (this.#producer) return this.#producer;
    const pending = (async () => {
      const kafka = createKafka(this.#brokers, { clientId: this.#options.clientId, quiet: true });
      const producer = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        // Give up on a request quickly: the loop above retries the batch forever.
        retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 },
      });
      try {
        await producer.connect();
      } catch (error) {
        await producer.disconnect().catch(() => {});
        throw error;
      }
      return producer;
    })();
    this.#producer = pending;
    pending.catch(() => {
      if (this.#producer === pending) this.#producer = undefined;
    });
    return pending;
  }

  async #resetProducer(givenUp?: Promise<unknown>): Promise<void> {
    // A fresh producer after a failure: kafkajs's idempotent state (producer id,
    // sequence numbers) does not always survive a broker restart.
    const pending = this.#producer;
    this.#producer = undefined;
    const producer = await pending?.catch(() => undefined);
    if (!producer) return;
    await Promise.race([producer.disconnect().catch(() => {}), sleep(1_000)]);
    if (!givenUp) return;
    // A send given up by the timeout goes on retrying inside kafkajs, and its retries
    // reconnect after the disconnect above: that socket kept `deno task simulate` alive
    // after "done". Disconnect once more when the send has settled.
    const cleanup = givenUp.then(() => {}, () => {})
      .then(() => producer.disconnect().catch(() => {}));
    this.#cleanups.add(cleanup);
    cleanup.finally(() => this.#cleanups.delete(cleanup));
  }

  #onFailure(error: unknown): void {
    this.#stats.failedSends++;
    const message = error instanceof Error ? error.message : String(error);
    this.#stats.lastError = message;
    const now = Date.now();
    if (this.#connected || now - this.#lastFailureLog >= 10_000) {
      this.#options.log(
        `Kafka producer cannot send to "${this.topic}" (${this.stats().queued} events waiting): ${message}`,
      );
      this.#lastFailureLog = now;
    }
    this.#connected = false;
  }

  #releaseRoom(): void {
    if (this.#queue.length >= this.#options.maxQueue / 2) return;
    for (const resolve of this.#roomWaiters.splice(0)) resolve();
  }
}

/** Creates and starts a producer for `options.topic`. */
export function createEventProducer(options: EventProducerOptions): EventProducer {
  return new EventProducer(options).start();
}
