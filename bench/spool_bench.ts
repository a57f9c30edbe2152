/**
 * `deno task bench:spool [--events 4000] [--dir .data/bench-spool]`: the shop spool's
 * append rate, each append fsync'd before it resolves, with 1, 8, 64 and 256 appends in
 * flight (one web request each: group commit lets one `fdatasync` serve every append
 * that arrived while the previous one ran). Prints events/s, the p50/p99 wait of one
 * append, and each rate as a ratio of the one-at-a-time rate. `--dir` defaults to the
 * project's `.data/` (the default spool's file system; a tmpfs would make fsync free).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Spool } from "../lib/shop/spool.ts";
import { encodeEvent } from "../lib/core/event.ts";
import { shopEvent } from "../lib/shop/events.ts";
import { runMain } from "../lib/process/run_main.ts";

async function main() {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      events: { type: "string", default: "4000" },
      dir: { type: "string", default: new URL("../.data/bench-spool", import.meta.url).pathname },
    },
  });
  const events = Number(values.events);
  if (!Number.isInteger(events) || events < 100) {
    throw new Error(`--events: expected an integer of at least 100, got "${values.events}"`);
  }
  const value = encodeEvent(shopEvent({
    title: "order",
    product: "sneakers",
    userId: "0123456789abcdef0123456789abcdef",
    siteVersion: "desktop",
    page: "/product/sneakers",
  }));
  let base = 0;
  for (const inFlight of [1, 8, 64, 256]) {
    const dir = `${values.dir}/${inFlight}`;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    const spool = await Spool.open({ dir, maxBytes: 1024 ** 3, log: () => {} });
    const waits: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: inFlight }, async () => {
      while (next < events) {
        next++;
        const t = performance.now();
        if (await spool.append({ key: "0123456789abcdef0123456789abcdef", value }) === undefined) {
          throw new Error("The bench's spool refused an append");
        }
        waits.push(performance.now() - t);
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    const rate = events / seconds;
    base ||= rate;
    waits.sort((a, b) => a - b);
    const at = (p: number) => waits[Math.min(waits.length - 1, Math.floor(waits.length * p))];
    console.log(
      `${String(inFlight).padStart(3)} in flight: ${
        Math.round(rate).toLocaleString("en")
      } events/s ` +
        `(${(rate / base).toFixed(1)}× one at a time), append p50 ${at(0.5).toFixed(2)} ms, ` +
        `p99 ${at(0.99).toFixed(2)} ms, ${spool.stats().bytes} bytes`,
    );
    await spool.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  await Deno.remove(values.dir, { recursive: true }).catch(() => {});
}

if (import.meta.main) await runMain(main);
