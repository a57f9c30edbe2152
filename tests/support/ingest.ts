/**
 * Helpers for the ingest worker's integration tests: event generators (valid,
 * duplicated, malformed with a known reason), a fast producer, a worker subprocess
 * that can be SIGKILLed, and polling.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createKafka, dlqTopic, ensureTopics, TOPIC_PARTITIONS } from "../../lib/kafka/client.ts";
import { testServices, type TestTopic, uniqueName } from "./services.ts";
import {
  type EcommerceEvent,
  encodeEvent,
  newId,
  PRODUCTS,
  SITE_VERSIONS,
  TITLES,
} from "../../lib/core/event.ts";
import type { Sql } from "../../lib/db/client.ts";
import { DLQ_HEADERS } from "../../lib/ingest/dlq.ts";

/** A message to produce: key and value as text or bytes. */
export interface TestMessage {
  key: string | null;
  value: string | Uint8Array | null;
}

/** A valid event at a random time in the last `spanMinutes` minutes. */
export function randomEvent(spanMinutes = 120, now = Date.now()): EcommerceEvent {
  const pick = <T>(items: readonly T[]) => items[Math.floor(Math.random() * items.length)];
  return {
    order_id: newId(),
    user_id: newId(),
    page_id: newId(),
    product: pick(PRODUCTS),
    site_version: pick(SITE_VERSIONS),
    time: new Date(now - Math.floor(Math.random() * spanMinutes * 60_000)).toISOString(),
    title: pick(TITLES),
    target: Math.random() < 0.05 ? 1 : 0,
  };
}

/** A malformed message and the reason the worker must give for it. */
export interface MalformedCase {
  value: string | Uint8Array | null;
  reason: string;
}

/** Malformed messages of several kinds, cycling by `index`. */
export function malformedMessage(index: number): MalformedCase {
  const event = randomEvent();
  switch (index % 8) {
    case 0:
      return { value: `{"order_id": "${event.order_id}", broken`, reason: "not JSON" };
    case 1: {
      const { user_id: _, ...rest } = event;
      return { value: JSON.stringify(rest), reason: 'missing field "user_id"' };
    }
    case 2:
      return {
        value: JSON.stringify({ ...event, product: "toys" }),
        reason: 'unknown product "toys"',
      };
    case 3:
      return {
        value: JSON.stringify({ ...event, time: "2019-13-45 25:00:00" }),
        reason: 'invalid time "2019-13-45 25:00:00"',
      };
    case 4:
      return { value: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), reason: "not UTF-8" };
    case 5:
      return { value: "[1, 2, 3]", reason: "not a JSON object" };
    case 6:
      return {
        value: JSON.stringify({ ...event, title: "refund" }),
        reason: 'unknown title "refund"',
      };
    default:
      return {
        value: JSON.stringify({ ...event, filler: "x".repeat(70_000) }),
        reason: "message larger than 64 KiB",
      };
  }
}

