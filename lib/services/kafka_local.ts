/**
 * Brings up Apache Kafka (KRaft) from the jars Maven resolves from Maven Central
 * (`infra/kafka/pom.xml`) into `.cache/kafka/`: a single node (data in
 * `.data/kafka[-PORT]/`) or a cluster of combined broker+controller nodes that are all
 * quorum voters (data in `.data/kafka-cluster-PORT/node-N/`), one `server.properties`
 * template for both.
 *
 * @module
 */
import { createKafka, replicationFor } from "../kafka/client.ts";
import { isAlive, isListening, waitFor } from "./net.ts";
import { hasCommand, run, spawnDaemon } from "./spawn.ts";
import { sleep } from "../core/async.ts";

/** Where the repository's `infra/` and `.cache/`, `.data/` folders are. */
export const REPO_ROOT = new URL("../../", import.meta.url);

/** A broker this module started. */
export interface LocalBroker {
  pid: number;
  port: number;
  dataDir: string;
  logFile: string;
  /** Its `node.id` (1 for a single broker). */
  nodeId?: number;
}

/** Options for {@linkcode startLocalKafka}. */
export interface LocalKafkaOptions {
  /** Client port; the controller listens on `port + 1`. */
  port: number;
  /** Progress lines (first run downloads ~100 MB of jars). */
  onProgress?: (line: string) => void;
  /** Heap size; default 512m (enough on a 2-core development machine). */
  heap?: string;
}

/** Reasons a local broker cannot be started here, or undefined when it can. */
export async function localKafkaBlocker(): Promise<string | undefined> {
  if (!await hasCommand("java", ["-version"])) return "Java 17+ is not installed";
  if (!(await isJarCacheReady()) && !await hasCommand("mvn", ["-v"])) {
    return "Maven is not installed (needed once to fetch Kafka's jars)";
  }
  return undefined;
}

function path(relative: string): string {
  return new URL(relative, REPO_ROOT).pathname;
}

const JAR_DIR = ".cache/kafka/lib/";
const JAR_MARKER = ".cache/kafka/lib/.complete";

async function isJarCacheReady(): Promise<boolean> {
  try {
    const [marker, pom] = await Promise.all([
      Deno.readTextFile(path(JAR_MARKER)),
      Deno.readTextFile(path("infra/kafka/pom.xml")),
    ]);
    return marker === await digest(pom);
  } catch {
    return false;
  }
}

