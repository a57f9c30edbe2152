/**
 * Helpers for the bulk loader's tests: temporary CSV files, running the real loader
 * (in-process or as `deno run scripts/load.ts`), and a comparable snapshot of what a
 * database holds.
 *
 * @module
 */
import assert from "node:assert/strict";
import { parse } from "csv-parse";
import type { Sql } from "../../lib/db/client.ts";
import { loadCsv, type LoadReport } from "../../lib/load/loader.ts";

/** The dataset's header. */
export const HEADER = "order_id,user_id,page_id,product,site_version,time,title,target";

/** A valid row in the dataset's format; `i` makes its ids unique. */
export function row(i: number, overrides: Partial<Record<string, string>> = {}): string {
  const hex = (salt: number) => (i * 7919 + salt).toString(16).padStart(32, "0");
  const values: Record<string, string> = {
    order_id: hex(1),
    user_id: hex(2),
    page_id: hex(3),
    product: "clothes",
    site_version: "desktop",
    time: "2019-01-11 09:24:43",
    title: "banner_show",
    target: "0",
    ...overrides,
  };
  return HEADER.split(",").map((name) => values[name]).join(",");
}

/** A temporary directory removed by `close()`. */
export interface TempDir extends AsyncDisposable {
  path: string;
  /** Writes `text` to `name` inside the directory; returns the file's path. */
  write(name: string, text: string | Uint8Array): Promise<string>;
}

/** Creates a temporary directory for a test's files. */
export async function tempDir(): Promise<TempDir> {
  const path = await Deno.makeTempDir({ prefix: "load_test_" });
  return {
    path,
    async write(name, text) {
      const file = `${path}/${name}`;
      if (typeof text === "string") await Deno.writeTextFile(file, text);
      else await Deno.writeFile(file, text);
      return file;
    },
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}

/** Runs the real loader in-process (UTC days). */
export function load(sql: Sql, path: string, batchSize = 1000): Promise<LoadReport> {
  return loadCsv(sql, path, { timeZone: "UTC", batchSize });
}

/** The stored events as comparable rows (ingested_at left out), ordered by order_id. */
export async function storedEvents(sql: Sql): Promise<Record<string, unknown>[]> {
  const rows = await sql`
    select replace(order_id::text, '-', '') as order_id, replace(user_id::text, '-', '') as user_id,
      replace(page_id::text, '-', '') as page_id, product, site_version,
      to_char(event_time at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as time, title, target
    from events order by order_id`;
  return rows.map((r) => ({ ...r }));
}

/**
 * A fingerprint of everything a load leaves: events (count and a hash over every
 * column but ingested_at) and each rollup's per-key totals.
 */
export async function snapshot(sql: Sql): Promise<Record<string, unknown>> {
  const [events] = await sql`
    select count(*)::int8 as n, coalesce(md5(string_agg(
      concat_ws('|', order_id, user_id, page_id, product, site_version, event_time, title, target),
      ',' order by order_id)), '') as hash
    from events`;
  const rollup = async (table: string, time: string) => {
    const [r] = await sql`
      select count(*)::int8 as keys, coalesce(md5(string_agg(concat_ws('|', t, product, site_version,
        title, n), ',' order by t, product, site_version, title)), '') as hash
      from (select ${sql(time)} as t, product, site_version, title, sum(n) as n
            from ${sql(table)} group by 1, 2, 3, 4) k`;
    return { ...r };
  };
  return {
    events: { ...events },
    daily: await rollup("rollup_daily", "day"),
    hourly: await rollup("rollup_hourly", "hour"),
    minute: await rollup("rollup_minute", "minute"),
  };
}

/** The rejects file as [line, reason, row] triples (read with csv-parse). */
export async function readRejects(path: string): Promise<string[][]> {
  const text = await Deno.readTextFile(path);
  const records = await new Promise<string[][]>((resolve, reject) =>
    parse(text, {}, (error, rows) => error ? reject(error) : resolve(rows as string[][]))
  );
  assert.deepEqual(records[0], ["line", "reason", "row"]);
  return records.slice(1);
}

/** Result of {@linkcode runLoadCli}. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The command line that runs the loader as `deno task load` does (`env` adds variables). */
export function loadCommand(
  databaseUrl: string,
  args: string[],
  env: Record<string, string> = {},
): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--max-semi-space-size=8,--max-old-space-size=128",
      new URL("../../scripts/load.ts", import.meta.url).pathname,
      ...args,
    ],
    env: { DATABASE_URL: databaseUrl, NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  });
}

/** Runs `scripts/load.ts` to completion against `databaseUrl`. */
export async function runLoadCli(
  databaseUrl: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  const output = await loadCommand(databaseUrl, args, env).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}
