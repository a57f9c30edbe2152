/**
 * What every entry point does before its work: find (or bring up) the services,
 * create the database and topics it is pointed at when missing, and apply pending
 * migrations — so pointing a process at a new database or topic name just works.
 *
 * @module
 */
import type { Config } from "./config.ts";
import { connect, ensureDatabase } from "./db.ts";
import { ensureTopics } from "./kafka.ts";
import { migrate } from "./migrate.ts";
import { ensureServices } from "./services/mod.ts";
import type { Services } from "./services/mod.ts";
import { isListening } from "./services/net.ts";

/** The resolved endpoints, ready to use. */
export interface Prepared {
  databaseUrl: string;
  kafkaBrokers: string[];
  topic: string;
  /** Migrations this call applied. */
  applied: string[];
  /** What was attached or started. */
  services: Services;
}

/** Options for {@linkcode prepare}. */
export interface PrepareOptions {
  /** Bring services up when none is found (start, services, test); default true. */
  bringUp?: boolean;
  onProgress?: (line: string) => void;
}

/** Ensures services, database, migrations and topics for `config`. */
export async function prepare(config: Config, options: PrepareOptions = {}): Promise<Prepared> {
  if (options.bringUp === false) await requireReachable(config);
  const services = await ensureServices({
    databaseUrl: config.databaseUrl,
    kafkaBrokers: config.kafkaBrokers,
    onProgress: options.onProgress,
  });
  const { databaseUrl, kafkaBrokers } = services;
  await ensureDatabase(databaseUrl);
  const sql = connect(databaseUrl, { max: 1, applicationName: "ecommerce-migrate" });
  let applied: string[];
  try {
    applied = await migrate(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
  await ensureTopics(kafkaBrokers, config.kafkaTopic);
  return { databaseUrl, kafkaBrokers, topic: config.kafkaTopic, applied, services };
}

async function requireReachable(config: Config): Promise<void> {
  if (!config.databaseUrl && !await isListening("127.0.0.1", 5432)) {
    throw new Error(
      "Cannot reach PostgreSQL: set DATABASE_URL, or run `deno task services` first",
    );
  }
  if (!config.kafkaBrokers && !await isListening("127.0.0.1", 9092)) {
    throw new Error("Cannot reach Kafka: set KAFKA_BROKERS, or run `deno task services` first");
  }
}
