/**
 * Finds or brings up Postgres and Kafka, for `deno task start`, `deno task services`
 * and the tests. For each: use `DATABASE_URL` / `KAFKA_BROKERS` when set; else attach
 * to what listens on the default local port; else bring one up (Docker compose where a
 * Docker engine runs; else from the machine's Postgres binaries and Kafka's jars from
 * Maven Central); else fail with one message that says what to install.
 *
 * @module
 */
import {
  clusterPorts,
  DEFAULT_CLUSTER_PORT,
  kafkaAnswers,
  localKafkaBlocker,
  REPO_ROOT,
  startLocalKafka,
  startLocalKafkaCluster,
  stopLocalKafka,
} from "./kafka_local.ts";
import type { LocalBroker } from "./kafka_local.ts";
import { findPostgresBin, startLocalPostgres, stopLocalPostgres } from "./postgres_local.ts";
import type { LocalPostgres } from "./postgres_local.ts";
import { isAlive, isListening, waitFor } from "./net.ts";
import { hasCommand, run } from "./spawn.ts";
import { type Config, readConfig } from "../process/config.ts";
import { prepare, type Prepared } from "../process/prepare.ts";

/** This folder's place in the house, checked by tests/architecture_test.ts. */
export const RULES = {
  /** Imports point down: a folder may import only folders of lower layers. */
  layer: 8,
  /** The folders it may import. */
  imports: ["core", "db", "kafka", "process"],
  /** The npm packages it may import (`node:` builtins are fine outside browser-safe files). */
  npm: ["playwright-core"],
  /** Files islands and components may import: they use no I/O, `Deno` or npm package. */
  browserSafe: [],
} as const;

/** Where the services are, and what this call started. */
export interface Services {
  databaseUrl: string;
  kafkaBrokers: string[];
  /** What was brought up (empty when everything was attached). */
  started: StartedServices;
}

/** Services started by this project, recorded in `.data/services.json` for `--stop`. */
export interface StartedServices {
  postgres?: LocalPostgres;
  kafka?: LocalBroker;
  /** The nodes of a cluster (`--brokers N`, N > 1), node id `i + 1` at index `i`. */
  kafkaCluster?: LocalBroker[];
  /** Set when Docker compose started them. */
  compose?: boolean;
  /** The compose profile it started (`cluster`), if any. */
  composeProfile?: string;
}

/** Most brokers `--brokers` brings up on one machine. */
export const MAX_LOCAL_BROKERS = 5;

/**
 * Parses `--brokers`: a whole number from 1 to {@linkcode MAX_LOCAL_BROKERS}. Throws an
 * `Error` that says what is wrong.
 */
export function parseBrokerCount(text: string): number {
  const count = /^\s*\d{1,3}\s*$/.test(text) ? Number(text) : NaN;
  if (!(count >= 1 && count <= MAX_LOCAL_BROKERS)) {
    throw new Error(
      `Cannot use --brokers "${text}": expected a whole number from 1 to ${MAX_LOCAL_BROKERS} ` +
        `(1 is a single broker, 3 a cluster that survives one broker's death)`,
    );
  }
  return count;
}

/** Options for {@linkcode ensureServices}. */
export interface EnsureServicesOptions {
  /** From the configuration; undefined means "find or bring up". */
  databaseUrl?: string;
  kafkaBrokers?: string[];
  /** Database name for the URL of an attached or started server; default `ecommerce`. */
  database?: string;
  /** Progress lines for humans. */
  onProgress?: (line: string) => void;
  /** Default local ports (tests use others to exercise the bring-up path). */
  postgresPort?: number;
  /** A single broker's port (default 9092), or a cluster's first node's (default 9192). */
  kafkaPort?: number;
  /**
   * Brokers to find or bring up; default 1. More make a KRaft cluster on `kafkaPort`,
   * `kafkaPort + 2`, … (controllers on the odd ports between), every node a voter.
   */
  kafkaBrokerCount?: number;
  /** Skip Docker even where an engine runs (tests). */
  noDocker?: boolean;
  /** The user of an attached local Postgres; default the configuration's (`PGUSER`, `USER`). */
  postgresUser?: string;
}

