/**
 * Brings up a single-node Apache Kafka (KRaft) from the jars Maven resolves from Maven
 * Central (`infra/kafka/pom.xml`) into `.cache/kafka/`, data in `.data/kafka[-PORT]/`.
 *
 * @module
 */
import { createKafka } from "../kafka/client.ts";
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

/** Starts a broker on `options.port` and waits until it serves metadata. */
export async function startLocalKafka(options: LocalKafkaOptions): Promise<LocalBroker> {
  const progress = options.onProgress ?? (() => {});
  await ensureKafkaJars(progress);
  const dataDir = kafkaDataDir(options.port);
  await Deno.mkdir(dataDir, { recursive: true });
  const template = await Deno.readTextFile(path("infra/kafka/server.properties"));
  const properties = template
    .replaceAll("${PORT}", String(options.port))
    .replaceAll("${CONTROLLER_PORT}", String(options.port + 1))
    .replaceAll("${LOG_DIRS}", `${dataDir}/logs`);
  const configFile = `${dataDir}/server.properties`;
  await Deno.writeTextFile(configFile, properties);
  const classpath = `${path(JAR_DIR)}*`;
  const java = [
    "-cp",
    classpath,
    `-Dlog4j2.configurationFile=${path("infra/kafka/log4j2.properties")}`,
  ];
  const formatted = await Deno.stat(`${dataDir}/logs/meta.properties`).then(
    () => true,
    () => false,
  );
  if (!formatted) {
    const clusterId = (await run("java", [...java, "kafka.tools.StorageTool", "random-uuid"]))
      .trim().split("\n").pop()!.trim();
    await run("java", [
      ...java,
      "kafka.tools.StorageTool",
      "format",
      "-t",
      clusterId,
      "-c",
      configFile,
      "--ignore-formatted",
    ]);
  }
  const logFile = `${dataDir}/broker.log`;
  const heap = options.heap ?? "512m";
  const pid = spawnDaemon("java", [
    `-Xmx${heap}`,
    `-Xms${heap}`,
    "-XX:+UseG1GC",
    "-Djava.awt.headless=true",
    ...java,
    "kafka.Kafka",
    configFile,
  ], { logFile });
  progress(`Starting Kafka on 127.0.0.1:${options.port} (pid ${pid}, log ${logFile})…`);
  const broker = { pid, port: options.port, dataDir, logFile };
  try {
    await waitFor(`Kafka on 127.0.0.1:${options.port}`, async () => {
      if (!isAlive(pid)) throw new Error(`Kafka exited during start; see ${logFile}`);
      return await isListening("127.0.0.1", options.port) &&
        await kafkaAnswers([`127.0.0.1:${options.port}`]);
    }, { timeoutMs: 90_000, intervalMs: 300 });
  } catch (error) {
    await stopLocalKafka(broker);
    throw error;
  }
  return broker;
}

/**
 * True when the brokers answer a metadata request and have a group coordinator. A
 * freshly formatted broker serves metadata before `__consumer_offsets` exists; until
 * then every group call (commits, lag reads) fails with "group coordinator not
 * found", so a broker is not ready before it can describe a group.
 */
export async function kafkaAnswers(brokers: string[]): Promise<boolean> {
  const admin = createKafka(brokers, { clientId: "ecommerce-probe", probe: true, quiet: true })
    .admin();
  try {
    await admin.connect();
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
