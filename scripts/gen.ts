/**
 * `deno task gen [--rows 8471220] [--seed 1] [--out data/product.csv]`: writes a
 * deterministic synthetic file with the dataset's header and formats. The file is
 * written under `<out>.partial` and renamed when complete, so an interrupted run never
 * leaves a truncated file under the real name.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { dirname } from "node:path";
import { generateCsv } from "../lib/synth/csv_writer.ts";
import { runMain } from "../lib/process/run_main.ts";

const USAGE = "Usage: deno task gen [--rows 8471220] [--seed 1] [--out data/product.csv]";

function parseWhole(name: string, text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value)) {
    throw new Error(`Invalid --${name} "${text}": expected a whole number`);
  }
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      rows: { type: "string", default: "8471220" },
      seed: { type: "string", default: "1" },
      out: { type: "string", default: "data/product.csv" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const rows = parseWhole("rows", values.rows);
  const seed = parseWhole("seed", values.seed);
  const out = values.out;
  await Deno.mkdir(dirname(out) || ".", { recursive: true });
  const partial = `${out}.partial`;
  const file = await Deno.open(partial, { write: true, create: true, truncate: true });
  const started = performance.now();
  let lastReport = started;
  let bytes: number;
  try {
    bytes = await generateCsv({
      rows,
      seed,
      onProgress: (written) => {
        const now = performance.now();
        if (now - lastReport < 2000) return;
        lastReport = now;
        const percent = rows === 0 ? 100 : (100 * written / rows).toFixed(1);
        console.error(`gen: ${written} of ${rows} rows (${percent}%)`);
      },
    }, async (chunk) => {
      for (let done = 0; done < chunk.length;) done += await file.write(chunk.subarray(done));
    });
  } finally {
    file.close();
  }
  await Deno.rename(partial, out);
  const seconds = (performance.now() - started) / 1000;
  const rate = Math.round(rows / Math.max(seconds, 1e-9));
  const mb = (bytes / 1e6).toFixed(1);
  console.log(
    `wrote ${rows} rows (${mb} MB) to ${out} in ${seconds.toFixed(1)} s (${rate} rows/s)`,
  );
}

if (import.meta.main) await runMain(main, { usage: USAGE, failureCode: 2 });
