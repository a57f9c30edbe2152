/**
 * What every entry point does before its work: find (or bring up) the services,
 * create the database and topics it is pointed at when missing, and apply pending
 * migrations — so pointing a process at a new database or topic name just works.
 * Entry points that only attach and must not load the bring-up code (the web server)
 * use `attach.ts` directly.
 *
 * @module
 */
import { type Attached, prepareAttached, prepareEndpoints } from "./attach.ts";
import type { Config } from "./config.ts";
import { ensureServices } from "../services/mod.ts";
import type { Services } from "../services/mod.ts";

/** The resolved endpoints, ready to use. */
export interface Prepared extends Attached {
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
  if (options.bringUp === false) {
    const attached = await prepareAttached(config);
    const { databaseUrl, kafkaBrokers } = attached;
    return { ...attached, services: { databaseUrl, kafkaBrokers, started: {} } };
  }
  const services = await ensureServices({
    databaseUrl: config.databaseUrl,
    kafkaBrokers: config.kafkaBrokers,
    onProgress: options.onProgress,
  });
  return { ...await prepareEndpoints(config, services), services };
}
