/**
 * `deno run -A bench/shop_http.ts [--duration 5] [--runs 3] [--connections 10,25,50]`: the
 * shop's pages under load with wrk (Debian's `wrk`), against a web server on its own
 * database and topic:
 * - a static file (`/ads/sneakers.svg`): the server's ceiling on this machine;
 * - `/`: the front page (visitor cookie, signed impression, island props);
 * - `/product/sneakers`: the product page opened directly (form token, no event);
 * - `/product/<category>?i=<impression>`: every request a fresh click from a fresh
 *   visitor: the impression is verified, consumed in Postgres and `banner_show` +
 *   `banner_click` are produced to Kafka.
 * Prints the median requests/s and p99 latency of `--runs` runs, the ratio to the
 * static ceiling and to the target (2,000 requests/s at p99 under 50 ms), and the
 * events the producer delivered.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { loadConfig } from "../lib/config.ts";
import { PRODUCTS } from "../lib/event.ts";
import { issueImpression } from "../lib/impressions.ts";
import { newId } from "../lib/event.ts";
import { startWebServer } from "../main.ts";
import { createTestDatabase, createTestTopic } from "../tests/support/services.ts";

const TARGET_RPS = 2000;
/** The shop's latency target: p99 under 50 ms. */
export const TARGET_P99_MS = 50;

/** What one wrk run measured (`output` is wrk's own text, Lua `done` lines included). */
export interface WrkResult {
  rps: number;
  p99Ms: number;
  requests: number;
  errors: number;
  output: string;
}

// Each wrk thread takes every n-th line of the request file, so no two requests share
// a visitor and impression.
/** wrk script replaying `path<TAB>cookie` lines (args: the file, the thread count). */
export const CLICK_LUA = `
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
  thread:set("nthreads", 0)
end
function init(args)
  requests = {}
  local i = 0
  for line in io.lines(args[1]) do
    if i % tonumber(args[2]) == tid then
      local path, cookie = line:match("([^\\t]+)\\t(.+)")
      requests[#requests + 1] = wrk.format("GET", path, { Cookie = cookie })
    end
    i = i + 1
  end
  index = 0
end
function request()
  index = index + 1
  if index > #requests then index = 1 end
  return requests[index]
end
`;

function parseWrk(text: string): WrkResult {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]);
  const p99 = /\s99%\s+([\d.]+)(us|ms|s)\b/.exec(text);
  if (!Number.isFinite(rps) || !p99) throw new Error(`Cannot read wrk's output:\n${text}`);
  const unit = { us: 0.001, ms: 1, s: 1000 }[p99[2] as "us" | "ms" | "s"];
  const requests = Number(/(\d+) requests in/.exec(text)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const errors = non2xx + (socket ? socket.slice(1).map(Number).reduce((a, b) => a + b) : 0);
  return { rps, p99Ms: Number(p99[1]) * unit, requests, errors, output: text };
}

