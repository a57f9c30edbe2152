// `deno task simulate` rides out a broker outage and then exits by itself: the producer
// closes every connection it opened, including those kafkajs reopened for a send given
// up during the outage (before the fix it printed "done" and kept one socket open). A
// private broker on a free port.
import assert from "node:assert/strict";
import { ensureTopics } from "../lib/kafka/client.ts";
import { freePortPair } from "../lib/services/net.ts";
import { kafkaDataDir, startLocalKafka, stopLocalKafka } from "../lib/services/kafka_local.ts";
import { sleep } from "../lib/core/async.ts";
import { createTestDatabase, uniqueName } from "./support/services.ts";
import { waitFor } from "./support/ingest.ts";

Deno.test({
  name: "deno task simulate exits after a broker outage ends in its last seconds",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const port = await freePortPair();
    let broker = await startLocalKafka({ port });
    const brokers = [`127.0.0.1:${port}`];
    const topic = uniqueName("test_simulate_outage");
    await using db = await createTestDatabase("simulate_outage");
    const lines: string[] = [];
    let child: Deno.ChildProcess | undefined;
    try {
      await ensureTopics(brokers, topic);
      child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          new URL("../scripts/simulate.ts", import.meta.url).pathname,
          "--rate",
          "200",
          "--duration",
          "25s",
        ],
        env: { DATABASE_URL: db.url, KAFKA_BROKERS: brokers.join(","), KAFKA_TOPIC: topic },
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const reading = (async () => {
        let rest = "";
        for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
          const parts = (rest + chunk).split("\n");
          rest = parts.pop() ?? "";
          lines.push(...parts);
        }
      })();
      await waitFor(() => lines.some((l) => / delivered [1-9]/.test(l)), 30_000, "deliveries");
      Deno.kill(broker.pid, "SIGKILL");
      // Down for over 30 s (past the producer's 10 s send timeout: sends are given up mid-retry).
      await waitFor(() => lines.some((l) => /cannot send/.test(l)), 30_000, "a failed send");
      await sleep(20_000);
      broker = await startLocalKafka({ port });
      await waitFor(() => lines.some((l) => l.startsWith("simulate: done")), 60_000, "done");
      const doneAt = Date.now();
      const status = await Promise.race([child.status, sleep(15_000).then(() => undefined)]);
      assert.ok(
        status !== undefined,
        `simulate still running 15 s after "done":\n${lines.slice(-5).join("\n")}`,
      );
      console.log(`simulate exited ${((Date.now() - doneAt) / 1000).toFixed(1)} s after "done"`);
      // Its exit code tells whether everything was delivered within close()'s 30 s (it is
      // when the broker came back in time; a loaded machine may restart it later).
      const done = lines.find((l) => l.startsWith("simulate: done"))!;
      const [, sent, delivered] = /done: (\d+) events .* delivered (\d+), dropped 0$/.exec(done)!;
      assert.equal(status.code, sent === delivered ? 0 : 1, done);
      await reading;
    } finally {
      try {
        child?.kill("SIGKILL");
      } catch { /* exited */ }
      await stopLocalKafka(broker);
      await Deno.remove(kafkaDataDir(port), { recursive: true }).catch(() => {});
    }
  },
});