/** Produces `messages` in order, in batches (fast: thousands per request). */
export async function produce(
  brokers: string[],
  topic: string,
  messages: readonly TestMessage[],
  batchSize = 5_000,
): Promise<void> {
  const producer = createKafka(brokers, { clientId: "ingest-test-producer" }).producer();
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += batchSize) {
      await producer.send({
        topic,
        acks: 1,
        messages: messages.slice(i, i + batchSize).map((m) => ({
          key: m.key,
          value: m.value === null || typeof m.value === "string" ? m.value : Buffer.from(m.value),
        })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Messages for `events` (key = user_id, the contract's JSON). */
export function eventMessages(events: readonly EcommerceEvent[]): TestMessage[] {
  return events.map((event) => ({ key: event.user_id, value: encodeEvent(event) }));
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes (then throws). */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  timeoutMs: number,
  what = "condition",
  intervalMs = 100,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`, { cause: last });
}

/** Number of rows in `events`. */
export async function eventCount(sql: Sql): Promise<number> {
  const [{ n }] = await sql`select count(*)::int8 as n from events`;
  return n;
}

/**
 * Reads every DLQ message of `topic` (expects exactly `count` distinct rejects; waits up
 * to `timeoutMs`). The DLQ is at-least-once like any topic (a send is retried after an
 * ambiguous failure), so copies of one reject, by its source partition and offset, are
 * returned once.
 */
export async function readDlq(
  brokers: string[],
  topic: string,
  count: number,
  timeoutMs = 15_000,
): Promise<{ key: Buffer | null; value: Buffer | null; headers: Record<string, string> }[]> {
  const consumer = createKafka(brokers, { clientId: "ingest-test-dlq" }).consumer({
    groupId: `${topic}-dlq-reader-${newId().slice(0, 6)}`,
    maxWaitTimeInMs: 100,
  });
  const seen: { key: Buffer | null; value: Buffer | null; headers: Record<string, string> }[] = [];
  const sources = new Set<string>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: dlqTopic(topic), fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(message.headers ?? {})) {
          headers[name] = String(value);
        }
        const source = `${headers[DLQ_HEADERS.partition]}:${headers[DLQ_HEADERS.offset]}`;
        if (!sources.has(source)) {
          sources.add(source);
          seen.push({ key: message.key, value: message.value, headers });
        }
        await Promise.resolve();
      },
    });
    await waitFor(() => seen.length >= count, timeoutMs, `${count} DLQ messages`);
    // Give a stray extra message a moment to show up, so "exactly" means exactly.
    await new Promise((resolve) => setTimeout(resolve, 500));
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

/** A worker running as `deno run -A workers/ingest.ts` (so it can be SIGKILLed). */
export interface WorkerProcess {
  child: Deno.ChildProcess;
  /** SIGKILL: no shutdown steps, no commits. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the clean exit; returns the exit code. */
  terminate(): Promise<number>;
}

/** Options for {@linkcode spawnWorker}. */
export interface SpawnOptions {
  /** Variables added to the worker's environment. */
  env?: Record<string, string>;
  /** Collects the worker's log lines (its stdout); without it they are dropped. */
  log?: string[];
}

/** Starts a worker subprocess for `databaseUrl` and `topic`. */
export function spawnWorker(
  databaseUrl: string,
  brokers: string[],
  topic: string,
  options: SpawnOptions = {},
): WorkerProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../../workers/ingest.ts", import.meta.url).pathname],
    env: {
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: brokers.join(","),
      KAFKA_TOPIC: topic,
      ...options.env,
    },
    stdout: options.log ? "piped" : "null",
    stderr: "inherit",
  }).spawn();
  if (options.log) {
    const log = options.log;
    (async () => {
      let rest = "";
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        const lines = (rest + chunk).split("\n");
        rest = lines.pop() ?? "";
        log.push(...lines);
      }
      if (rest) log.push(rest);
    })().catch(() => {/* the child is gone */});
  }
  return {
    child,
    async kill() {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
    },
    async terminate() {
      child.kill("SIGTERM");
      return (await child.status).code;
    },
  };
}

/** Topic settings (Kafka's topic configs, e.g. `max.message.bytes`) for {@linkcode createConfiguredTopic}. */
export interface TopicConfigs {
  /** For the events topic. */
  topic?: Record<string, string>;
  /** For `<topic>.dlq`. */
  dlq?: Record<string, string>;
}

/**
 * Like `createTestTopic`, but creates the topic and its DLQ with `configs` first
 * (6 partitions each); `ensureTopics` then finds them and leaves them as they are.
 */
export async function createConfiguredTopic(
  prefix: string,
  configs: TopicConfigs,
): Promise<TestTopic> {
  const { kafkaBrokers } = await testServices();
  const topic = uniqueName(`test_${prefix}`);
  const admin = createKafka(kafkaBrokers, { clientId: "ingest-test-admin" }).admin();
  await admin.connect();
  try {
    const entries = (config: Record<string, string> = {}) =>
      Object.entries(config).map(([name, value]) => ({ name, value }));
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic, configEntries: entries(configs.topic) },
        { topic: dlqTopic(topic), configEntries: entries(configs.dlq) },
      ].map((t) => ({ ...t, numPartitions: TOPIC_PARTITIONS, replicationFactor: -1 })),
    });
  } finally {
    await admin.disconnect();
  }
  await ensureTopics(kafkaBrokers, topic);
  const close = async () => {
    const cleanup = createKafka(kafkaBrokers, { clientId: "ingest-test-admin" }).admin();
    await cleanup.connect();
    await cleanup.deleteTopics({ topics: [topic, dlqTopic(topic)], timeout: 10_000 })
      .catch(() => {});
    await cleanup.disconnect();
  };
  return { topic, brokers: kafkaBrokers, close, [Symbol.asyncDispose]: close };
}

/** A message for {@linkcode produceExact}: its partition, key, value and headers as given. */
export interface ExactMessage {
  partition: number;
  key?: string | Uint8Array | null;
  value: string | Uint8Array | null;
  headers?: Record<string, string | Uint8Array>;
}

/** Produces `messages` one send each, to the partitions they name (acks from all replicas). */
export async function produceExact(
  brokers: string[],
  topic: string,
  messages: readonly ExactMessage[],
): Promise<void> {
  const producer = createKafka(brokers, { clientId: "ingest-test-producer" }).producer();
  const buffer = (value: string | Uint8Array) =>
    typeof value === "string" ? value : Buffer.from(value);
  await producer.connect();
  try {
    for (const message of messages) {
      await producer.send({
        topic,
        messages: [{
          partition: message.partition,
          key: message.key == null ? null : buffer(message.key),
          value: message.value === null ? null : buffer(message.value),
          headers: Object.fromEntries(
            Object.entries(message.headers ?? {}).map(([name, value]) => [name, buffer(value)]),
          ),
        }],
      });
    }
  } finally {
    await producer.disconnect();
  }
}