/** What {@linkcode bringUp} did: the prepared endpoints and what was started. */
export interface BroughtUp extends Prepared {
  services: Services;
}

/**
 * For the tasks that may start services (`start`, `services`, `load`, `stats`): finds or
 * brings up Postgres and Kafka for `config`, then prepares database, migrations and
 * topics there.
 */
export async function bringUp(
  config: Config,
  options: {
    onProgress?: (line: string) => void;
    /** See {@linkcode EnsureServicesOptions.kafkaBrokerCount}. */
    kafkaBrokerCount?: number;
    /** See {@linkcode EnsureServicesOptions.kafkaPort}. */
    kafkaPort?: number;
  } = {},
): Promise<BroughtUp> {
  const services = await ensureServices({
    databaseUrl: config.databaseUrl,
    kafkaBrokers: config.kafkaBrokers,
    postgresUser: config.postgresUser,
    onProgress: options.onProgress,
    kafkaBrokerCount: options.kafkaBrokerCount,
    kafkaPort: options.kafkaPort,
  });
  return { ...await prepare(config, services), services };
}

/** The file recording what `deno task services` brought up. */
export const STATE_FILE = new URL(".data/services.json", REPO_ROOT).pathname;

/** Ensures both services answer; see the module doc for the order of attempts. */
export async function ensureServices(options: EnsureServicesOptions = {}): Promise<Services> {
  const progress = options.onProgress ?? (() => {});
  const pgPort = options.postgresPort ?? 5432;
  const brokerCount = options.kafkaBrokerCount ?? 1;
  const cluster = brokerCount > 1;
  const kafkaPort = options.kafkaPort ?? (cluster ? DEFAULT_CLUSTER_PORT : 9092);
  const ports = clusterPorts(kafkaPort, brokerCount);
  const database = options.database ?? "ecommerce";
  const started: StartedServices = {};
  const needPostgres = !options.databaseUrl && !await isListening("127.0.0.1", pgPort);
  const needKafka = !options.kafkaBrokers && !await isListening("127.0.0.1", kafkaPort);
  // The compose file's cluster profile is three brokers on the default ports.
  const composeCluster = brokerCount === 3 && kafkaPort === DEFAULT_CLUSTER_PORT;

  if (
    (needPostgres || needKafka) && !options.noDocker && (!cluster || composeCluster) &&
    await dockerEngineRuns()
  ) {
    progress("Starting Kafka and Postgres with Docker compose…");
    const args = cluster
      ? ["compose", "--profile", "cluster", "up", "-d", "--wait", "postgres", ...CLUSTER_SERVICES]
      : ["compose", "up", "-d", "--wait"];
    await run("docker", args, { cwd: REPO_ROOT.pathname });
    started.compose = true;
    if (cluster) started.composeProfile = "cluster";
  }
  try {
    let databaseUrl = options.databaseUrl;
    if (!databaseUrl) {
      let user = options.postgresUser ?? readConfig().postgresUser;
      if (needPostgres && !started.compose) {
        if (!await findPostgresBin()) throw new Error(missingMessage("PostgreSQL"));
        started.postgres = await startLocalPostgres({ port: pgPort, onProgress: progress });
        user = started.postgres.user;
      } else if (started.compose) {
        user = "postgres";
      }
      databaseUrl = `postgres://${user}@127.0.0.1:${pgPort}/${database}`;
    }
    let kafkaBrokers = options.kafkaBrokers;
    if (!kafkaBrokers) {
      kafkaBrokers = ports.map((port) => `127.0.0.1:${port}`);
      if (needKafka && !started.compose) {
        const blocker = await localKafkaBlocker();
        if (blocker) throw new Error(missingMessage(`Kafka (${blocker})`));
        if (cluster) {
          started.kafkaCluster = await startLocalKafkaCluster({ ports, onProgress: progress });
        } else {
          started.kafka = await startLocalKafka({ port: kafkaPort, onProgress: progress });
        }
      }
    }
    const brokers = kafkaBrokers;
    const attached = !started.kafka && !started.kafkaCluster && !started.compose;
    if (
      cluster && attached && await kafkaAnswers(brokers) &&
      !await kafkaAnswers(brokers, { brokers: brokerCount })
    ) {
      throw new Error(
        `Kafka at ${brokers.join(",")} answers but has fewer than ${brokerCount} brokers: ` +
          `stop what listens there, or pick other ports (--kafka-port)`,
      );
    }
    const what = `Kafka at ${brokers.join(",")}` +
      (cluster ? ` with ${brokerCount} brokers in its metadata` : "");
    await waitFor(what, () => kafkaAnswers(brokers, { brokers: brokerCount }), {
      timeoutMs: started.compose ? 120_000 : 30_000,
      intervalMs: 500,
    });
    return { databaseUrl, kafkaBrokers, started };
  } catch (error) {
    await stopServices(started);
    throw error;
  }
}

