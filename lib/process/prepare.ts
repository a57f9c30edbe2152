/**
 * What every entry point does before its work: attach to Postgres and Kafka, create the
 * database and topics it is pointed at when missing, and apply pending migrations, so
 * pointing a process at a new database or topic name just works. Runtime processes
 * (web, worker) only attach; the tasks that bring services up (`start`, `services`,
 * `test`, `load`, `stats`) do so with `lib/services/` first and hand the endpoints in.
 *
 * @module
 */
import type { Config } from "./config.ts";
import { connect, ensureDatabase } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { ensureTopics } from "../kafka/client.ts";
import { isListening } from "./tcp_probe.ts";

/** Where Postgres and Kafka are. */
export interface Endpoints {
  databaseUrl: string;
  kafkaBrokers: string[];
}

/** The resolved endpoints, ready to use. */
export interface Prepared extends Endpoints {
  topic: string;
  /** Migrations this call applied. */
  applied: string[];
}

/**
 * Prepares database, migrations and topics at `endpoints`, or, without them, at the
 * configuration's services (else the local defaults, 127.0.0.1:5432 and :9092),
 * failing fast with what to do when none listens.
 */
export async function prepare(config: Config, endpoints?: Endpoints): Promise<Prepared> {
  const { databaseUrl, kafkaBrokers } = endpoints ?? await attach(config);
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

async function attach(config: Config): Promise<Endpoints> {
  if (!config.databaseUrl && !await isListening("127.0.0.1", 5432)) {
    throw new Error(
      "Cannot reach PostgreSQL: set DATABASE_URL, or run `deno task services` first",
    );
  }
  if (!config.kafkaBrokers && !await isListening("127.0.0.1", 9092)) {
    throw new Error("Cannot reach Kafka: set KAFKA_BROKERS, or run `deno task services` first");
  }
  return {
    databaseUrl: config.databaseUrl ?? `postgres://${config.postgresUser}@127.0.0.1:5432/ecommerce`,
    kafkaBrokers: config.kafkaBrokers ?? ["127.0.0.1:9092"],
  };
}
