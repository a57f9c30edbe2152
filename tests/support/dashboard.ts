/**
 * Fixtures for the dashboard tests: events with chosen fields, seeding through the
 * real `storeEvents`, the expected numbers counted straight from `events`, and a web
 * server on a fresh database and topic.
 *
 * @module
 */
import { readConfig } from "../../lib/process/config.ts";
import type { Sql } from "../../lib/db/client.ts";
import {
  type EcommerceEvent,
  newId,
  type Product,
  PRODUCTS,
  SITE_VERSIONS,
  type SiteVersion,
  type Title,
  TITLES,
} from "../../lib/core/event.ts";
import { storeEvents } from "../../lib/rollups/store.ts";
import { prepareEvents } from "../../lib/rollups/partitions.ts";
import { startWebServer, type WebServer } from "../../main.ts";
import {
  createTestDatabase,
  createTestTopic,
  type TestDatabase,
  type TestTopic,
} from "./services.ts";

/** An event with the given fields (fresh ids; `time` defaults to now). */
export function makeEvent(fields: Partial<EcommerceEvent> = {}): EcommerceEvent {
  return {
    order_id: newId(),
    user_id: newId(),
    page_id: newId(),
    product: "clothes",
    site_version: "desktop",
    time: new Date().toISOString(),
    title: "banner_show",
    target: 0,
    ...fields,
  };
}

/**
 * `count` events spread over the categories, devices and types (deterministic), with
 * times spread back over `spanMs` from `end`.
 */
export function spreadEvents(count: number, end: number, spanMs: number): EcommerceEvent[] {
  const events: EcommerceEvent[] = [];
  for (let i = 0; i < count; i++) {
    const product: Product = PRODUCTS[i % PRODUCTS.length];
    const site_version: SiteVersion = SITE_VERSIONS[Math.floor(i / 5) % 2];
    const title: Title = TITLES[i % 7 === 0 ? 2 : i % 3 === 0 ? 1 : 0];
    const time = new Date(end - ((i * 7919) % count) / count * spanMs).toISOString();
    events.push(
      makeEvent({ product, site_version, title, time, target: title === "order" ? 1 : 0 }),
    );
  }
  return events;
}

/** Stores events (and their rollup rows) through the real store, in one transaction. */
export async function seed(sql: Sql, events: EcommerceEvent[], timeZone = "UTC"): Promise<void> {
  // The months' partitions first, outside the transaction, as the worker and loader do.
  const prepared = await prepareEvents(sql, events);
  await sql.begin((tx) => storeEvents(tx, prepared.events, timeZone));
}

/** `count(*)` of `events` per product and title between two instants (the expected numbers). */
export async function countEvents(
  sql: Sql,
  from: Date,
  to: Date,
  filter: { product?: Product; siteVersion?: SiteVersion } = {},
): Promise<Record<string, number>> {
  const rows = await sql`
    select product, title, count(*)::int8 as n from events
    where event_time >= ${from} and event_time < ${to}
      ${filter.product ? sql`and product = ${filter.product}` : sql``}
      ${filter.siteVersion ? sql`and site_version = ${filter.siteVersion}` : sql``}
    group by 1, 2`;
  return Object.fromEntries(rows.map((r) => [`${r.product}/${r.title}`, r.n as number]));
}

/** A web server on a fresh database and topic; `close()` releases all three. */
export interface TestDashboard extends AsyncDisposable {
  web: WebServer;
  db: TestDatabase;
  topic: TestTopic;
  /** Starts another server on the same database, topic and (by default) port. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** Options for {@linkcode startTestDashboard}. */
export interface TestDashboardOptions {
  token?: string;
  timeZone?: string;
  /** `TRUST_PROXY` entries (e.g. `["loopback"]`: tests then set `X-Forwarded-*`). */
  trustProxy?: string[];
}

/** Starts the web server on port 0 with a fresh database and topic. */
export async function startTestDashboard(
  kafkaBrokers: string[],
  options: TestDashboardOptions = {},
): Promise<TestDashboard> {
  const db = await createTestDatabase("dash");
  const topic = await createTestTopic("dash");
  const start = (port: number) =>
    startWebServer({
      config: {
        ...readConfig({}),
        port,
        kafkaTopic: topic.topic,
        analyticsTz: options.timeZone ?? "UTC",
        dashboardToken: options.token,
        trustProxy: options.trustProxy ?? [],
      },
      databaseUrl: db.url,
      kafkaBrokers,
    });
  const dashboard: TestDashboard = {
    web: await start(0),
    db,
    topic,
    async restart() {
      const port = dashboard.web.port;
      await dashboard.web.close();
      dashboard.web = await start(port);
    },
    async close() {
      await dashboard.web.close();
      await db.close();
      await topic.close();
    },
    [Symbol.asyncDispose]: () => dashboard.close(),
  };
  return dashboard;
}
