/**
 * The one place that reads the environment. Every entry point calls
 * {@linkcode loadConfig} once at start; a bad value fails fast with a message that
 * names the variable.
 *
 * @module
 */

/** Validated process configuration (see the README's "Configuration"). */
export interface Config {
  /** `DATABASE_URL`; undefined means "attach to or bring up a local Postgres". */
  databaseUrl?: string;
  /** `KAFKA_BROKERS` (comma separated); undefined means "attach or bring up locally". */
  kafkaBrokers?: string[];
  /** `KAFKA_TOPIC`, default `ecommerce`; rejects go to `<topic>.dlq`. */
  kafkaTopic: string;
  /** `PORT`, default 8000; 0 picks a free port. */
  port: number;
  /** `HOSTNAME`, default `127.0.0.1`. */
  hostname: string;
  /** `ANALYTICS_TZ`, default `UTC`: the zone whose calendar days the daily rollup uses. */
  analyticsTz: string;
  /** `DASHBOARD_TOKEN`; when set, the dashboard and its API require it. */
  dashboardToken?: string;
  /**
   * `TRUST_PROXY`: the proxies (addresses, CIDRs or `loopback`, `linklocal`,
   * `uniquelocal`, comma separated) whose `X-Forwarded-For` and `X-Forwarded-Proto`
   * are believed; empty (the default) believes none.
   */
  trustProxy: string[];
  /** Limits on connections, request heads and WebSockets (the README's "Security"). */
  connections: ConnectionConfig;
}

/** Transport limits, each from its variable (defaults in {@linkcode CONNECTION_DEFAULTS}). */
export interface ConnectionConfig {
  /** `HTTP_MAX_CONNECTIONS`: open connections in all; more are refused with 503. */
  maxConnections: number;
  /** `HTTP_MAX_CONNECTIONS_PER_ADDRESS`: open connections from one TCP peer (trusted proxies exempt). */
  maxConnectionsPerAddress: number;
  /** `HTTP_HEADER_TIMEOUT_MS`: from a request head's first byte to its end; then 408. */
  headerTimeoutMs: number;
  /** `HTTP_IDLE_TIMEOUT_MS`: a connection waiting on the client (between requests, in a body, reading). */
  idleTimeoutMs: number;
  /** `HTTP_MAX_HEADER_BYTES`: largest request head; larger ones get 431. */
  maxHeaderBytes: number;
  /** `WS_MAX_MESSAGE_BYTES`: largest message a WebSocket client may send; larger ones close it with 1009. */
  maxWebSocketMessageBytes: number;
  /** `LIVE_MAX_SOCKETS`: open dashboard sockets in all; more are refused with 503. */
  liveMaxSockets: number;
  /** `LIVE_MAX_SOCKETS_PER_ADDRESS`: open dashboard sockets from one client address. */
  liveMaxSocketsPerAddress: number;
}

/**
 * The defaults: a browser opens at most 6 connections to a host and a dashboard one
 * socket, so the per-address caps leave room for a shared address (an office behind
 * NAT) while one client cannot take the server's; a browser's request head is 1-4 KB;
 * the dashboard never reads what a socket sends (pongs and close frames fit in 4 KiB).
 */
export const CONNECTION_DEFAULTS: ConnectionConfig = {
  maxConnections: 1024,
  maxConnectionsPerAddress: 128,
  headerTimeoutMs: 10_000,
  idleTimeoutMs: 30_000,
  maxHeaderBytes: 16 * 1024,
  maxWebSocketMessageBytes: 4 * 1024,
  liveMaxSockets: 512,
  liveMaxSocketsPerAddress: 16,
};

/** The variable of each {@linkcode ConnectionConfig} field, with its allowed range. */
const CONNECTION_VARIABLES: Record<keyof ConnectionConfig, [string, number, number]> = {
  maxConnections: ["HTTP_MAX_CONNECTIONS", 1, 1_000_000],
  maxConnectionsPerAddress: ["HTTP_MAX_CONNECTIONS_PER_ADDRESS", 1, 1_000_000],
  headerTimeoutMs: ["HTTP_HEADER_TIMEOUT_MS", 10, 3_600_000],
  idleTimeoutMs: ["HTTP_IDLE_TIMEOUT_MS", 10, 3_600_000],
  maxHeaderBytes: ["HTTP_MAX_HEADER_BYTES", 1024, 1024 * 1024],
  maxWebSocketMessageBytes: ["WS_MAX_MESSAGE_BYTES", 125, 64 * 1024 * 1024],
  liveMaxSockets: ["LIVE_MAX_SOCKETS", 1, 1_000_000],
  liveMaxSocketsPerAddress: ["LIVE_MAX_SOCKETS_PER_ADDRESS", 1, 1_000_000],
};

