/**
 * `deno task bench:load [--rows 1000000[,8471220]] [--repeat 3] [--naive-rows 5000]`
 *
 * The bulk loader against, in the same run and on the same generated file:
 * - `psql \copy` into a table with the same column types and the same unique key and
 *   indexes as `events` (the same guarantees, minus the rollups and the row rules);
 * - the loader with one connection (`--connections 1`: no two batches written at once);
 * - the same with the primary key only (so the cost of the other indexes shows);
 * - `psql \copy` into a bare unlogged text table (the floor: parse and write, nothing
 *   checked);
 * - a naive loader: one `storeEvents` call (one INSERT + rollups, autocommit) per row,
 *   on the first `--naive-rows` rows.
 * Each database is fresh; methods are interleaved per repeat; medians are printed with
 * the ratio to the same-guarantee `\copy`. The loader runs as `deno task load` does
 * (a subprocess with the task's V8 flags); its peak RSS comes from /usr/bin/time.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { connect, dropDatabase, ensureDatabase, withDatabase } from "../lib/db/client.ts";
import { parseCsvFields, parseCsvHeader } from "../lib/load/csv_row.ts";
import { generateCsv } from "../lib/synth/csv_writer.ts";
import { migrate } from "../lib/db/migrate.ts";
import { storeEvents } from "../lib/rollups/store.ts";
import { prepareEvents } from "../lib/rollups/partitions.ts";
import { ensureServices } from "../lib/services/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rows: { type: "string", default: "1000000" },
    repeat: { type: "string", default: "3" },
    "naive-rows": { type: "string", default: "5000" },
  },
});
const sizes = values.rows.split(",").map(Number);
const repeat = Number(values.repeat);
const naiveRows = Number(values["naive-rows"]);
const { databaseUrl } = await ensureServices({
  databaseUrl: Deno.env.get("DATABASE_URL"),
  kafkaBrokers: Deno.env.get("KAFKA_BROKERS")?.split(","),
});
const pg = new URL(databaseUrl);
const COLUMNS = "order_id, user_id, page_id, product, site_version, event_time, title, target";

interface Run {
  seconds: number;
  rssMb?: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function freshDatabase(prefix: string): Promise<string> {
  const url = withDatabase(databaseUrl, `bench_${prefix}_${crypto.randomUUID().slice(0, 8)}`);
  await ensureDatabase(url);
  const sql = connect(url, { max: 1 });
  await migrate(sql);
  await sql.end();
  return url;
}

async function psql(url: string, command: string): Promise<void> {
  const u = new URL(url);
  const output = await new Deno.Command("psql", {
    args: [
      "-h",
      u.hostname,
      "-p",
      u.port || "5432",
      "-U",
      u.username || pg.username,
      "-d",
      u.pathname.slice(1),
      "-v",
      "ON_ERROR_STOP=1",
      "-qc",
      command,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) throw new Error(`psql failed: ${new TextDecoder().decode(output.stderr)}`);
}

async function runLoader(file: string, connections: number): Promise<Run> {
  const url = await freshDatabase("loader");
  try {
    const output = await new Deno.Command("/usr/bin/time", {
      args: [
        "-f",
        "maxrss_kb=%M",
        Deno.execPath(),
        "run",
        "-A",
        "--v8-flags=--max-semi-space-size=8,--max-old-space-size=128",
        new URL("../scripts/load.ts", import.meta.url).pathname,
        "--progress-interval",
        "100000",
        "--connections",
        String(connections),
        file,
      ],
      env: { DATABASE_URL: url },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(output.stdout);
    const stderr = new TextDecoder().decode(output.stderr);
    const line = /loaded (\d+), duplicates \d+, rejected \d+ in ([\d.]+) s/.exec(stdout);
    if (!output.success || !line) throw new Error(`Loader failed: ${stdout}\n${stderr}`);
    const rss = Number(/maxrss_kb=(\d+)/.exec(stderr)?.[1] ?? NaN) / 1024;
    return { seconds: Number(line[2]), rssMb: rss };
  } finally {
    await dropDatabase(url);
  }
}

async function runCopy(file: string, table: "same" | "pk_only" | "bare"): Promise<Run> {
  const url = await freshDatabase(`copy_${table}`);
  try {
    if (table === "same") {
      // events' column types, defaults, unique key and indexes (not its CHECKs: they
      // would reject the file's `company`, which \copy cannot map to electronics).
      await psql(
        url,
        "create table copy_target (like events including defaults including indexes)",
      );
    } else if (table === "pk_only") {
      await psql(
        url,
        "create table copy_target (like events including defaults); alter table copy_target add primary key (order_id)",
      );
    } else {
      await psql(
        url,
        `create unlogged table copy_target (${
          COLUMNS.split(", ").map((c) => `${c} text`).join(", ")
        })`,
      );
    }
    const started = performance.now();
    await psql(
      url,
      `\\copy copy_target (${COLUMNS}) from '${file}' with (format csv, header true)`,
    );
    return { seconds: (performance.now() - started) / 1000 };
  } finally {
    await dropDatabase(url);
  }
}

async function runNaive(file: string, rows: number): Promise<Run> {
  const url = await freshDatabase("naive");
  const sql = connect(url, { max: 1 });
  try {
    const lines = await readFirstLines(file, rows + 1);
    const header = parseCsvHeader(lines[0].split(","));
    if (!header.ok) throw new Error(header.reason);
    await sql`select 1`; // connect (and fetch array types) outside the timing
    const started = performance.now();
    for (const line of lines.slice(1)) {
      const result = parseCsvFields(header.value, line.split(","));
      if (!result.ok) continue;
      // Its month's partition, outside the transaction (as the loader does, once a month).
      const prepared = await prepareEvents(sql, [result.value]);
      await sql.begin((tx) => storeEvents(tx, prepared.events, "UTC"));
    }
    return { seconds: (performance.now() - started) / 1000 };
  } finally {
    await sql.end();
    await dropDatabase(url);
  }
}

async function readFirstLines(file: string, count: number): Promise<string[]> {
  const handle = await Deno.open(file);
  const buffer = new Uint8Array(count * 200 + 1024);
  const n = await handle.read(buffer) ?? 0;
  handle.close();
  return new TextDecoder().decode(buffer.subarray(0, n)).split("\n").slice(0, count);
}

async function generate(path: string, rows: number): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    await generateCsv({ rows, seed: 1 }, async (chunk) => {
      for (let done = 0; done < chunk.length;) done += await file.write(chunk.subarray(done));
    });
  } finally {
    file.close();
  }
}

const cpus =
  (await Deno.readTextFile("/proc/cpuinfo")).split("\n").filter((l) => l.startsWith("processor"))
    .length;
console.log(
  `bench:load on ${cpus} CPUs, load average ${
    (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ")
  }`,
);
const dir = await Deno.makeTempDir({ prefix: "load_bench_" });
try {
  for (const rows of sizes) {
    const file = `${dir}/product_${rows}.csv`;
    await generate(file, rows);
    const size = (await Deno.stat(file)).size;
    console.log(
      `\n${rows} rows (${
        (size / 1e6).toFixed(0)
      } MB, deno task gen --seed 1), ${repeat} repeat(s), interleaved`,
    );
    const runs: Record<string, Run[]> = {
      loader: [],
      loader_1: [],
      same: [],
      pk_only: [],
      bare: [],
    };
    for (let i = 0; i < repeat; i++) {
      runs.loader.push(await runLoader(file, 2));
      runs.loader_1.push(await runLoader(file, 1));
      runs.same.push(await runCopy(file, "same"));
      runs.pk_only.push(await runCopy(file, "pk_only"));
      runs.bare.push(await runCopy(file, "bare"));
      const load = (await Deno.readTextFile("/proc/loadavg")).split(" ")[0];
      console.log(
        `  repeat ${i + 1} (load average ${load}): ` +
          Object.entries(runs).map(([k, v]) => `${k} ${v[i].seconds.toFixed(1)} s`).join(", "),
      );
    }
    const naive = naiveRows > 0 ? await runNaive(file, Math.min(naiveRows, rows)) : undefined;
    const same = median(runs.same.map((r) => r.seconds));
    const rowsPerSecond = (seconds: number, n = rows) => Math.round(n / seconds);
    const table = [
      ["deno task load (rules, dedup, rollups)", runs.loader],
      ["deno task load --connections 1", runs.loader_1],
      ["psql \\copy, same types + unique key + indexes", runs.same],
      ["psql \\copy, same types + primary key only", runs.pk_only],
      ["psql \\copy, bare unlogged text table (floor)", runs.bare],
    ] as const;
    console.log(
      "  method                                          median s     rows/s   vs \\copy same   peak RSS",
    );
    for (const [name, list] of table) {
      const m = median(list.map((r) => r.seconds));
      const rss = list[0].rssMb ? `${Math.round(median(list.map((r) => r.rssMb!)))} MB` : "";
      console.log(
        `  ${name.padEnd(47)} ${m.toFixed(1).padStart(8)} ${
          String(rowsPerSecond(m)).padStart(10)
        } ${(same / m).toFixed(2).padStart(12)}x ${rss.padStart(10)}`,
      );
    }
    if (naive) {
      const rate = naiveRows / naive.seconds;
      console.log(
        `  ${"naive: one storeEvents per row (first " + naiveRows + ")"} ${
          naive.seconds.toFixed(1).padStart(4)
        } ${String(Math.round(rate)).padStart(10)} ${
          (rate / (rows / same)).toFixed(3).padStart(12)
        }x`,
      );
    }
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
