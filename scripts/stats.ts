/**
 * `deno task stats [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json]`: the original
 * project's exploration (row count, date range, events by title and product, top users
 * and pages, CTR and conversion by product and device, desktop vs mobile share) from
 * the database. Days are calendar days in `ANALYTICS_TZ`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { bringUp } from "../lib/services/mod.ts";
import { readConfig } from "../lib/process/config.ts";
import { connect } from "../lib/db/client.ts";
import { computeStats, type Funnel, type Stats, StatsOptionError } from "../lib/dashboard/stats.ts";

const USAGE = "Usage: deno task stats [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json]";

const count = (n: number) => n.toLocaleString("en-US");
const percent = (x: number | null) => x === null ? "-" : `${(x * 100).toFixed(2)}%`;

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(headers), ...rows.map(line)].map((l) => `  ${l}`).join("\n");
}

function funnelRows(rows: ({ name: string } & Funnel)[]): string[][] {
  return rows.map((
    r,
  ) => [
    r.name,
    count(r.shows),
    count(r.clicks),
    count(r.orders),
    percent(r.ctr),
    percent(r.conversion),
  ]);
}

/** Renders the statistics as the text report. */
export function formatStats(stats: Stats): string {
  const range = stats.from || stats.to
    ? ` for ${stats.from ?? "…"}..${stats.to ?? "…"} (${stats.timeZone})`
    : "";
  const out = [
    `events${range}: ${count(stats.events)}`,
    `first event: ${stats.firstEvent ?? "-"}`,
    `last event:  ${stats.lastEvent ?? "-"}`,
    "",
    "by title",
    table(
      ["title", "events", "share"],
      Object.entries(stats.byTitle).map((
        [t, n],
      ) => [t, count(n), percent(stats.events ? n / stats.events : null)]),
    ),
    "",
    "by product",
    table(
      ["product", "events", "share"],
      stats.byProduct.map((p) => [p.product, count(p.events), percent(p.share)]),
    ),
    "",
    "desktop vs mobile",
    table(
      ["site_version", "events", "share"],
      stats.bySiteVersion.map((s) => [s.site_version, count(s.events), percent(s.share)]),
    ),
    "",
    "funnel by product (CTR = clicks/shows, conversion = orders/clicks)",
    table(
      ["product", "shows", "clicks", "orders", "CTR", "conversion"],
      funnelRows(stats.funnelByProduct.map((f) => ({ name: f.product, ...f }))),
    ),
    "",
    "funnel by device",
    table(
      ["site_version", "shows", "clicks", "orders", "CTR", "conversion"],
      funnelRows(stats.funnelBySiteVersion.map((f) => ({ name: f.site_version, ...f }))),
    ),
    "",
    `top ${stats.topUsers.length} users`,
    table(["user_id", "events"], stats.topUsers.map((u) => [u.user_id, count(u.events)])),
    "",
    `top ${stats.topPages.length} pages`,
    table(["page_id", "events"], stats.topPages.map((p) => [p.page_id, count(p.events)])),
    "",
    `computed in ${stats.timings.total} ms (rollups ${stats.timings.rollups} ms, date range ${stats.timings.range} ms, ` +
    `top users ${stats.timings.topUsers} ms, top pages ${stats.timings.topPages} ms)`,
  ];
  return out.join("\n");
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: Deno.args,
      options: {
        from: { type: "string" },
        to: { type: "string" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const config = readConfig();
  const { databaseUrl } = await bringUp(config);
  const sql = connect(databaseUrl, { max: 4, applicationName: "ecommerce-stats" });
  try {
    const stats = await computeStats(sql, {
      from: values.from,
      to: values.to,
      timeZone: config.analyticsTz,
    });
    console.log(values.json ? JSON.stringify(stats, null, 2) : formatStats(stats));
    return 0;
  } catch (error) {
    if (error instanceof StatsOptionError) {
      console.error(`${error.message}\n${USAGE}`);
      return 2;
    }
    throw error;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

if (import.meta.main) Deno.exit(await main());