function missingMessage(what: string): string {
  return `Cannot find or start ${what}. Set DATABASE_URL and KAFKA_BROKERS to running ` +
    `services, start them on 127.0.0.1:5432 and 127.0.0.1:9092, run a Docker engine ` +
    `(docker compose up), or install PostgreSQL, Java 17+ and Maven ` +
    `(apt-get install postgresql openjdk-17-jre-headless maven)`;
}

/** The compose file's cluster brokers (profile `cluster`). */
const CLUSTER_SERVICES = ["kafka-1", "kafka-2", "kafka-3"];

async function dockerEngineRuns(): Promise<boolean> {
  return await hasCommand("docker", ["info", "--format", "{{.ServerVersion}}"]);
}

/** Stops what {@linkcode ensureServices} started, Kafka first (it may use nothing else). */
export async function stopServices(started: StartedServices): Promise<void> {
  if (started.compose) {
    const profile = started.composeProfile ? ["--profile", started.composeProfile] : [];
    await run("docker", ["compose", ...profile, "stop"], { cwd: REPO_ROOT.pathname });
  }
  if (started.kafka) await stopLocalKafka(started.kafka);
  // All at once: each node's controlled shutdown needs the quorum the others form.
  await Promise.all((started.kafkaCluster ?? []).map((node) => stopLocalKafka(node)));
  if (started.postgres) await stopLocalPostgres(started.postgres);
}

/** Records started services so a later `deno task services --stop` can stop them. */
export async function saveStarted(started: StartedServices): Promise<void> {
  const previous = await readStarted();
  const merged: StartedServices = {
    postgres: started.postgres ?? previous.postgres,
    kafka: started.kafka ?? previous.kafka,
    kafkaCluster: started.kafkaCluster ?? previous.kafkaCluster,
    compose: started.compose || previous.compose,
    composeProfile: started.composeProfile ?? previous.composeProfile,
  };
  await Deno.mkdir(new URL(".data/", REPO_ROOT), { recursive: true });
  await Deno.writeTextFile(STATE_FILE, JSON.stringify(merged, null, 2) + "\n");
}

/** Reads `.data/services.json`, dropping entries whose process is gone. */
export async function readStarted(): Promise<StartedServices> {
  try {
    const state = JSON.parse(await Deno.readTextFile(STATE_FILE)) as StartedServices;
    if (state.kafka && !isAlive(state.kafka.pid)) delete state.kafka;
    state.kafkaCluster = state.kafkaCluster?.filter((node) => isAlive(node.pid));
    if (!state.kafkaCluster?.length) delete state.kafkaCluster;
    return state;
  } catch {
    return {};
  }
}

/** Stops everything recorded in `.data/services.json` and clears it. */
export async function stopRecorded(): Promise<StartedServices> {
  const state = await readStarted();
  await stopServices(state);
  await Deno.remove(STATE_FILE).catch(() => {});
  return state;
}
