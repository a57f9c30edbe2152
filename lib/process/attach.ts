/**
 * What an entry point that only attaches (the web server; any process that must not
 * bring services up) does before its work: find Postgres and Kafka where the
 * configuration or the default local ports say, create the database and topics it is
 * pointed at when missing, and apply pending migrations. It imports nothing of
 * `services/` (the dev bring-up code), so a web process never loads it.
 *
 * @module
 */
import type { Config } from "./config.ts";
import { connect, ensureDatabase } from "../db/client.ts";
import { ensureTopics } from "../kafka/client.ts";
import { migrate } from "../db/migrate.ts";
import { isListening } from "./tcp_probe.ts";

/** The resolved endpoints, ready to use. */
export interface Attached {
  databaseUrl: string;
  kafkaBrokers: string[];
  topic: string;
  /** Migrations this call applied. */
  applied: string[];
}

/** The Postgres user of a local server when `DATABASE_URL` names none: `$PGUSER`, `$USER`. */
export function defaultPostgresUser(): string {
  return Deno.env.get("PGUSER") ?? Deno.env.get("USER") ??
    (Deno.uid?.() === 0 ? "root" : "postgres");
}

/**
 * Attaches to the services of `config` (else the local defaults, 127.0.0.1:5432 and
 * :9092), failing fast with what to do when none listens; then database, migrations
 * and topics.
 */
export async function prepareAttached(config: Config): Promise<Attached> {
  if (!config.databaseUrl && !await isListening("127.0.0.1", 5432)) {
    throw new Error(
      "Cannot reach PostgreSQL: set DATABASE_URL, or run `deno task services` first",
    );
  }
  if (!config.kafkaBrokers && !await isListening("127.0.0.1", 9092)) {
    throw new Error("Cannot reach Kafka: set KAFKA_BROKERS, or run `deno task services` first");
  }
  const databaseUrl = config.databaseUrl ??
    `postgres://${defaultPostgresUser()}@127.0.0.1:5432/ecommerce`;
  const kafkaBrokers = config.kafkaBrokers ?? ["127.0.0.1:9092"];
  return await prepareEndpoints(config, { databaseUrl, kafkaBrokers });
}

/** Creates the database, applies migrations and creates the topics at known endpoints. */
export async function prepareEndpoints(
  config: Config,
  endpoints: { databaseUrl: string; kafkaBrokers: string[] },
): Promise<Attached> {
  const { databaseUrl, kafkaBrokers } = endpoints;
  await ensureDatabase(databaseUrl);
  const sql = connect(databaseUrl, { max: 1, applicationName: "ecommerce-migrate" });
  let applied: string[];
  try {
    applied = await migrate(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
  await ensureTopics(kafkaBrokers, config.kafkaTopic);
  return { databaseUrl, kafkaBrokers, topic: config.kafkaTopic, applied };
}
