/**
 * The Kafka client behind one module, so it can be swapped: connection factory and
 * topic creation. Everything else imports Kafka types from here.
 *
 * @module
 */
import process from "node:process";
import { ConfigResourceTypes, Kafka, logLevel } from "kafkajs";
import type { Admin, Consumer, EachBatchPayload, Producer } from "kafkajs";
// Every kafkajs client of the project decodes Snappy, LZ4 and ZSTD batches too.
import "./codecs.ts";
import { createPartitionedProducer } from "./partitioned_send.ts";

export type { Admin, Consumer, EachBatchPayload, Producer };
export { Kafka };

// kafkajs 2.2.4's request queue schedules `setTimeout(fn, throttledUntil - now)` with
// throttledUntil = -1 before any throttling: a harmless negative delay that the runtime
// reports on every connection. Drop only that warning; all others pass through.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const type = typeof rest[0] === "string" ? rest[0] : (rest[0] as { type?: string })?.type;
  const name = warning instanceof Error ? warning.name : type;
  if (name === "TimeoutNegativeWarning") return;
  (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

/** Partitions of the main topic (the DLQ gets the same). */
export const TOPIC_PARTITIONS = 6;

/** The dead-letter topic for `topic`. */
export function dlqTopic(topic: string): string {
  return `${topic}.dlq`;
}

/** Options for {@linkcode createKafka}. */
export interface KafkaOptions {
  /** Shown in the broker's logs and metrics; default `ecommerce`. */
  clientId?: string;
  /** kafkajs's own log level; default errors only (its warnings are noisy and known). */
  verbose?: boolean;
  /** No kafkajs logs at all: for callers that report failures themselves (the shop's producer). */
  quiet?: boolean;
  /** A health probe: no retries and short timeouts, so a dead broker answers "no" fast. */
  probe?: boolean;
}

/**
 * Creates a kafkajs client for `brokers` with retry settings suited to a local broker.
 * Its producers send each partition separately: see lib/kafka/partitioned_send.ts for
 * the kafkajs defect that loses messages otherwise when a leader moves.
 */
export function createKafka(brokers: string[], options: KafkaOptions = {}): Kafka {
  const kafka = new Kafka({
    clientId: options.clientId ?? "ecommerce",
    brokers,
    logLevel: options.quiet ? logLevel.NOTHING : options.verbose ? logLevel.INFO : logLevel.ERROR,
    connectionTimeout: options.probe ? 1_000 : 3_000,
    requestTimeout: options.probe ? 3_000 : 30_000,
    retry: options.probe
      ? { retries: 0 }
      : { initialRetryTime: 200, retries: 8, maxRetryTime: 5_000 },
  });
  const createProducer = kafka.producer.bind(kafka);
  kafka.producer = (config) => createPartitionedProducer(createProducer, config);
  return kafka;
}

/** How a topic or an internal topic is replicated on a cluster of some size. */
export interface Replication {
  /** Copies of each partition: `min(3, brokers)`. */
  replicationFactor: number;
  /**
   * Copies that must have a write before an `acks=all` producer is told it is done: 2 from
   * 3 brokers on (one broker may die and writes go on, and every acknowledged write is on
   * two machines), else 1 (a smaller cluster could not take a write with a broker down).
   */
  minInsyncReplicas: number;
}

/** The replication rule for a cluster of `brokers` brokers; see {@linkcode Replication}. */
export function replicationFor(brokers: number): Replication {
  if (!Number.isInteger(brokers) || brokers < 1) {
    throw new Error(`Cannot plan replication for ${brokers} brokers: need a whole number ≥ 1`);
  }
  return { replicationFactor: Math.min(3, brokers), minInsyncReplicas: brokers >= 3 ? 2 : 1 };
}

/**
 * Creates `topic` and `<topic>.dlq` with {@linkcode TOPIC_PARTITIONS} partitions when
 * missing, replicated by {@linkcode replicationFor} the brokers the cluster's metadata
 * lists; leaves existing topics untouched. Safe when several processes race.
 *
 * The metadata lists live brokers only: a topic created while one of three is down gets
 * two copies and no `min.insync.replicas=2`. Create topics with the whole cluster up.
 */
export async function ensureTopics(brokers: string[], topic: string): Promise<void> {
  const admin = createKafka(brokers, { clientId: "ecommerce-admin" }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [topic, dlqTopic(topic)].filter((name) => !existing.has(name));
    if (missing.length === 0) return;
    const cluster = await admin.describeCluster();
    const { replicationFactor, minInsyncReplicas } = replicationFor(cluster.brokers.length);
    const configEntries = minInsyncReplicas > 1
      ? [{ name: "min.insync.replicas", value: String(minInsyncReplicas) }]
      : [];
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((name) => ({
          topic: name,
          numPartitions: TOPIC_PARTITIONS,
          replicationFactor,
          configEntries,
        })),
      });
    } catch (error) {
      // Another process created it first: fine, as long as it exists now.
      const now = new Set(await admin.listTopics());
      if (!missing.every((name) => now.has(name))) throw error;
    }
  } finally {
    await admin.disconnect();
  }
}

/** The consumer session timeouts the brokers accept (`group.{min,max}.session.timeout.ms`). */
export interface SessionBounds {
  minMs: number;
  maxMs: number;
}

/**
 * Reads the session-timeout bounds of one broker of `brokers` (every broker of a cluster
 * is configured alike). A consumer asking for less than the minimum is refused with
 * INVALID_SESSION_TIMEOUT and never joins, so the worker clamps its wish to this.
 */
export async function sessionBounds(brokers: string[]): Promise<SessionBounds> {
  const admin = createKafka(brokers, { clientId: "ecommerce-admin", quiet: true }).admin();
  await admin.connect();
  try {
    const { brokers: nodes } = await admin.describeCluster();
    const names = ["group.min.session.timeout.ms", "group.max.session.timeout.ms"];
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{
        type: ConfigResourceTypes.BROKER,
        name: String(nodes[0].nodeId),
        configNames: names,
      }],
    });
    const value = (name: string) => {
      const entry = resources[0]?.configEntries.find((e) => e.configName === name);
      const ms = Number(entry?.configValue);
      if (!entry || !Number.isFinite(ms)) throw new Error(`The broker did not report ${name}`);
      return ms;
    };
    return { minMs: value(names[0]), maxMs: value(names[1]) };
  } finally {
    await admin.disconnect();
  }
}

/** Deletes topics (tests use this to clean up after themselves). */
export async function deleteTopics(brokers: string[], topics: string[]): Promise<void> {
  const admin = createKafka(brokers, { clientId: "ecommerce-admin" }).admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics, timeout: 10_000 });
  } finally {
    await admin.disconnect();
  }
}
