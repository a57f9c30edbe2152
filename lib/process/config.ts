/**
 * The one place that reads the environment. Every entry point calls
 * {@linkcode readConfig} once at start; a bad value fails fast with a message that
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
   * `IMPRESSION_SECRET` (at least 16 characters): signs visitor cookies, impressions,
   * form tokens and receipts; undefined means a secret generated once into `.data/`.
   */
  impressionSecret?: string;
  /**
   * The Postgres user of a local server when `DATABASE_URL` names none: `PGUSER`, else
   * `USER`, else `root` for root and `postgres` for anyone else.
   */
  postgresUser: string;
  /**
   * `TRUST_PROXY`: the proxies (addresses, CIDRs or `loopback`, `linklocal`,
   * `uniquelocal`, comma separated) whose `X-Forwarded-For` and `X-Forwarded-Proto`
   * are believed; empty (the default) believes none.
   */
  trustProxy: string[];
  /**
   * The shop's per-visitor (`SHOP_VISITOR_LIMITS`) and per-address
   * (`SHOP_ADDRESS_LIMITS`) limits on counted actions, and the keys remembered per
   * limit (`SHOP_LIMIT_KEYS`); see docs/shop.md "Limits".
   */
  shopLimits: ShopLimitsConfig;
  /**
   * `MAX_BODY_BYTES`, default 16384 (16 KiB): the largest request body any route
   * accepts; larger ones are answered 413 before they are read.
   */
  maxBodyBytes: number;
  /**
   * `ANALYTICS_MAX_FUTURE` in ms, default one day: how far ahead of the reader's clock
   * an event time may be (the worker, the loader and replay reject later ones).
   */
  maxFutureMs: number;
  /**
   * `ANALYTICS_RETENTION` in ms, default `forever` (undefined): raw events older than
   * this are dropped a whole UTC month at a time (docs/retention.md); the rollups are
   * kept forever. A duration like "400d" or "13w", from 1d to 36500d.
   */
  retentionMs?: number;
  /**
   * `INGEST_SESSION_TIMEOUT` in ms: how long a silent worker keeps its partitions before
   * the group hands them on; undefined means the worker's default (lib/ingest/worker.ts).
   */
  ingestSessionTimeoutMs?: number;
  /** Limits on connections, request heads and WebSockets (the README's "Security"). */
  connections: ConnectionConfig;
  /** The web process's durable spool of events Kafka has not acknowledged (lib/shop/spool.ts). */
  shopSpool: ShopSpoolConfig;
}

/** Where the shop spools events and how much (README "Durability"). */
export interface ShopSpoolConfig {
  /**
   * `SHOP_SPOOL_DIR`: where the spools live (each web process takes the first free
   * numbered directory in it); undefined means `.data/spool/<KAFKA_TOPIC>` in the project.
   */
  dir?: string;
  /** `SHOP_SPOOL_MAX_BYTES`, default 64 MiB: the spool's files at most; more is refused. */
  maxBytes: number;
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

import proxyaddr from "proxy-addr";
import {
  DEFAULT_ADDRESS_LIMITS,
  DEFAULT_LIMIT_KEYS,
  DEFAULT_VISITOR_LIMITS,
  type Limits,
  parseLimits,
  type ShopLimitsConfig,
} from "../shop/limits.ts";
import { DEFAULT_MAX_FUTURE_MS } from "../core/event.ts";
import { DEFAULT_SPOOL_MAX_BYTES } from "../shop/spool.ts";

const TOPIC_PATTERN = /^[a-zA-Z0-9._-]{1,200}$/;

/**
 * Reads and validates the configuration from `env` (the process environment by
 * default), throwing {@linkcode ConfigError} on the first bad variable.
 */
export function readConfig(env: Record<string, string | undefined> = Deno.env.toObject()): Config {
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
    impressionSecret: parseSecret(pick("IMPRESSION_SECRET")),
    postgresUser: pick("PGUSER") ?? pick("USER") ?? (Deno.uid?.() === 0 ? "root" : "postgres"),
    trustProxy: parseTrustProxy(pick("TRUST_PROXY")),
    shopLimits: {
      visitor: parseShopLimits(
        "SHOP_VISITOR_LIMITS",
        pick("SHOP_VISITOR_LIMITS"),
        DEFAULT_VISITOR_LIMITS,
      ),
      address: parseShopLimits(
        "SHOP_ADDRESS_LIMITS",
        pick("SHOP_ADDRESS_LIMITS"),
        DEFAULT_ADDRESS_LIMITS,
      ),
      maxKeys: parseLimitKeys(pick("SHOP_LIMIT_KEYS")),
    },
    maxBodyBytes: parseMaxBodyBytes(pick("MAX_BODY_BYTES") ?? "16384"),
    maxFutureMs: parseMaxFuture(pick("ANALYTICS_MAX_FUTURE")),
    retentionMs: parseRetention(pick("ANALYTICS_RETENTION")),
    ingestSessionTimeoutMs: parseSessionTimeout(pick("INGEST_SESSION_TIMEOUT")),
    connections: parseConnections(pick),
    shopSpool: {
      dir: pick("SHOP_SPOOL_DIR"),
      maxBytes: parseSpoolMaxBytes(pick("SHOP_SPOOL_MAX_BYTES")),
    },
  };
}

