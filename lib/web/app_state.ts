/**
 * What the web server's routes receive as `ctx.state`: the resources of one web
 * process, created once at start and closed at shutdown.
 *
 * @module
 */
import type { TrustProxy } from "./client_address.ts";
import type { Config } from "../process/config.ts";
import type { Sql } from "../db/client.ts";
import type { EventProducer } from "../shop/producer.ts";
import type { ShopState } from "../shop/state.ts";
import type { LiveHub } from "../live/hub.ts";
import type { DashboardAuth } from "./auth.ts";
import type { KafkaProbe } from "../kafka/probe.ts";
import { type IngestStatus, loadIngestStatus } from "../ingest/status.ts";

/** Shared resources of one web process. */
export interface AppState {
  config: Config;
  /** The process's one postgres.js pool. */
  sql: Sql;
  kafkaBrokers: string[];
  /** The events topic. */
  topic: string;
  /** `TRUST_PROXY` compiled: whose forwarded headers are believed. */
  trust: TrustProxy;
  /** When the process started (for /healthz). */
  startedAt: Date;
  /** The live fan-out to dashboard sockets (absent in processes that do not serve them). */
  live?: LiveHub;
  /** The process's one Kafka producer of shop events. */
  producer: EventProducer;
  /** The shop's secret and rate limiter. */
  shop: ShopState;
  /** `DASHBOARD_TOKEN`, its sessions and the guess throttle. */
  auth: DashboardAuth;
  /** The one long-lived Kafka admin connection /healthz and the ingest status use. */
  kafka: KafkaProbe;
  /** Closers run at shutdown, in reverse order of registration. */
  closers: (() => Promise<void>)[];
}

/** The ingest lag and rate for the dashboard, through the process's pool and probe. */
export function ingestStatus(state: AppState): Promise<IngestStatus> {
  return loadIngestStatus(state.sql, state.topic, (topic) => state.kafka.ends(topic));
}
