/**
 * `deno task merge [--check]`: runs one merge round now (fold each rollup
 * key's rows into one, drop minute rows older than 48 hours and raw-event months older
 * than `ANALYTICS_RETENTION`), the same the workers
 * run periodically. `--check` then verifies the invariant (rollups vs `events`) and
 * exits 1 when it does not hold.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { readConfig } from "../lib/process/config.ts";
import { prepare } from "../lib/process/prepare.ts";
import { connect } from "../lib/db/client.ts";
import { mergeRollups } from "../lib/rollups/merge.ts";
import { checkInvariant } from "../lib/rollups/invariant.ts";
import { MINUTE_WINDOW_HOURS, ROLLUP } from "../lib/rollups/schema.ts";
import { runMain } from "../lib/process/run_main.ts";

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: { check: { type: "boolean" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    console.log("Usage: deno task merge [--check]");
    return 0;
  }
  const config = readConfig();
  const ready = await prepare(config);
  const sql = connect(ready.databaseUrl, { max: 2, applicationName: "ecommerce-merge" });
  try {
    const result = await mergeRollups(sql, { retentionMs: config.retentionMs });
    if (!result.ran) {
      console.log("Another process is merging right now; nothing done");
    } else {
      for (const [table, t] of Object.entries(result.tables)) {
        console.log(`${table}: folded ${t.keys} keys, ${t.rowsRemoved} rows fewer`);
      }
      console.log(
        `${ROLLUP.minute.table}: dropped ${result.expiredMinuteRows} rows older than ${MINUTE_WINDOW_HOURS} hours`,
      );
      for (const m of result.retiredMonths) {
        console.log(`events: dropped ${m.month.slice(0, 7)} (~${m.rows} rows; rollups kept)`);
      }
      console.log(`Done in ${result.durationMs} ms`);
    }
    if (values.check) {
      const report = await checkInvariant(sql, config.analyticsTz);
      if (report.violations.length > 0) {
        console.error(`Invariant violated for ${report.violations.length} keys, first ones:`);
        console.error(report.violations.slice(0, 10));
        return 1;
      }
      console.log(
        `Invariant holds: ${report.events} events, rollup totals ${JSON.stringify(report.totals)}`,
      );
    }
    return 0;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

if (import.meta.main) await runMain(main);
