/**
 * Test fixtures: the real Postgres and Kafka (attached or brought up once per run by
 * `deno task test`), and a fresh database or topic per test so tests never see each
 * other's data.
 *
 * @module
 */
import {
  connect,
  dropDatabase,
  ensureDatabase,
  type Sql,
  withDatabase,
} from "../../lib/db/client.ts";
import { migrate } from "../../lib/db/migrate.ts";
import { deleteTopics, dlqTopic, ensureTopics } from "../../lib/kafka/client.ts";
import { ensureServices } from "../../lib/services/mod.ts";
import {
  clusterPorts,
  kafkaClusterDir,
  type LocalBroker,
  restartClusterNode,
  startLocalKafkaCluster,
} from "../../lib/services/kafka_local.ts";
import { freePortRange, isAlive } from "../../lib/services/net.ts";
import { sleep } from "../../lib/core/async.ts";

interface Endpoints {
  databaseUrl: string;
  kafkaBrokers: string[];
}

let endpoints: Promise<Endpoints> | undefined;

/**
 * The services under test: `TEST_DATABASE_URL`/`DATABASE_URL` and `KAFKA_BROKERS` when
 * set (scripts/test.ts sets them), else attach to or bring up local ones.
 */
export function testServices(): Promise<Endpoints> {
  endpoints ??= (async () => {
    const databaseUrl = Deno.env.get("TEST_DATABASE_URL") ?? Deno.env.get("DATABASE_URL");
    const brokers = Deno.env.get("KAFKA_BROKERS")?.split(",");
    const services = await ensureServices({ databaseUrl, kafkaBrokers: brokers });
    return { databaseUrl: services.databaseUrl, kafkaBrokers: services.kafkaBrokers };
  })();
  return endpoints;
}

/** A name unique to this test run: `<prefix>_<random>` (lower case, DB- and topic-safe). */
export function uniqueName(prefix: string): string {
  return `${prefix}_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
}

/** A fresh, migrated database; `close()` ends the pool and drops the database. */
export interface TestDatabase extends AsyncDisposable {
  url: string;
  sql: Sql;
  close(): Promise<void>;
}

/** Creates a database named `test_<prefix>_<random>`, migrated unless `migrated: false`. */
export async function createTestDatabase(
  prefix = "db",
  options: { migrated?: boolean } = {},
): Promise<TestDatabase> {
  const { databaseUrl } = await testServices();
  const url = withDatabase(databaseUrl, uniqueName(`test_${prefix}`));
  await ensureDatabase(url);
  const sql = connect(url, { applicationName: "ecommerce-test" });
  if (options.migrated !== false) await migrate(sql);
  const close = async () => {
    await sql.end({ timeout: 5 });
    await dropDatabase(url);
  };
  return { url, sql, close, [Symbol.asyncDispose]: close };
}

/** A fresh topic (6 partitions) and its DLQ; `close()` deletes both. */
export interface TestTopic extends AsyncDisposable {
  topic: string;
  brokers: string[];
  close(): Promise<void>;
}

/** Creates `test_<prefix>_<random>` and its `.dlq`. */
export async function createTestTopic(prefix = "topic"): Promise<TestTopic> {
  const { kafkaBrokers } = await testServices();
  const topic = uniqueName(`test_${prefix}`);
  await ensureTopics(kafkaBrokers, topic);
  const close = () => deleteTopics(kafkaBrokers, [topic, dlqTopic(topic)]).catch(() => {});
  return { topic, brokers: kafkaBrokers, close, [Symbol.asyncDispose]: close };
}

/** A private KRaft cluster on free ports; `close()` kills every node and deletes its data. */
export interface TestCluster extends AsyncDisposable {
  /** Every node's `host:port`, for clients. */
  brokers: string[];
  /** The running (or killed) node processes, node id `i + 1` at index `i`. */
  nodes: LocalBroker[];
  /** SIGKILLs node `nodeId` (no controlled shutdown) and waits until it is gone. */
  kill(nodeId: number): Promise<void>;
  /** Starts a killed node again on its data and waits until it serves metadata. */
  restart(nodeId: number): Promise<void>;
  close(): Promise<void>;
}

/** Options for {@linkcode startTestCluster}. */
export interface TestClusterOptions {
  /** Nodes; default 3. */
  brokers?: number;
  /** Heap per node; default 384m (three of them share a 2-core CI machine). */
  heap?: string;
}

/** Starts a private cluster of combined broker+controller nodes, all quorum voters. */
export async function startTestCluster(options: TestClusterOptions = {}): Promise<TestCluster> {
  const count = options.brokers ?? 3;
  const heap = options.heap ?? "384m";
  const ports = clusterPorts(freePortRange(2 * count), count);
  const nodes = await startLocalKafkaCluster({ ports, heap });
  const killNode = async (node: LocalBroker) => {
    try {
      Deno.kill(node.pid, "SIGKILL");
    } catch { /* already gone */ }
    while (isAlive(node.pid)) await sleep(20);
  };
  const close = async () => {
    await Promise.all(nodes.map(killNode));
    await Deno.remove(kafkaClusterDir(ports[0]), { recursive: true }).catch(() => {});
  };
  return {
    brokers: ports.map((port) => `127.0.0.1:${port}`),
    nodes,
    kill: (nodeId) => killNode(nodes[nodeId - 1]),
    async restart(nodeId) {
      nodes[nodeId - 1] = await restartClusterNode(nodes[nodeId - 1], { heap, clusterSize: count });
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
