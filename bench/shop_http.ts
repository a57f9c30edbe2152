/**
 * `deno run -A bench/shop_http.ts [--duration 5] [--runs 3] [--connections 10,25,50]`: the
 * shop's pages under load with wrk (Debian's `wrk`), against a web server on its own
 * database and topic:
 * - a static file (`/ads/sneakers.svg`): the server's ceiling on this machine;
 * - `/`: the front page (visitor cookie, signed impression, island props);
 * - `/product/sneakers`: the product page opened directly (form token, no event);
 * - `/product/<category>?i=<impression>`: every request a fresh click from a fresh
 *   visitor (a server-signed cookie) behind one of many client addresses (sent as
 *   `X-Forwarded-For`; the server trusts loopback as its proxy, as `TRUST_PROXY`
 *   does): the impression is verified, the visitor's and the address's click limits
 *   are checked, the impression is consumed in Postgres and `banner_show` +
 *   `banner_click` are produced to Kafka. Each visitor clicks once and each address
 *   {@linkcode CLICKS_PER_ADDRESS} times, within the default limits: the run ends by
 *   printing what the limits refused (it must be nothing).
 * Prints the median requests/s and p99 latency of `--runs` runs, the ratio to the
 * static ceiling and to the target (2,000 requests/s at p99 under 50 ms), the web
 * process's CPU time per request (comparable across runs on a shared machine, where
 * wall-clock figures are not), and the events the producer delivered.
 *
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { readConfig } from "../lib/process/config.ts";
import { PRODUCTS } from "../lib/core/event.ts";
import { issueImpression } from "../lib/shop/impressions.ts";
import { newId } from "../lib/core/event.ts";
import { signVisitorId } from "../lib/shop/visitor.ts";
import { startWebServer } from "../main.ts";
import { createTestDatabase, createTestTopic } from "../tests/support/services.ts";

const TARGET_RPS = 2000;
/** The shop's latency target: p99 under 50 ms. */
export const TARGET_P99_MS = 50;
/** Clicks from one client address over all runs: far below its limit (300 per 10 min). */
export const CLICKS_PER_ADDRESS = 20;
/** What every request sends: a desktop browser's User-Agent (bots count nothing). */
export const USER_AGENT =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/** What one wrk run measured (`output` is wrk's own text, Lua `done` lines included). */
export interface WrkResult {
  rps: number;
  p99Ms: number;
  requests: number;
  errors: number;
  /** CPU time of this process (the web server) per request while wrk ran, µs. */
  cpuUsPerRequest: number;
  output: string;
}

/**
 * wrk script replaying `path<TAB>cookie<TAB>address` lines (args: the file, the thread
 * count); each wrk thread takes every n-th line, so no two requests share a visitor and
 * impression.
 */
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
      local path, cookie, address = line:match("([^\\t]+)\\t([^\\t]+)\\t(.+)")
      requests[#requests + 1] = wrk.format("GET", path, {
        ["Cookie"] = cookie,
        ["X-Forwarded-For"] = address,
        ["User-Agent"] = "${USER_AGENT}",
      })
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
  return { rps, p99Ms: Number(p99[1]) * unit, requests, errors, cpuUsPerRequest: 0, output: text };
}

