import assert from "node:assert/strict";
import { dropDatabase, withDatabase } from "../lib/db/client.ts";
import { deleteTopics } from "../lib/kafka/client.ts";
import { freePort, isAlive, isListening } from "../lib/services/net.ts";
import { testServices, uniqueName } from "./support/services.ts";

function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) children.push(Number(entry.name));
    } catch { /* exited meanwhile */ }
  }
  return children;
}

Deno.test({
  name: "deno task start serves / and /dashboard, and SIGTERM stops every process it started",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { databaseUrl, kafkaBrokers } = await testServices();
    const url = withDatabase(databaseUrl, uniqueName("test_start"));
    const topic = uniqueName("test_start");
    const port = freePort();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("../scripts/start.ts", import.meta.url).pathname],
      env: {
        DATABASE_URL: url,
        KAFKA_BROKERS: kafkaBrokers.join(","),
        KAFKA_TOPIC: topic,
        PORT: String(port),
      },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output: string[] = [];
    const stderr = new Response(child.stderr).text();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    try {
      const started = Date.now();
      while (!output.join("").includes("Press Ctrl-C to stop")) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`start exited early: ${output.join("")}${await stderr}`);
        output.push(value);
        if (Date.now() - started > 60_000) throw new Error("start did not become ready");
      }
      const text = output.join("");
      assert.match(text, new RegExp(`Shop: +http://127\\.0\\.0\\.1:${port}/`));
      assert.match(text, /\[web\] +Web server listening/);
      for (const path of ["/", "/dashboard"]) {
        const response = await fetch(`http://127.0.0.1:${port}${path}`);
        await response.body?.cancel();
        assert.equal(response.status, 200, path);
      }
      const processes = childrenOf(child.pid);
      assert.equal(processes.length, 2, "web and worker run as child processes");
      const stopAsked = Date.now();
      child.kill("SIGTERM");
      const rest = (async () => {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          output.push(value);
        }
      })();
      const status = await child.status;
      await rest;
      assert.ok(Date.now() - stopAsked < 15_000, "stopped within 15 s");
      assert.equal(status.code, 0, output.join("") + await stderr);
      for (const pid of processes) assert.equal(isAlive(pid), false, `process ${pid} left behind`);
      assert.equal(await isListening("127.0.0.1", port), false);
    } finally {
      try {
        child.kill("SIGKILL");
      } catch { /* already exited */ }
      await child.status;
      await stderr.catch(() => {});
      await dropDatabase(url);
      await deleteTopics(kafkaBrokers, [topic, `${topic}.dlq`]).catch(() => {});
    }
  },
});
