// The shop's tasks against the real Kafka: replay (row rules, pacing, --shift-to-now)
// in-process and as `deno task replay`, and `deno task simulate` as a subprocess.
import assert from "node:assert/strict";
import { createEventProducer } from "../lib/shop/producer.ts";
import { replayFile } from "../lib/synth/replay.ts";
import { createTestDatabase, createTestTopic, testServices } from "./support/services.ts";
import { TopicReader } from "./support/shop.ts";

const ids = (n: number) => n.toString(16).padStart(32, "0");

/** A small file in the dataset's format: BOM, reordered columns, good and bad rows. */
function sampleCsv(): { text: string; valid: string[] } {
  const header = "\uFEFFtime,order_id,user_id,page_id,product,site_version,title,target";
  const rows = [
    `2019-01-01 10:00:00,${ids(1)},${ids(101)},${ids(201)},sneakers,mobile,banner_show,0`,
    `2019-01-01 10:00:05,${ids(2)},${ids(101)},${ids(201)},sneakers,mobile,banner_click,0`,
    `2019-01-01 10:00:06,${ids(3)},${ids(102)},${ids(202)},toys,desktop,banner_show,0`,
    `2019-01-01 10:00:07,${ids(4)},${ids(103)}`,
    `01/01/2019 10:00:08,${ids(5)},${ids(104)},${ids(204)},clothes,desktop,banner_show,0`,
    `2019-01-01 10:00:10,${ids(6)},${ids(105)},${ids(205)},company,desktop,banner_show,0`,
    `2019-01-01 10:00:20,${ids(7)},${ids(101)},${ids(201)},SNEAKERS,Mobile,order,1`,
  ];
  return { text: [header, ...rows, ""].join("\n"), valid: [ids(1), ids(2), ids(6), ids(7)] };
}

Deno.test({
  name: "replay applies the importer's row rules, keeps relative timing and shifts to now",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { kafkaBrokers } = await testServices();
    await using topic = await createTestTopic("shop_replay");
    const file = await Deno.makeTempFile({ suffix: ".csv" });
    const producer = createEventProducer({ brokers: kafkaBrokers, topic: topic.topic });
    await using reader = await TopicReader.start(kafkaBrokers, topic.topic);
    try {
      const { text, valid } = sampleCsv();
      await Deno.writeTextFile(file, text);
      const lines: string[] = [];
      const started = Date.now();
      const summary = await replayFile(file, producer, {
        speed: 10,
        shiftToNow: true,
        log: (line) => lines.push(line),
      });
      const elapsed = Date.now() - started;
      assert.deepEqual({ ...summary, seconds: 0 }, { rows: 7, sent: 4, rejected: 3, seconds: 0 });
      assert.deepEqual(lines, [
        'replay: line 4 rejected: unknown product "toys"',
        "replay: line 5 rejected: expected 8 fields, got 3",
        'replay: line 6 rejected: invalid time "01/01/2019 10:00:08"',
      ]);
      // 20 s of data at 10× takes about 2 s: the last row waits for its turn.
      assert.ok(elapsed >= 1_900, `replayed in ${elapsed} ms`);
      assert.ok(await producer.flush(10_000));
      await reader.waitFor("the replayed rows", (events) => events.length === 4);
      assert.deepEqual(reader.events.map((e) => e.order_id), valid);
      const times = reader.events.map((e) => Date.parse(e.time));
      // Shifted by one constant: the first row is "now", the spacing is the data's.
      assert.ok(Math.abs(times[0] - started) < 5_000, `first row at ${reader.events[0].time}`);
      assert.deepEqual(times.map((t) => t - times[0]), [0, 5_000, 10_000, 20_000]);
      assert.equal(reader.events[2].product, "electronics");
      assert.equal(reader.events[3].product, "sneakers");
      assert.equal(reader.events[3].key, ids(101));
    } finally {
      await producer.close();
      await Deno.remove(file);
    }
  },
});

async function runTask(args: string[], env: Record<string, string>) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", ...args],
    cwd: new URL("../", import.meta.url).pathname,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: output.code,
    text: new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr),
  };
}

Deno.test({
  name: "deno task replay and deno task simulate send through the producer and report rates",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { kafkaBrokers } = await testServices();
    await using topic = await createTestTopic("shop_cli");
    await using db = await createTestDatabase("shop_cli");
    await using reader = await TopicReader.start(kafkaBrokers, topic.topic);
    const env = {
      DATABASE_URL: db.url,
      KAFKA_BROKERS: kafkaBrokers.join(","),
      KAFKA_TOPIC: topic.topic,
    };
    const file = await Deno.makeTempFile({ suffix: ".csv" });
    try {
      await Deno.writeTextFile(file, sampleCsv().text);
      const replay = await runTask(["replay", file, "--speed", "max"], env);
      assert.equal(replay.code, 0, replay.text);
      assert.match(replay.text, /replay: 7 rows \(\d+ rows\/s\), 3 rejected, sent 4/);
      assert.match(
        replay.text,
        /replay: done: 7 rows in [\d.]+ s, 4 sent, 4 delivered, 3 rejected/,
      );

      const bad = await runTask(["replay", file, "--speed", "fast"], env);
      assert.equal(bad.code, 1);
      assert.match(bad.text, /Invalid --speed "fast": expected a positive number or "max"/);

      const simulate = await runTask(
        ["simulate", "--rate", "300", "--duration", "2s", "--users", "50"],
        env,
      );
      assert.equal(simulate.code, 0, simulate.text);
      assert.match(simulate.text, /simulate: 1s \d+ events\/s/);
      const sent = Number(/simulate: done: (\d+) events/.exec(simulate.text)?.[1]);
      assert.ok(sent >= 400 && sent <= 800, simulate.text);
      await reader.waitFor("every simulated event", (events) => events.length === 4 + sent);
      const simulated = reader.events.slice(4);
      assert.equal(new Set(simulated.map((e) => e.user_id)).size <= 50, true);
      assert.ok(simulated.some((e) => e.site_version === "mobile"));
      assert.ok(simulated.some((e) => e.title === "banner_click"));
    } finally {
      await Deno.remove(file);
    }
  },
});