/** Thrown for an invalid environment variable; `variable` names it. */
export class ConfigError extends Error {
  /** The environment variable at fault. */
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`Invalid ${variable}: ${message}`);
    this.name = "ConfigError";
    this.variable = variable;
  }
}

import { compileTrust } from "./client_address.ts";

const TOPIC_PATTERN = /^[a-zA-Z0-9._-]{1,200}$/;

/**
 * Reads and validates the configuration from `env` (the process environment by
 * default), throwing {@linkcode ConfigError} on the first bad variable.
 */
export function loadConfig(env: Record<string, string | undefined> = Deno.env.toObject()): Config {
  const pick = (name: string) => {
    const value = env[name]?.trim();
    return value === "" ? undefined : value;
  };
  return {
    databaseUrl: parseDatabaseUrl(pick("DATABASE_URL")),
    kafkaBrokers: parseBrokers(pick("KAFKA_BROKERS")),
    kafkaTopic: parseTopic(pick("KAFKA_TOPIC") ?? "ecommerce"),
    port: parsePort(pick("PORT") ?? "8000"),
    hostname: pick("HOSTNAME") ?? "127.0.0.1",
    analyticsTz: parseTimeZone(pick("ANALYTICS_TZ") ?? "UTC"),
    dashboardToken: pick("DASHBOARD_TOKEN"),
    trustProxy: parseTrustProxy(pick("TRUST_PROXY")),
    connections: parseConnections(pick),
  };
}

function parseDatabaseUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError("DATABASE_URL", `not a URL: "${value}"`);
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new ConfigError("DATABASE_URL", `expected postgres://…, got "${url.protocol}"`);
  }
  if (url.pathname.length <= 1) {
    throw new ConfigError("DATABASE_URL", `no database name in "${value}"`);
  }
  return value;
}

function parseBrokers(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const brokers = value.split(",").map((b) => b.trim()).filter((b) => b !== "");
  for (const broker of brokers) {
    if (!/^[^\s:/]+:\d{1,5}$/.test(broker)) {
      throw new ConfigError("KAFKA_BROKERS", `expected host:port[,host:port…], got "${broker}"`);
    }
  }
  if (brokers.length === 0) throw new ConfigError("KAFKA_BROKERS", "no broker listed");
  return brokers;
}

function parseTopic(value: string): string {
  if (!TOPIC_PATTERN.test(value)) {
    throw new ConfigError("KAFKA_TOPIC", `use letters, digits, ".", "_" or "-": "${value}"`);
  }
  return value;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError("PORT", `expected an integer from 0 to 65535, got "${value}"`);
  }
  return port;
}

function parseTrustProxy(value: string | undefined): string[] {
  if (value === undefined) return [];
  const entries = value.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "");
  try {
    compileTrust(entries);
  } catch (error) {
    throw new ConfigError(
      "TRUST_PROXY",
      `expected addresses, CIDRs, loopback, linklocal or uniquelocal: ${(error as Error).message}`,
    );
  }
  return entries;
}

function parseConnections(pick: (name: string) => string | undefined): ConnectionConfig {
  const config = { ...CONNECTION_DEFAULTS };
  for (const key of Object.keys(CONNECTION_VARIABLES) as (keyof ConnectionConfig)[]) {
    const [variable, min, max] = CONNECTION_VARIABLES[key];
    const value = pick(variable);
    if (value === undefined) continue;
    const number = Number(value);
    if (!/^\d+$/.test(value) || number < min || number > max) {
      throw new ConfigError(variable, `expected an integer from ${min} to ${max}, got "${value}"`);
    }
    config[key] = number;
  }
  return config;
}

function parseTimeZone(value: string): string {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: value });
  } catch {
    throw new ConfigError("ANALYTICS_TZ", `unknown time zone "${value}"`);
  }
  return value;
}