async function digest(text: string): Promise<string> {
  const bytes = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Resolves Kafka's jars with Maven into `.cache/kafka/lib` unless already there. */
export async function ensureKafkaJars(onProgress: (line: string) => void = () => {}) {
  if (await isJarCacheReady()) return;
  const pom = await Deno.readTextFile(path("infra/kafka/pom.xml"));
  await Deno.remove(path(JAR_DIR), { recursive: true }).catch(() => {});
  await Deno.mkdir(path(JAR_DIR), { recursive: true });
  onProgress("Fetching Apache Kafka's jars from Maven Central (first run only)…");
  const child = new Deno.Command("mvn", {
    args: [
      "-B",
      "-f",
      path("infra/kafka/pom.xml"),
      "dependency:copy-dependencies",
      "-DincludeScope=runtime",
      `-DoutputDirectory=${path(JAR_DIR)}`,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let downloaded = 0;
  let tail = "";
  const decoder = new TextDecoder();
  const stderr = new Response(child.stderr).text();
  for await (const chunk of child.stdout) {
    const text = decoder.decode(chunk, { stream: true });
    tail = (tail + text).slice(-4000);
    const count = text.match(/Downloaded from/g)?.length ?? 0;
    if (count > 0) {
      downloaded += count;
      if (downloaded % 10 < count) onProgress(`  downloaded ${downloaded} artifacts…`);
    }
  }
  const status = await child.status;
  if (!status.success) {
    throw new Error(`Cannot fetch Kafka's jars with Maven: ${tail}${await stderr}`);
  }
  await Deno.writeTextFile(path(JAR_MARKER), await digest(pom));
  onProgress(`  Kafka's jars are in ${JAR_DIR} (${downloaded} downloaded)`);
}

/** The data directory for a broker on `port` (the default port keeps the plain name). */
export function kafkaDataDir(port: number): string {
  return path(port === 9092 ? ".data/kafka" : `.data/kafka-${port}`);
}

/**
 * The folder of the cluster whose first node listens on `firstPort`: one `node-<id>/`
 * per node and the cluster id they were formatted with. Apart from single brokers'
 * folders: a node formatted alone cannot join a cluster (its quorum and id differ).
 */
export function kafkaClusterDir(firstPort: number): string {
  return path(`.data/kafka-cluster-${firstPort}`);
}

/** The client ports of a cluster's nodes: `firstPort`, `firstPort + 2`, … (controllers on +1). */
export function clusterPorts(firstPort: number, brokers: number): number[] {
  return Array.from({ length: brokers }, (_, i) => firstPort + 2 * i);
}

/** Where a cluster's first node listens by default: beside the single broker's 9092, not on it. */
export const DEFAULT_CLUSTER_PORT = 9192;

/** Options for {@linkcode startLocalKafkaCluster}. */
export interface LocalKafkaClusterOptions {
  /** Client port of each node (node ids 1, 2, …); controllers listen on `port + 1`. */
  ports: number[];
  /** Progress lines. */
  onProgress?: (line: string) => void;
  /** Heap per node; default 512m. */
  heap?: string;
}

/** One node of a KRaft quorum, as written into its `server.properties`. */
interface NodePlan {
  nodeId: number;
  port: number;
  dataDir: string;
  /** `controller.quorum.voters`: every node of the cluster. */
  voters: string;
  /** Nodes in the cluster, for the internal topics' replication. */
  clusterSize: number;
}

/** Starts a single broker on `options.port` and waits until it serves metadata. */
export async function startLocalKafka(options: LocalKafkaOptions): Promise<LocalBroker> {
  const progress = options.onProgress ?? (() => {});
  await ensureKafkaJars(progress);
  const dataDir = kafkaDataDir(options.port);
  const voters = `1@127.0.0.1:${options.port + 1}`;
  const plan = { nodeId: 1, port: options.port, dataDir, voters, clusterSize: 1 };
  const configFile = await writeNodeConfig(plan);
  if (!await isFormatted(dataDir)) await formatNode(configFile, randomClusterId());
  const broker = spawnNode(plan, configFile, options.heap ?? "512m", progress);
  try {
    await waitForNodes([broker], 1);
  } catch (error) {
    await stopLocalKafka(broker);
    throw error;
  }
  return broker;
}

/**
 * Starts a KRaft cluster of combined broker+controller nodes on `options.ports`, every
 * node a voter, data in {@linkcode kafkaClusterDir}; waits until every node serves
 * metadata listing all of them and a group coordinator answers. A cluster already
 * formatted there is started again with its data.
 */
export async function startLocalKafkaCluster(
  options: LocalKafkaClusterOptions,
): Promise<LocalBroker[]> {
  const { ports } = options;
  if (ports.length < 1) throw new Error("Cannot start a Kafka cluster of 0 nodes");
  const progress = options.onProgress ?? (() => {});
  await ensureKafkaJars(progress);
  const clusterDir = kafkaClusterDir(ports[0]);
  await Deno.mkdir(clusterDir, { recursive: true });
  const voters = ports.map((port, i) => `${i + 1}@127.0.0.1:${port + 1}`).join(",");
  const plans = ports.map((port, i) => ({
    nodeId: i + 1,
    port,
    dataDir: `${clusterDir}/node-${i + 1}`,
    voters,
    clusterSize: ports.length,
  }));
  // Every node is formatted with one cluster id, kept beside them so a node whose folder
  // was lost is formatted into the same cluster again.
  const idFile = `${clusterDir}/cluster.id`;
  let clusterId = await Deno.readTextFile(idFile).then((text) => text.trim(), () => "");
  if (!clusterId) {
    clusterId = randomClusterId();
    await Deno.writeTextFile(idFile, clusterId + "\n");
  }
  const configs = await Promise.all(plans.map(writeNodeConfig));
  await Promise.all(plans.map(async (plan, i) => {
    if (!await isFormatted(plan.dataDir)) await formatNode(configs[i], clusterId);
  }));
  const heap = options.heap ?? "512m";
  const nodes = plans.map((plan, i) => spawnNode(plan, configs[i], heap, progress));
  try {
    await waitForNodes(nodes, nodes.length);
  } catch (error) {
    await Promise.all(nodes.map((node) => stopLocalKafka(node, 0)));
    throw error;
  }
  return nodes;
}

/**
 * Starts one node of a cluster {@linkcode startLocalKafkaCluster} formatted (after it
 * was stopped or killed) and waits until it serves metadata again.
 */
export async function restartClusterNode(
  node: LocalBroker,
  options: { heap?: string; clusterSize: number; onProgress?: (line: string) => void },
): Promise<LocalBroker> {
  if (isAlive(node.pid)) throw new Error(`Kafka node ${node.nodeId} (pid ${node.pid}) still runs`);
  const configFile = `${node.dataDir}/server.properties`;
  const plan = { nodeId: node.nodeId ?? 1, port: node.port, dataDir: node.dataDir };
  const restarted = spawnNode(plan, configFile, options.heap ?? "512m", options.onProgress);
  await waitForNodes([restarted], options.clusterSize);
  return restarted;
}

async function writeNodeConfig(plan: NodePlan): Promise<string> {
  await Deno.mkdir(plan.dataDir, { recursive: true });
  const { replicationFactor, minInsyncReplicas } = replicationFor(plan.clusterSize);
  const template = await Deno.readTextFile(path("infra/kafka/server.properties"));
  const properties = template
    .replaceAll("${NODE_ID}", String(plan.nodeId))
    .replaceAll("${QUORUM_VOTERS}", plan.voters)
    .replaceAll("${PORT}", String(plan.port))
    .replaceAll("${CONTROLLER_PORT}", String(plan.port + 1))
    .replaceAll("${LOG_DIRS}", `${plan.dataDir}/logs`)
    .replaceAll("${REPLICATION_FACTOR}", String(replicationFactor))
    .replaceAll("${MIN_ISR}", String(minInsyncReplicas));
  const configFile = `${plan.dataDir}/server.properties`;
  await Deno.writeTextFile(configFile, properties);
  return configFile;
}

function javaArgs(): string[] {
  return [
    "-cp",
    `${path(JAR_DIR)}*`,
    `-Dlog4j2.configurationFile=${path("infra/kafka/log4j2.properties")}`,
  ];
}

function isFormatted(dataDir: string): Promise<boolean> {
  return Deno.stat(`${dataDir}/logs/meta.properties`).then(() => true, () => false);
}

/**
 * A cluster id as Kafka's `StorageTool random-uuid` prints it (16 random bytes in
 * URL-safe base64, not starting with "-"), made here to spare a JVM start per bring-up.
 */
function randomClusterId(): string {
  for (;;) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    const id = btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
      .replace(/=+$/, "");
    if (!id.startsWith("-")) return id;
  }
}

async function formatNode(configFile: string, clusterId: string): Promise<void> {
  await run("java", [
    ...javaArgs(),
    "kafka.tools.StorageTool",
    "format",
    "-t",
    clusterId,
    "-c",
    configFile,
    "--ignore-formatted",
  ]);
}

function spawnNode(
  plan: Pick<NodePlan, "nodeId" | "port" | "dataDir">,
  configFile: string,
  heap: string,
  progress: (line: string) => void = () => {},
): LocalBroker {
  const logFile = `${plan.dataDir}/broker.log`;
  const pid = spawnDaemon("java", [
    `-Xmx${heap}`,
    `-Xms${heap}`,
    "-XX:+UseG1GC",
    "-Djava.awt.headless=true",
    ...javaArgs(),
    "kafka.Kafka",
    configFile,
  ], { logFile });
  progress(
    `Starting Kafka node ${plan.nodeId} on 127.0.0.1:${plan.port} (pid ${pid}, log ${logFile})…`,
  );
  return { pid, port: plan.port, dataDir: plan.dataDir, logFile, nodeId: plan.nodeId };
}

/** Waits until each of `nodes` serves metadata listing `clusterSize` brokers. */
async function waitForNodes(nodes: LocalBroker[], clusterSize: number): Promise<void> {
  await Promise.all(nodes.map((node) =>
    waitFor(`Kafka on 127.0.0.1:${node.port}`, async () => {
      if (!isAlive(node.pid)) throw new Error(`Kafka exited during start; see ${node.logFile}`);
      return await isListening("127.0.0.1", node.port) &&
        await kafkaAnswers([`127.0.0.1:${node.port}`], { brokers: clusterSize });
    }, { timeoutMs: 90_000, intervalMs: 300 })
  ));
}

/**
 * True when the brokers answer a metadata request listing at least `options.brokers`
 * brokers (default 1) and have a group coordinator. A freshly formatted broker serves
 * metadata before `__consumer_offsets` exists; until then every group call (commits,
 * lag reads) fails with "group coordinator not found", so a broker is not ready before
 * it can describe a group. In a cluster that topic needs all its replicas' brokers up.
 */
export async function kafkaAnswers(
  brokers: string[],
  options: { brokers?: number } = {},
): Promise<boolean> {
  const admin = createKafka(brokers, { clientId: "ecommerce-probe", probe: true, quiet: true })
    .admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length < (options.brokers ?? 1)) return false;
    await admin.listTopics();
    await admin.describeGroups(["ecommerce-readiness"]);
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Stops a broker: SIGTERM (Kafka's controlled shutdown), SIGKILL after `graceMs`. */
export async function stopLocalKafka(broker: { pid: number }, graceMs = 10_000): Promise<void> {
  if (!isAlive(broker.pid)) return;
  Deno.kill(broker.pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (isAlive(broker.pid) && Date.now() < deadline) {
    await sleep(100);
  }
  if (isAlive(broker.pid)) Deno.kill(broker.pid, "SIGKILL");
}