/** The spool's smallest and largest bound: room for a few hundred events, 1 TiB. */
const SPOOL_BYTES_RANGE = [64 * 1024, 1024 ** 4] as const;

function parseSpoolMaxBytes(value: string | undefined): number {
  if (value === undefined) return DEFAULT_SPOOL_MAX_BYTES;
  const bytes = Number(value);
  const [min, max] = SPOOL_BYTES_RANGE;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(bytes) || bytes < min || bytes > max) {
    throw new ConfigError(
      "SHOP_SPOOL_MAX_BYTES",
      `expected a number of bytes from ${min} to ${max}, got "${value}"`,
    );
  }
  return bytes;
}

function parseShopLimits(variable: string, value: string | undefined, defaults: Limits): Limits {
  if (value === undefined) return defaults;
  try {
    return parseLimits(value, defaults);
  } catch (error) {
    throw new ConfigError(variable, (error as Error).message);
  }
}

function parseLimitKeys(value: string | undefined): number {
  if (value === undefined) return DEFAULT_LIMIT_KEYS;
  const keys = Number(value);
  if (!Number.isInteger(keys) || keys < 100 || keys > 10_000_000) {
    throw new ConfigError(
      "SHOP_LIMIT_KEYS",
      `expected an integer from 100 to 10000000, got "${value}"`,
    );
  }
  return keys;
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

function parseSecret(value: string | undefined): string | undefined {
  if (value !== undefined && value.length < 16) {
    throw new ConfigError("IMPRESSION_SECRET", `use at least 16 characters, got ${value.length}`);
  }
  return value;
}

function parseTrustProxy(value: string | undefined): string[] {
  if (value === undefined) return [];
  const entries = value.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "");
  try {
    // The same compile the web layer uses (lib/web/client_address.ts), so what passes
    // here is what it can use.
    proxyaddr.compile(entries);
  } catch (error) {
    throw new ConfigError(
      "TRUST_PROXY",
      `expected addresses, CIDRs, loopback, linklocal or uniquelocal: ${(error as Error).message}`,
    );
  }
  return entries;
}

function parseMaxBodyBytes(value: string): number {
  const bytes = Number(value);
  // Below 1 KiB the order and sign-in forms no longer fit; above 1 MiB nothing here needs it.
  if (!/^\d+$/.test(value) || bytes < 1024 || bytes > 1024 * 1024) {
    throw new ConfigError("MAX_BODY_BYTES", `expected bytes from 1024 to 1048576, got "${value}"`);
  }
  return bytes;
}

const DURATION_UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Ten years: more is no bound at all (and 9999-12-31 is refused anyway). */
const MAX_FUTURE_LIMIT_MS = 3650 * DURATION_UNITS.d;

function parseMaxFuture(value: string | undefined): number {
  if (value === undefined) return DEFAULT_MAX_FUTURE_MS;
  const match = /^(\d{1,7})\s*([smhd])$/.exec(value);
  const ms = match ? Number(match[1]) * DURATION_UNITS[match[2]] : NaN;
  if (!(ms <= MAX_FUTURE_LIMIT_MS)) {
    throw new ConfigError(
      "ANALYTICS_MAX_FUTURE",
      `expected a duration like "1d", "6h", "90m" or "30s" up to 3650d, got "${value}"`,
    );
  }
  return ms;
}

function parseRetention(value: string | undefined): number | undefined {
  if (value === undefined || value.toLowerCase() === "forever") return undefined;
  const match = /^(\d{1,5})\s*([dw])$/.exec(value);
  const days = match ? Number(match[1]) * (match[2] === "w" ? 7 : 1) : NaN;
  if (!(days >= 1 && days <= 36_500)) {
    throw new ConfigError(
      "ANALYTICS_RETENTION",
      `expected "forever" or a duration like "400d" or "13w" from 1d to 36500d, got "${value}"`,
    );
  }
  return days * DURATION_UNITS.d;
}

function parseSessionTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Number(value);
  // Kafka's own bounds: no broker accepts less than 1 s (heartbeats could not keep up)
  // or more than group.max.session.timeout.ms's default, 30 minutes.
  if (!/^\d+$/.test(value) || ms < 1_000 || ms > 1_800_000) {
    throw new ConfigError(
      "INGEST_SESSION_TIMEOUT",
      `expected milliseconds from 1000 to 1800000, got "${value}"`,
    );
  }
  return ms;
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