/** Runs wrk with `--latency` and reads its requests/s, p99 and errors. */
export async function wrk(
  url: string,
  args: string[],
  scriptArgs: string[] = [],
): Promise<WrkResult> {
  const output = await new Deno.Command("wrk", {
    args: [...args, "--latency", url, ...(scriptArgs.length ? ["--", ...scriptArgs] : [])],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  if (!output.success) throw new Error(`wrk failed:\n${text}`);
  return parseWrk(text);
}

/** The 1-minute load average, to show how busy the shared machine was. */
export async function loadAverage(): Promise<string> {
  return (await Deno.readTextFile("/proc/loadavg").catch(() => "?")).split(" ")[0];
}

/** The median of `values`. */
export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Fails with the install command when Debian's `wrk` is missing. */
export async function requireWrk(): Promise<void> {
  const hasWrk = await new Deno.Command("wrk", {
    args: ["--version"],
    stdout: "null",
    stderr: "null",
  })
    .output().then(() => true, () => false);
  if (!hasWrk) {
    throw new Error(
      "Cannot run the benchmark: wrk is missing; install it with `apt-get install wrk`",
    );
  }
}

/**
 * Writes `count` lines of `path<TAB>cookie` for {@linkcode CLICK_LUA}: each a fresh
 * visitor clicking a fresh impression (2 events each).
 */
export async function writeClickList(
  secret: Uint8Array,
  file: string,
  count: number,
): Promise<void> {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const userId = newId();
    const product = PRODUCTS[i % PRODUCTS.length];
    const impression = issueImpression(secret, { product, userId });
    lines.push(`/product/${product}?i=${impression}\tuser_id=${userId}`);
  }
  await Deno.writeTextFile(file, lines.join("\n") + "\n");
}

async function main() {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      duration: { type: "string", default: "5" },
      runs: { type: "string", default: "3" },
      connections: { type: "string", default: "10,25,50" },
    },
  });
  const duration = Number(values.duration);
  const runs = Number(values.runs);
  const connectionCounts = values.connections.split(",").map(Number);
  await requireWrk();

  await using db = await createTestDatabase("bench_shop");
  await using topic = await createTestTopic("bench_shop");
  const web = await startWebServer({
    config: { ...loadConfig({}), port: 0, kafkaTopic: topic.topic },
    databaseUrl: db.url,
    kafkaBrokers: topic.brokers,
  });
  const luaFile = await Deno.makeTempFile({ suffix: ".lua" });
  const listFile = await Deno.makeTempFile({ suffix: ".tsv" });
  await Deno.writeTextFile(luaFile, CLICK_LUA);
  const threads = 2;
  let connections = connectionCounts[0];
  const common = () => ["-t", String(threads), "-c", String(connections), "-d", `${duration}s`];
  try {
    const scenarios: { name: string; run: () => Promise<WrkResult> }[] = [
      {
        name: "static file /ads/sneakers.svg",
        run: () => wrk(`${web.url}/ads/sneakers.svg`, common()),
      },
      { name: "front page /", run: () => wrk(`${web.url}/`, common()) },
      {
        name: "product page, no ad click (0 events)",
        run: () => wrk(`${web.url}/product/sneakers`, common()),
      },
      {
        name: "product page, fresh click each (2 events)",
        run: async () => {
          // Enough distinct visitors for the run at up to 10,000 requests/s.
          await writeClickList(web.state.shop.secret, listFile, duration * 10_000);
          return wrk(web.url, [...common(), "-s", luaFile], [listFile, String(threads)]);
        },
      },
    ];
    console.log(
      `Shop pages under wrk: ${threads} threads, ${connectionCounts.join("/")} connections, ` +
        `${duration} s per run, median of ${runs} runs; web server, Postgres, Kafka and wrk ` +
        `share this machine (${navigator.hardwareConcurrency} cores); load average at start ` +
        `${await loadAverage()}.`,
    );
    const rows: string[] = [];
    for (const count of connectionCounts) {
      connections = count;
      let ceiling = 0;
      for (const scenario of scenarios) {
        const all: WrkResult[] = [];
        for (let i = 0; i < runs; i++) all.push(await scenario.run());
        const rps = median(all.map((r) => r.rps));
        const p99 = median(all.map((r) => r.p99Ms));
        const errors = all.reduce((sum, r) => sum + r.errors, 0);
        if (scenario === scenarios[0]) ceiling = rps;
        const meets = rps >= TARGET_RPS && p99 < TARGET_P99_MS;
        rows.push(
          `| ${scenario.name} | ${count} | ${rps.toFixed(0)} | ${p99.toFixed(1)} | ` +
            `${(rps / ceiling).toFixed(2)}× | ${(rps / TARGET_RPS).toFixed(2)}× | ` +
            `${(p99 / TARGET_P99_MS).toFixed(2)}× | ${meets ? "yes" : "no"} | ${errors} |`,
        );
        console.error(rows.at(-1));
      }
    }
    await web.state.producer.flush(30_000);
    console.log(
      "\n| scenario | connections | requests/s (median) | p99 ms (median) | vs static | " +
        "vs 2,000 req/s | p99 vs 50 ms | meets target | errors |",
    );
    console.log("|---|---:|---:|---:|---:|---:|---:|:-:|---:|");
    for (const row of rows) console.log(row);
    console.log(`\nLoad average at the end: ${await loadAverage()}.`);
    const stats = web.state.producer.stats();
    console.log(
      `\nEvents produced to Kafka during the product-page runs: ${stats.delivered} delivered, ` +
        `${stats.queued} queued, ${stats.dropped} dropped.`,
    );
  } finally {
    await web.close();
    await Deno.remove(luaFile).catch(() => {});
    await Deno.remove(listFile).catch(() => {});
  }
}

if (import.meta.main) await main();
