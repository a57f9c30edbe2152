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
  kafkaAnswers,
  localKafkaBlocker,
  REPO_ROOT,
  startLocalKafka,
  stopLocalKafka,
} from "./kafka_local.ts";
import type { LocalBroker } from "./kafka_local.ts";
import { findPostgresBin, startLocalPostgres, stopLocalPostgres } from "./postgres_local.ts";
import type { LocalPostgres } from "./postgres_local.ts";
import { isAlive, isListening, waitFor } from "./net.ts";
import { hasCommand, run } from "./spawn.ts";
import { type Config, loadConfig } from "../process/config.ts";
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
  /** Set when Docker compose started them. */
  compose?: boolean;
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
  kafkaPort?: number;
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
  options: { onProgress?: (line: string) => void } = {},
): Promise<BroughtUp> {
  const services = await ensureServices({
    databaseUrl: config.databaseUrl,
    kafkaBrokers: config.kafkaBrokers,
    postgresUser: config.postgresUser,
    onProgress: options.onProgress,
  });
  return { ...await prepare(config, services), services };
}

/** The file recording what `deno task services` brought up. */
export const STATE_FILE = new URL(".data/services.json", REPO_ROOT).pathname;

/** Ensures both services answer; see the module doc for the order of attempts. */
export async function ensureServices(options: EnsureServicesOptions = {}): Promise<Services> {
  const progress = options.onProgress ?? (() => {});
  const pgPort = options.postgresPort ?? 5432;
  const kafkaPort = options.kafkaPort ?? 9092;
  const database = options.database ?? "ecommerce";
  const started: StartedServices = {};
  const needPostgres = !options.databaseUrl && !await isListening("127.0.0.1", pgPort);
  const needKafka = !options.kafkaBrokers && !await isListening("127.0.0.1", kafkaPort);

  if ((needPostgres || needKafka) && !options.noDocker && await dockerEngineRuns()) {
    progress("Starting Kafka and Postgres with Docker compose…");
    await run("docker", ["compose", "up", "-d", "--wait"], { cwd: REPO_ROOT.pathname });
    started.compose = true;
  }
  try {
    let databaseUrl = options.databaseUrl;
    if (!databaseUrl) {
      let user = options.postgresUser ?? loadConfig().postgresUser;
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
      kafkaBrokers = [`127.0.0.1:${kafkaPort}`];
      if (needKafka && !started.compose) {
        const blocker = await localKafkaBlocker();
        if (blocker) throw new Error(missingMessage(`Kafka (${blocker})`));
        started.kafka = await startLocalKafka({ port: kafkaPort, onProgress: progress });
      }
    }
    await waitFor(`Kafka at ${kafkaBrokers.join(",")}`, () => kafkaAnswers(kafkaBrokers!), {
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

async function dockerEngineRuns(): Promise<boolean> {
  return await hasCommand("docker", ["info", "--format", "{{.ServerVersion}}"]);
}

/** Stops what {@linkcode ensureServices} started, Kafka first (it may use nothing else). */
export async function stopServices(started: StartedServices): Promise<void> {
  if (started.compose) {
    await run("docker", ["compose", "stop"], { cwd: REPO_ROOT.pathname });
  }
  if (started.kafka) await stopLocalKafka(started.kafka);
  if (started.postgres) await stopLocalPostgres(started.postgres);
}

/** Records started services so a later `deno task services --stop` can stop them. */
export async function saveStarted(started: StartedServices): Promise<void> {
  const previous = await loadStarted();
  const merged: StartedServices = {
    postgres: started.postgres ?? previous.postgres,
    kafka: started.kafka ?? previous.kafka,
    compose: started.compose || previous.compose,
  };
  await Deno.mkdir(new URL(".data/", REPO_ROOT), { recursive: true });
  await Deno.writeTextFile(STATE_FILE, JSON.stringify(merged, null, 2) + "\n");
}

/** Reads `.data/services.json`, dropping entries whose process is gone. */
export async function loadStarted(): Promise<StartedServices> {
  try {
    const state = JSON.parse(await Deno.readTextFile(STATE_FILE)) as StartedServices;
    if (state.kafka && !isAlive(state.kafka.pid)) delete state.kafka;
    return state;
  } catch {
    return {};
  }
}

/** Stops everything recorded in `.data/services.json` and clears it. */
export async function stopRecorded(): Promise<StartedServices> {
  const state = await loadStarted();
  await stopServices(state);
  await Deno.remove(STATE_FILE).catch(() => {});
  return state;
}
