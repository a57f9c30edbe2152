/**
 * The web server: shop, dashboard, API and WebSocket (`deno task web`).
 *
 * @module
 */
import { compileTrust } from "./lib/web/client_address.ts";
import { type Config, readConfig } from "./lib/process/config.ts";
import { prepare } from "./lib/process/prepare.ts";
import { connect } from "./lib/db/client.ts";
import { type AppState, ingestStatus } from "./lib/web/app_state.ts";
import { createApp, type RouteInfo } from "./server/mod.ts";
import { serveGuarded } from "./server/guarded_serve.ts";
import type { GuardStats } from "./server/conn_guard.ts";
import { onShutdown } from "./lib/process/shutdown.ts";
import { createLiveHub } from "./lib/live/hub.ts";
import { createDashboardAuth } from "./lib/web/auth.ts";
import { createKafkaProbe } from "./lib/kafka/probe.ts";
import { createEventProducer } from "./lib/shop/producer.ts";
import { createShopState } from "./lib/shop/state.ts";
import { defaultSpoolDir, Spool } from "./lib/shop/spool.ts";
import { runMain } from "./lib/process/run_main.ts";

/** A running web server. */
export interface WebServer {
  /** Base URL, e.g. `http://127.0.0.1:8000`. */
  url: string;
  port: number;
  state: AppState;
  /** The route table: each route's pattern, file and the `_middleware` around it. */
  routes: RouteInfo[];
  /** What the connection guard refused so far, and the connections open. */
  connectionStats(): Promise<GuardStats>;
  /** Stops accepting, finishes in-flight requests, closes resources. */
  close(): Promise<void>;
}

/** Options for {@linkcode startWebServer}: resolved endpoints plus the config. */
export interface WebServerOptions {
  config: Config;
  databaseUrl: string;
  kafkaBrokers: string[];
  /**
   * The server can no longer serve (its connection guard's worker died); `deno task web`
   * exits so its supervisor starts it again. Default: logged only.
   */
  onFatal?: (error: Error) => void;
}

/** Starts the web server on `config.port` (0 picks a free port). */
export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const { config } = options;
  // Opened first: what a crashed predecessor left is drained as soon as Kafka answers.
  const spool = await Spool.openSlot({
    parent: config.shopSpool.dir ?? defaultSpoolDir(config.kafkaTopic),
    maxBytes: config.shopSpool.maxBytes,
  });
  const sql = connect(options.databaseUrl, { applicationName: "ecommerce-web" });
  const state: AppState = {
    config,
    sql,
    kafkaBrokers: options.kafkaBrokers,
    topic: config.kafkaTopic,
    trust: compileTrust(config.trustProxy),
    startedAt: new Date(),
    closers: [() => sql.end({ timeout: 5 })],
    producer: createEventProducer({
      brokers: options.kafkaBrokers,
      topic: config.kafkaTopic,
      spool,
    }),
    shop: await createShopState(sql, {
      limits: config.shopLimits,
      secret: config.impressionSecret,
    }),
    auth: createDashboardAuth(sql, { token: config.dashboardToken }),
    kafka: createKafkaProbe(options.kafkaBrokers),
  };
  state.closers.push(() => state.producer.close(), () => state.kafka.close());
  state.live = createLiveHub({
    sql,
    topic: config.kafkaTopic,
    status: () => ingestStatus(state),
    maxSockets: config.connections.liveMaxSockets,
    maxSocketsPerAddress: config.connections.liveMaxSocketsPerAddress,
  });
  await state.live.start();
  const app = await createApp({
    root: new URL("./", import.meta.url),
    state,
    maxBodyBytes: config.maxBodyBytes,
  });
  // Deno.serve cannot time out a slow head or cap connections and WebSocket frames: the
  // guard in front of it does (server/conn_guard.ts), in a worker on the other core.
  const server = await serveGuarded({
    ...config.connections,
    port: config.port,
    hostname: config.hostname,
    worker: {
      url: new URL("./lib/web/guard_worker.ts", import.meta.url),
      data: { trustProxy: config.trustProxy },
    },
    onWorkerFailure: options.onFatal,
  }, app.fetch);
  const port = server.addr.port;
  return {
    url: `http://${config.hostname}:${port}`,
    port,
    state,
    routes: app.routes,
    connectionStats: () => server.stats(),
    async close() {
      // Open dashboard sockets would hold the shutdown; they reconnect and resync.
      await state.live?.stop();
      await server.shutdown();
      for (const close of state.closers.reverse()) await close().catch(console.error);
    },
  };
}

async function main() {
  const config = readConfig();
  const ready = await prepare(config);
  const web = await startWebServer({
    config,
    ...ready,
    onFatal(error) {
      console.error(`Web server stopping: ${error.message}`);
      Deno.exit(1);
    },
  });
  console.log(`Web server listening on ${web.url} (shop /, dashboard /dashboard)`);
  onShutdown(async () => {
    console.log("Web server stopping…");
    await web.close();
  });
}

if (import.meta.main) await runMain(main);
