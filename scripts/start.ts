/**
 * `deno task start`: services (attach or bring up), migrations, then the web server
 * and one ingest worker as child processes with prefixed logs. Ctrl-C or SIGTERM stops
 * the children first, then any broker or Postgres this command brought up.
 *
 * @module
 */
import { readConfig } from "../lib/process/config.ts";
import { bringUp, stopServices } from "../lib/services/mod.ts";
import { waitFor } from "../lib/services/net.ts";
import { runMain } from "../lib/process/run_main.ts";

const ROOT = new URL("../", import.meta.url);
const STOP_GRACE_MS = 8_000;

interface Child {
  name: string;
  process: Deno.ChildProcess;
  done: Promise<void>;
}

async function pipeWithPrefix(
  stream: ReadableStream<Uint8Array>,
  prefix: string,
  out: typeof Deno.stdout,
) {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const line of lines) await out.write(encoder.encode(`${prefix} ${line}\n`));
  }
  if (buffered) await out.write(encoder.encode(`${prefix} ${buffered}\n`));
}

function spawnChild(name: string, script: string, env: Record<string, string>): Child {
  const process = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(script, ROOT).pathname],
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const prefix = `[${name}]`.padEnd(9);
  const done = Promise.all([
    pipeWithPrefix(process.stdout, prefix, Deno.stdout),
    pipeWithPrefix(process.stderr, prefix, Deno.stderr),
  ]).then(() => {});
  return { name, process, done };
}

async function stopChild(child: Child) {
  try {
    child.process.kill("SIGTERM");
  } catch { /* already gone */ }
  const timer = setTimeout(() => {
    try {
      child.process.kill("SIGKILL");
    } catch { /* already gone */ }
  }, STOP_GRACE_MS);
  await child.process.status;
  clearTimeout(timer);
  await child.done;
}

async function main(): Promise<number> {
  const started = Date.now();
  const config = readConfig();
  const log = (line: string) => console.log(`[start]   ${line}`);
  const ready = await bringUp(config, { onProgress: log });
  if (ready.applied.length) log(`Applied migrations: ${ready.applied.join(", ")}`);
  const env = {
    DATABASE_URL: ready.databaseUrl,
    KAFKA_BROKERS: ready.kafkaBrokers.join(","),
  };
  const children = [
    spawnChild("web", "main.ts", env),
    spawnChild("worker", "workers/ingest.ts", env),
  ];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log("Stopping…");
    await Promise.all(children.map(stopChild));
    await stopServices(ready.services.started);
    log("Stopped");
    Deno.exit(code);
  };
  Deno.addSignalListener("SIGINT", () => stopAll(0));
  Deno.addSignalListener("SIGTERM", () => stopAll(0));
  for (const child of children) {
    child.process.status.then((status) => {
      if (stopping) return;
      log(`${child.name} exited with code ${status.code}; stopping everything`);
      stopAll(1);
    });
  }
  const base = `http://${
    config.hostname === "0.0.0.0" ? "127.0.0.1" : config.hostname
  }:${config.port}`;
  await waitFor(`the web server at ${base}`, async () => {
    try {
      const response = await fetch(`${base}/`);
      await response.body?.cancel();
      return response.ok;
    } catch {
      return false;
    }
  }, { timeoutMs: 60_000 });
  log(`Ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  log(`Shop:      ${base}/`);
  log(`Dashboard: ${base}/dashboard`);
  log(
    `Postgres:  ${ready.databaseUrl}   Kafka: ${
      ready.kafkaBrokers.join(",")
    } (topic ${ready.topic})`,
  );
  log("Press Ctrl-C to stop");
  await new Promise(() => {});
  return 0;
}

if (import.meta.main) await runMain(main);