/** Runs wrk with `--latency`; reads its requests/s, p99, errors and this process's CPU. */
export async function wrk(
  url: string,
  args: string[],
  scriptArgs: string[] = [],
): Promise<WrkResult> {
  // CPU time rather than wall time: a comparable cost per request on a shared machine.
  const cpuBefore = process.cpuUsage();
  const output = await new Deno.Command("wrk", {
    args: [...args, "--latency", url, ...(scriptArgs.length ? ["--", ...scriptArgs] : [])],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  if (!output.success) throw new Error(`wrk failed:\n${text}`);
  const cpu = process.cpuUsage(cpuBefore);
  const result = parseWrk(text);
  return { ...result, cpuUsPerRequest: (cpu.user + cpu.system) / Math.max(1, result.requests) };
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
 * Client addresses 10.0.0.1, 10.0.0.2, …, each handed out for
 * {@linkcode CLICKS_PER_ADDRESS} clicks, so every address stays within its limit.
 */
export class ClickAddresses {
  /** Clicks handed out so far. */
  clicks = 0;

  /** The address of the next click. */
  next(): string {
    const n = 1 + Math.floor(this.clicks++ / CLICKS_PER_ADDRESS);
    return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  }

  /** Addresses used so far. */
  get used(): number {
    return Math.ceil(this.clicks / CLICKS_PER_ADDRESS);
  }
}

/**
 * Writes `count` lines for {@linkcode CLICK_LUA}: each a fresh visitor (a cookie signed
 * with `secret`) clicking a fresh impression (2 events each), from `addresses`.
 */
export async function writeClickList(
  secret: Uint8Array,
  file: string,
  count: number,
  addresses: ClickAddresses,
): Promise<void> {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const userId = newId();
    const product = PRODUCTS[i % PRODUCTS.length];
    const impression = issueImpression(secret, { product, userId });
    const cookie = `user_id=${signVisitorId(secret, userId)}`;
    lines.push(`/product/${product}?i=${impression}\t${cookie}\t${addresses.next()}`);
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
    // The default limits; loopback (wrk) is trusted as the proxy that names the client.
    config: { ...readConfig({}), port: 0, kafkaTopic: topic.topic, trustProxy: ["loopback"] },
    databaseUrl: db.url,
    kafkaBrokers: topic.brokers,
  });
  const luaFile = await Deno.makeTempFile({ suffix: ".lua" });
  const listFile = await Deno.makeTempFile({ suffix: ".tsv" });
  await Deno.writeTextFile(luaFile, CLICK_LUA);
  const threads = 2;
  let connections = connectionCounts[0];
  const common = () => [
    ...["-t", String(threads), "-c", String(connections), "-d", `${duration}s`],
    ...["-H", `User-Agent: ${USER_AGENT}`],
  ];
  const addresses = new ClickAddresses();
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
          await writeClickList(web.state.shop.secret, listFile, duration * 10_000, addresses);
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
        const cpu = median(all.map((r) => r.cpuUsPerRequest));
        if (scenario === scenarios[0]) ceiling = rps;
        const meets = rps >= TARGET_RPS && p99 < TARGET_P99_MS;
        rows.push(
          `| ${scenario.name} | ${count} | ${rps.toFixed(0)} | ${p99.toFixed(1)} | ` +
            `${(rps / ceiling).toFixed(2)}× | ${(rps / TARGET_RPS).toFixed(2)}× | ` +
            `${(p99 / TARGET_P99_MS).toFixed(2)}× | ${meets ? "yes" : "no"} | ${errors} | ` +
            `${cpu.toFixed(0)} |`,
        );
        console.error(rows.at(-1));
      }
    }
    await web.state.producer.flush(30_000);
    console.log(
      "\n| scenario | connections | requests/s (median) | p99 ms (median) | vs static | " +
        "vs 2,000 req/s | p99 vs 50 ms | meets target | errors | web CPU µs/request (median) |",
    );
    console.log("|---|---:|---:|---:|---:|---:|---:|:-:|---:|---:|");
    for (const row of rows) console.log(row);
    console.log(`\nLoad average at the end: ${await loadAverage()}.`);
    const { throttled } = web.state.shop.limits.stats();
    console.log(
      `\nClick runs: ${addresses.clicks} requests prepared, from ${addresses.used} client addresses (${CLICKS_PER_ADDRESS} each) and as many visitors as requests; ` +
        `refused by the limits: ${JSON.stringify(throttled)} (expected all 0).`,
    );
    const stats = web.state.producer.stats();
    console.log(
      `\nEvents produced to Kafka during the product-page runs: ${stats.delivered} delivered, ` +
        `${stats.queued} queued, ${stats.dropped} dropped; spool: ${stats.spool?.appended ?? 0} ` +
        `appended (Kafka slower than 50 ms, or catching up), ${stats.spool?.refused ?? 0} refused.`,
    );
  } finally {
    await web.close();
    await Deno.remove(luaFile).catch(() => {});
    await Deno.remove(listFile).catch(() => {});
  }
}

if (import.meta.main) await main();
