/**
 * `deno task test [deno test args…]`: the gate. `deno fmt --check`, `deno lint`,
 * `deno check`, then every test (unit, integration against the real Postgres and Kafka,
 * browser tests in headless Chromium), bringing the services up first when none runs
 * and stopping what it brought up at the end.
 *
 * @module
 */
import { ensureServices, stopServices } from "../lib/services/mod.ts";

async function step(name: string, args: string[], env?: Record<string, string>): Promise<boolean> {
  console.log(`\n== ${name}: deno ${args.join(" ")}`);
  const status = await new Deno.Command(Deno.execPath(), {
    args,
    env,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  if (!status.success) console.error(`== ${name} failed`);
  return status.success;
}

async function main(): Promise<number> {
  const gates = [
    await step("format", ["fmt", "--check"]),
    await step("lint", ["lint"]),
    await step("type check", ["check", "."]),
  ];
  const services = await ensureServices({
    databaseUrl: Deno.env.get("DATABASE_URL"),
    kafkaBrokers: Deno.env.get("KAFKA_BROKERS")?.split(","),
    onProgress: (line) => console.log(line),
  });
  let testsPassed = false;
  try {
    testsPassed = await step("tests", ["test", "-A", "--no-check", ...Deno.args], {
      DATABASE_URL: services.databaseUrl,
      KAFKA_BROKERS: services.kafkaBrokers.join(","),
    });
  } finally {
    await stopServices(services.started);
  }
  return gates.every(Boolean) && testsPassed ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main());
