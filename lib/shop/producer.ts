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
 * @module
 */
import { createKafka, type Producer } from "../kafka/client.ts";
import { type EcommerceEvent, encodeEvent } from "../core/event.ts";
import { sleep, withTimeout } from "../core/async.ts";

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
}

/** What happened to a published event by the time `publish` returned. */
export type PublishOutcome = "delivered" | "queued" | "dropped";

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
}

interface Pending {
  key: string;
  value: string;
  done?: (outcome: PublishOutcome) => void;
}

/** A queue-backed producer of ad-funnel events; see the module documentation. */
export class EventProducer {
  readonly topic: string;
  #options: Required<Omit<EventProducerOptions, "brokers" | "topic">>;
  #brokers: string[];
  #queue: Pending[] = [];
  #batch: Pending[] | undefined;
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
   * Kafka's acknowledgement. Never throws: a full queue drops the event and says so.
   */
  publish(event: EcommerceEvent, options: { waitMs?: number } = {}): Promise<PublishOutcome> {
    const waitMs = options.waitMs ?? 50;
    return new Promise((resolve) => {
      let settled = false;
      const settle = (outcome: PublishOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      const timer = setTimeout(() => settle("queued"), waitMs);
      this.#enqueue(event, settle);
    });
  }

  /** Queues `event` without waiting; returns false when it was dropped (queue full). */
  send(event: EcommerceEvent): boolean {
    return this.#enqueue(event);
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
    };
  }

  /** Resolves true when everything queued so far was delivered, false after `timeoutMs`. */
  async flush(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.stats().queued > 0) {
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
    const delivered = await this.flush(timeoutMs);
    if (!delivered) {
      this.#options.log(
        `Kafka producer closing: ${this.stats().queued} events not delivered to "${this.topic}" are lost`,
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
  }

  #enqueue(event: EcommerceEvent, done?: (outcome: PublishOutcome) => void): boolean {
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
      return false;
    }
    this.#queue.push({ key: event.user_id, value: encodeEvent(event), done });
    if (this.#queue.length === 1) this.#wake?.();
    this.start();
    return true;
  }

  async #run(): Promise<void> {
    let backoff = 100;
    while (!this.#abandon) {
      if (!this.#batch) {
        if (this.#queue.length === 0) {
          if (this.#closing) return;
          await new Promise<void>((resolve) => (this.#wake = resolve));
          this.#wake = undefined;
          continue;
        }
        if (this.#queue.length < this.#options.maxBatch && !this.#closing) {
          await sleep(this.#options.lingerMs);
        }
        this.#batch = this.#queue.splice(0, this.#options.maxBatch);
        this.#batchSince = Date.now();
        this.#releaseRoom();
      }
      const batch = this.#batch;
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
        if (!this.#connected && this.#stats.failedSends > 0) {
          this.#options.log(`Kafka producer reconnected to ${this.#brokers.join(",")}`);
        }
        this.#connected = true;
        backoff = 100;
        for (const item of batch) item.done?.("delivered");
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
