/**
 * The web server's one Kafka admin connection, for `/healthz`: whether the brokers
 * answer, and the topic's end offsets (for the ingest lag). Connected on first use and kept; a failed or
 * timed-out call drops it and the next call connects afresh, so a broker restart heals
 * without a new client per request (each admin client is a TCP connection plus a
 * metadata round trip: made per request, a few requests a second made the broker's
 * connection count and the web server's latency grow).
 *
 * @module
 */
import { type Admin, createKafka } from "./client.ts";
import { loadTopicEnds, type PartitionEnd } from "./offsets.ts";
import { withTimeout } from "../core/async.ts";

/** Options for {@linkcode createKafkaProbe}. */
export interface KafkaProbeOptions {
  /** How long a probe or offsets read may take before it counts as "no answer"; default 2 s. */
  timeoutMs?: number;
}

/** One long-lived admin connection and what `/healthz` asks of it. */
export interface KafkaProbe {
  /** True when the brokers answer a metadata request in time. */
  answers(): Promise<boolean>;
  /** `topic`'s offsets per partition; rejects when Kafka does not answer in time. */
  ends(topic: string): Promise<PartitionEnd[]>;
  /** Admin connections made so far (1 while the broker stays up). */
  readonly connects: number;
  /** Disconnects (at shutdown). */
  close(): Promise<void>;
}

/** Creates the probe for `brokers`; nothing connects until the first call. */
export function createKafkaProbe(brokers: string[], options: KafkaProbeOptions = {}): KafkaProbe {
  const timeoutMs = options.timeoutMs ?? 2_000;
  let current: Promise<Admin> | undefined;
  let connects = 0;

  const admin = () => {
    current ??= (async () => {
      connects++;
      const client = createKafka(brokers, {
        clientId: "ecommerce-web-probe",
        probe: true,
        quiet: true,
      })
        .admin();
      await client.connect();
      return client;
    })();
    return current;
  };
  const drop = (failed: Promise<Admin>) => {
    if (current !== failed) return;
    current = undefined;
    failed.then((client) => client.disconnect()).catch(() => {});
  };
  const use = async <T>(what: string, call: (client: Admin) => Promise<T>): Promise<T> => {
    const connection = admin();
    try {
      return await withTimeout(connection.then(call), timeoutMs, what);
    } catch (error) {
      drop(connection);
      throw error;
    }
  };

  return {
    answers: () =>
      use("Probing Kafka", (client) => client.listTopics()).then(() => true, () => false),
    ends: (topic) =>
      use("Reading the topic's offsets from Kafka", (client) => loadTopicEnds(client, topic)),
    get connects() {
      return connects;
    },
    async close() {
      const connection = current;
      current = undefined;
      await connection?.then((client) => client.disconnect()).catch(() => {});
    },
  };
}
