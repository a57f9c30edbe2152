/**
 * `deno task bench:ingest [--events N] [--workers N] [--naive-events N] [--latency-seconds S]
 *   [--skip ceiling|parse|platformatic|naive|latency]…`
 *
 * The ingest worker against the real broker and Postgres on this machine:
 * 1. pre-produces N events (default 1,000,000) to a fresh 6-partition topic;
 * 2. Kafka's own ConsumerPerformance on that topic: consume only, the ceiling;
 * 3. consume-and-parse only, kafkajs vs @platformatic/kafka (the client's own cost);
 * 4. the worker (`deno run -A workers/ingest.ts`, a subprocess, so its RSS is its own):
 *    topic → committed events and rollups, sustained events/s, CPU per event and peak
 *    RSS; then again with `--workers N` processes in one group (default 2);
 * 5. the same pipeline (same batch transaction) on @platformatic/kafka, end to end;
 * 6. a naive consumer inserting and committing one event at a time (the original
 *    project's approach) on a smaller topic;
 * 7. latency at a steady 1,000 events/s: produce → NOTIFY, p50/p99.
 * Every database and topic it creates is dropped at the end.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  Consumer as PlatformaticConsumer,
  type Message as PlatformaticMessage,
} from "@platformatic/kafka";
import { connect, dropDatabase, ensureDatabase, type Sql, withDatabase } from "../lib/db/client.ts";
import { migrate } from "../lib/db/migrate.ts";
import { createKafka, deleteTopics, dlqTopic, ensureTopics } from "../lib/kafka/client.ts";
import { ensureServices } from "../lib/services/mod.ts";
import { encodeEvent, latestEventTime, newId, parseEventMessage } from "../lib/core/event.ts";
import { storeEvents } from "../lib/rollups/store.ts";
import { prepareEvents } from "../lib/rollups/partitions.ts";
import { commitBatch, type RawMessage, splitBatch } from "../lib/ingest/batch.ts";
import { checkInvariant } from "../lib/rollups/invariant.ts";
import { liveChannel } from "../lib/live/notify.ts";
import { decodeLiveUpdate } from "../lib/live/protocol.ts";
import { randomEvent } from "../tests/support/ingest.ts";

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    events: { type: "string", default: "1000000" },
    "naive-events": { type: "string", default: "5000" },
    "latency-seconds": { type: "string", default: "20" },
    "latency-rate": { type: "string", default: "1000" },
    workers: { type: "string", default: "2" },
    "compare-events": { type: "string", default: "300000" },
    rounds: { type: "string", default: "3" },
    "worker-v8-flags": { type: "string", default: "" },
    skip: { type: "string", multiple: true, default: [] },
  },
});
const EVENTS = Number(args.events);
const NAIVE_EVENTS = Number(args["naive-events"]);
const LATENCY_SECONDS = Number(args["latency-seconds"]);
const LATENCY_RATE = Number(args["latency-rate"]);
const WORKERS = Number(args.workers);
const COMPARE_EVENTS = Math.min(Number(args["compare-events"]), EVENTS);
const ROUNDS = Number(args.rounds);
const WORKER_V8_FLAGS = args["worker-v8-flags"];
const skip = new Set(args.skip);

const services = await ensureServices({
  databaseUrl: Deno.env.get("DATABASE_URL"),
  kafkaBrokers: Deno.env.get("KAFKA_BROKERS")?.split(","),
});
const BROKERS = services.kafkaBrokers;
const cleanups: (() => Promise<void>)[] = [];
const results: { name: string; value: string; note?: string }[] = [];

function log(line: string) {
  console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
}

function record(name: string, value: string, note?: string) {
  results.push({ name, value, note });
  log(`${name}: ${value}${note ? ` (${note})` : ""}`);
}

const rate = (count: number, ms: number) => Math.round(count / (ms / 1000));
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2);
};
const fmt = (n: number) => n.toLocaleString("en-US");

async function freshDatabase(prefix: string): Promise<{ url: string; sql: Sql }> {
  const url = withDatabase(services.databaseUrl, `bench_${prefix}_${newId().slice(0, 8)}`);
  await ensureDatabase(url);
  const sql = connect(url, { max: 4, applicationName: "ecommerce-bench" });
  await migrate(sql);
  cleanups.push(async () => {
    await sql.end({ timeout: 5 });
    await dropDatabase(url);
  });
  return { url, sql };
}

async function freshTopic(prefix: string): Promise<string> {
  const topic = `bench_${prefix}_${newId().slice(0, 8)}`;
  await ensureTopics(BROKERS, topic);
  cleanups.push(() => deleteTopics(BROKERS, [topic, dlqTopic(topic)]).catch(() => {}));
  return topic;
}

/** Produces `count` random events (key = user_id), in batches of 10,000. */
async function produceEvents(topic: string, count: number): Promise<void> {
  const producer = createKafka(BROKERS, { clientId: "bench-producer" }).producer();
  await producer.connect();
  try {
    const inFlight: Promise<unknown>[] = [];
    for (let i = 0; i < count; i += 10_000) {
      const messages = Array.from({ length: Math.min(10_000, count - i) }, () => {
        const event = randomEvent(7 * 24 * 60);
        return { key: event.user_id, value: encodeEvent(event) };
      });
      inFlight.push(producer.send({ topic, acks: 1, messages }));
      if (inFlight.length >= 4) await inFlight.shift();
    }
    await Promise.all(inFlight);
  } finally {
    await producer.disconnect();
  }
}

async function storedOffsets(sql: Sql): Promise<number> {
  const [row] = await sql`select coalesce(sum(next_offset), 0)::int8 as n from ingest_offsets`;
  return row.n;
}

/** Polls until `done()` and returns the times at which `progress()` crossed 10% and 90%. */
async function track(progress: () => Promise<number>, total: number, timeoutMs: number) {
  const started = performance.now();
  let t10 = 0, t90 = 0, tEnd = 0;
  let stored10 = 0, stored90 = 0;
  while (performance.now() - started < timeoutMs) {
    const stored = await progress();
    const now = performance.now();
    if (!t10 && stored >= total * 0.1) [t10, stored10] = [now, stored];
    if (!t90 && stored >= total * 0.9) [t90, stored90] = [now, stored];
    if (stored >= total) {
      tEnd = now;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (!tEnd) throw new Error(`Not done after ${timeoutMs} ms`);
  return {
    totalMs: tEnd - started,
    sustained: rate(stored90 - stored10, t90 - t10),
    overall: rate(total, tEnd - started),
  };
}

function peakRssMb(pid: number): number | undefined {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    return hwm ? Math.round(Number(hwm[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid: number): number {
  try {
    const fields = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ");
    // utime and stime are fields 14 and 15 of stat (11 and 12 after "pid (comm) "), in ticks.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU seconds used so far by the Postgres backends serving `applicationName`. */
async function backendCpuSeconds(sql: Sql, applicationName: string): Promise<Map<number, number>> {
  const rows = await sql`select pid from pg_stat_activity
    where application_name = ${applicationName} and datname = current_database()`;
  return new Map(rows.map((row) => [row.pid as number, cpuSeconds(row.pid as number)]));
}

// ---------------------------------------------------------------------------------------

async function consumerPerformance(topic: string): Promise<{ rate: number; fetchRate: number }> {
  const output = await new Deno.Command("java", {
    args: [
      "-Xmx512m",
      "-cp",
      new URL("../.cache/kafka/lib/*", import.meta.url).pathname,
      "org.apache.kafka.tools.ConsumerPerformance",
      "--bootstrap-server",
      BROKERS[0],
      "--topic",
      topic,
      "--num-records",
      String(EVENTS),
      "--timeout",
      "60000",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  const lines = text.trim().split("\n").filter((line) => line.includes(","));
  const header = lines.find((line) => line.includes("nMsg.sec"));
  const data = lines.at(-1);
  if (!header || !data || data === header) {
    throw new Error(
      `ConsumerPerformance printed no result: ${text}${new TextDecoder().decode(output.stderr)}`,
    );
  }
  const fields = Object.fromEntries(
    header.split(",").map((name, i) => [name.trim(), data.split(",")[i]?.trim()]),
  );
  return { rate: Number(fields["nMsg.sec"]), fetchRate: Number(fields["fetch.nMsg.sec"]) };
}

async function kafkajsParseOnly(topic: string, count: number): Promise<number> {
  const consumer = createKafka(BROKERS, { clientId: "bench-kafkajs" }).consumer({
    groupId: `bench-parse-${newId().slice(0, 8)}`,
    maxWaitTimeInMs: 100,
  });
  let seen = 0;
  let valid = 0;
  let startedAt = 0;
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const done = new Promise<number>((resolve) => {
    consumer.run({
      eachBatch: async ({ batch }) => {
        startedAt ||= performance.now();
        valid +=
          splitBatch(batch.messages as RawMessage[], latestEventTime(Date.now())).events.length;
        seen += batch.messages.length;
        if (seen >= count) resolve(performance.now() - startedAt);
        await Promise.resolve();
      },
    });
  });
  const ms = await done;
  await consumer.disconnect();
  if (valid < count) throw new Error(`kafkajs parsed ${valid} of ${count}`);
  return rate(seen, ms);
}

function platformaticConsumer(groupId: string) {
  return new PlatformaticConsumer({
    clientId: "bench-platformatic",
    bootstrapBrokers: BROKERS,
    groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    maxWaitTime: 100,
  });
}

function toRaw(message: PlatformaticMessage): RawMessage {
  return { offset: message.offset.toString(), key: message.key, value: message.value };
}

async function platformaticParseOnly(topic: string, count: number): Promise<number> {
  const consumer = platformaticConsumer(`bench-parse-${newId().slice(0, 8)}`);
  const stream = await consumer.consume({ topics: [topic], mode: "earliest", autocommit: false });
  let seen = 0;
  let valid = 0;
  let startedAt = 0;
  for await (const message of stream) {
    startedAt ||= performance.now();
    if (parseEventMessage(message.value).ok) valid++;
    if (++seen >= count) break;
  }
  const ms = performance.now() - startedAt;
  await stream.close();
  await consumer.close(true);
  if (valid !== count) throw new Error(`@platformatic/kafka parsed ${valid} of ${count}`);
  return rate(count, ms);
}

/**
 * The worker's pipeline (same commitBatch, per-partition batches, offsets committed
 * after the transaction) on @platformatic/kafka, until `count` offsets are stored.
 */
async function platformaticEndToEnd(
  topic: string,
  count: number,
): Promise<{ sustained: number; overall: number }> {
  const db = await freshDatabase("platformatic");
  const consumer = platformaticConsumer(`${topic}-platformatic-${newId().slice(0, 6)}`);
  let stopping = false;
  const progress = track(() => storedOffsets(db.sql), count, 600_000)
    .finally(() => stopping = true);
  const stream = await consumer.consume({ topics: [topic], mode: "earliest", autocommit: false });
  let pending: PlatformaticMessage[] = [];
  const flush = async () => {
    const byPartition = new Map<number, PlatformaticMessage[]>();
    for (const message of pending) {
      const list = byPartition.get(message.partition) ?? [];
      list.push(message);
      byPartition.set(message.partition, list);
    }
    pending = [];
    await Promise.all([...byPartition].map(async ([partition, messages]) => {
      const { events, rejects } = splitBatch(messages.map(toRaw), latestEventTime(Date.now()));
      const last = messages[messages.length - 1];
      await commitBatch(db.sql, {
        topic,
        partition,
        nextOffset: (last.offset + 1n).toString(),
        events,
        rejects,
        timeZone: "UTC",
      });
      await consumer.commit({
        offsets: [{ topic, partition, offset: last.offset + 1n, leaderEpoch: last.leaderEpoch }],
      });
    }));
  };
  for await (const message of stream) {
    pending.push(message);
    if (pending.length >= 6 * 1_000 || stream.readableLength === 0) await flush();
    if (stopping) break;
  }
  const result = await progress;
  await stream.close();
  await consumer.close(true);
  const report = await checkInvariant(db.sql);
  if (report.violations.length || report.events < count) {
    throw new Error(`@platformatic/kafka pipeline broke the invariant: ${report.events} events`);
  }
  return result;
}

/** Runs `count` worker processes (one consumer group) over the whole topic. */
async function workerRun(
  topic: string,
  count: number,
  events = EVENTS,
  quiet = false,
): Promise<{ sustained: number; overall: number }> {
  const db = await freshDatabase("worker");
  const children = Array.from({ length: count }, () =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        ...(WORKER_V8_FLAGS ? [`--v8-flags=${WORKER_V8_FLAGS}`] : []),
        new URL("../workers/ingest.ts", import.meta.url).pathname,
      ],
      env: { DATABASE_URL: db.url, KAFKA_BROKERS: BROKERS.join(","), KAFKA_TOPIC: topic },
      stdout: "null",
      stderr: "inherit",
    }).spawn());
  let peak = 0;
  // Postgres backends come and go (the pool may be replaced): keep each one's last reading.
  const backends = new Map<number, number>();
  const sampler = setInterval(() => {
    for (const child of children) peak = Math.max(peak, peakRssMb(child.pid) ?? 0);
    backendCpuSeconds(db.sql, "ecommerce-worker").then((now) => {
      for (const [pid, seconds] of now) backends.set(pid, seconds);
    }, () => {});
  }, 200);
  const label = count === 1 ? "1 worker" : `${count} worker processes`;
  try {
    const result = await track(() => storedOffsets(db.sql), events, 600_000);
    const report = await checkInvariant(db.sql);
    if (report.violations.length || report.events < events) {
      throw new Error(`Worker broke the invariant: ${report.events} events`);
    }
    if (quiet) return result;
    for (const child of children) peak = Math.max(peak, peakRssMb(child.pid) ?? 0);
    for (const [pid, seconds] of await backendCpuSeconds(db.sql, "ecommerce-worker")) {
      backends.set(pid, seconds);
    }
    const workerCpu = children.reduce((sum, child) => sum + cpuSeconds(child.pid), 0);
    const postgresCpu = [...backends.values()].reduce((a, b) => a + b, 0);
    record(
      `Topic → committed events + rollups, ${label} (kafkajs)`,
      `${fmt(result.sustained)} events/s`,
      `sustained between 10% and 90%; ${fmt(result.overall)} events/s overall including ` +
        `start-up and group join, ${(result.totalMs / 1000).toFixed(1)} s for ${fmt(EVENTS)}`,
    );
    record(
      `CPU per event, ${label}`,
      `worker ${(workerCpu * 1e6 / EVENTS).toFixed(1)} µs + Postgres ${
        (postgresCpu * 1e6 / EVENTS).toFixed(1)
      } µs`,
      `worker processes ${workerCpu.toFixed(1)} s, their Postgres backends ${
        postgresCpu.toFixed(1)
      } s of CPU`,
    );
    record(`Peak RSS per worker process, ${label}`, `${peak} MB`, "VmHWM");
    return result;
  } finally {
    clearInterval(sampler);
    for (const child of children) child.kill("SIGTERM");
    for (const child of children) await child.status;
    // The next run starts the same group from the beginning again.
    const admin = createKafka(BROKERS, { clientId: "bench-admin" }).admin();
    await admin.connect();
    await admin.deleteGroups([`${topic}-ingest`]).catch(() => {});
    await admin.disconnect();
  }
}

/** The original project's approach: one insert and one offset commit per event. */
async function naiveRun(): Promise<number> {
  const topic = await freshTopic("naive");
  await produceEvents(topic, NAIVE_EVENTS);
  const db = await freshDatabase("naive");
  const consumer = createKafka(BROKERS, { clientId: "bench-naive" }).consumer({
    groupId: `${topic}-naive`,
    maxWaitTimeInMs: 100,
  });
  let count = 0;
  let startedAt = 0;
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const done = new Promise<number>((resolve) => {
    consumer.run({
      autoCommitThreshold: 1,
      eachMessage: async ({ message }) => {
        startedAt ||= performance.now();
        const parsed = parseEventMessage(message.value);
        if (parsed.ok) {
          const prepared = await prepareEvents(db.sql, [parsed.value]);
          await storeEvents(db.sql, prepared.events, "UTC");
        }
        if (++count >= NAIVE_EVENTS) resolve(performance.now() - startedAt);
      },
    });
  });
  const ms = await done;
  await consumer.disconnect();
  const naive = rate(NAIVE_EVENTS, ms);
  record(
    "Naive consumer (insert + commit per event)",
    `${fmt(naive)} events/s`,
    `${fmt(NAIVE_EVENTS)} events, kafkajs eachMessage, autocommit after every message`,
  );
  return naive;
}

async function latencyRun(): Promise<void> {
  const topic = await freshTopic("latency");
  const db = await freshDatabase("latency");
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../workers/ingest.ts", import.meta.url).pathname],
    env: { DATABASE_URL: db.url, KAFKA_BROKERS: BROKERS.join(","), KAFKA_TOPIC: topic },
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  // Every event goes to partition 0, so the order of NOTIFYs is the order of sends:
  // the k-th event is delivered by the NOTIFY that brings the running count past k.
  const sentAt: number[] = [];
  const notified: number[] = [];
  let count = 0;
  const listener = await db.sql.listen(liveChannel(topic), (payload) => {
    const update = decodeLiveUpdate(payload);
    if (!update) return;
    const now = performance.now();
    count += update.d.reduce((sum, d) => sum + d[4], 0);
    while (notified.length < count) notified.push(now);
  });
  const producer = createKafka(BROKERS, { clientId: "bench-latency" }).producer();
  await producer.connect();
  try {
    // Wait for the worker to join: a first event, then its NOTIFY.
    await producer.send({
      topic,
      messages: [{ partition: 0, value: encodeEvent(randomEvent(0)) }],
    });
    const joinDeadline = Date.now() + 60_000;
    while (count < 1 && Date.now() < joinDeadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    sentAt.push(0);
    const perTick = LATENCY_RATE / 100; // a send every 10 ms
    const total = LATENCY_RATE * LATENCY_SECONDS;
    const start = performance.now();
    for (let tick = 0; sentAt.length - 1 < total; tick++) {
      const due = start + tick * 10;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const now = performance.now();
      const messages = Array.from({ length: perTick }, () => {
        sentAt.push(now);
        return { partition: 0, value: encodeEvent(randomEvent(0)) };
      });
      producer.send({ topic, acks: 1, messages }).catch((error) => log(String(error)));
    }
    const deadline = Date.now() + 30_000;
    while (notified.length < sentAt.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const elapsed = (performance.now() - start) / 1000;
    const latencies = sentAt.slice(1).map((t, i) => notified[i + 1] - t).sort((a, b) => a - b);
    const pick = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
    record(
      `Latency produce → NOTIFY at ${fmt(LATENCY_RATE)} events/s`,
      `p50 ${pick(0.5).toFixed(0)} ms, p99 ${pick(0.99).toFixed(0)} ms`,
      `${fmt(latencies.length)} events over ${elapsed.toFixed(1)} s, max ${
        latencies.at(-1)!.toFixed(0)
      } ms; one partition so order is exact`,
    );
  } finally {
    await producer.disconnect();
    await listener.unlisten();
    child.kill("SIGTERM");
    await child.status;
  }
}

// ---------------------------------------------------------------------------------------

const loadAverage = () => Deno.readTextFileSync("/proc/loadavg").split(" ")[0];
const loadAtStart = loadAverage();
try {
  log(`Brokers ${BROKERS.join(",")}, Postgres ${new URL(services.databaseUrl).host}`);
  const topic = await freshTopic("ingest");
  const produceStart = performance.now();
  await produceEvents(topic, EVENTS);
  record(
    "Pre-produce (kafkajs, batches of 10,000)",
    `${fmt(rate(EVENTS, performance.now() - produceStart))} events/s`,
    `${fmt(EVENTS)} events`,
  );
  if (!skip.has("ceiling")) {
    const runs = [];
    for (let i = 0; i < ROUNDS; i++) runs.push(await consumerPerformance(topic));
    record(
      "Kafka ConsumerPerformance (consume only, the ceiling)",
      `${fmt(Math.round(median(runs.map((r) => r.rate))))} msg/s`,
      `median of ${ROUNDS}; fetch-only ${
        fmt(Math.round(median(runs.map((r) => r.fetchRate))))
      } msg/s; ${fmt(EVENTS)} messages`,
    );
  }
  if (!skip.has("parse")) {
    // Alternating rounds, so a burst of load from elsewhere hits both clients alike.
    const kafkajs: number[] = [], platformatic: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      kafkajs.push(await kafkajsParseOnly(topic, COMPARE_EVENTS));
      platformatic.push(await platformaticParseOnly(topic, COMPARE_EVENTS));
    }
    record(
      "kafkajs consume + parse (no database)",
      `${fmt(median(kafkajs))} events/s`,
      `median of ${ROUNDS} (${kafkajs.map(fmt).join(", ")}), ${fmt(COMPARE_EVENTS)} messages`,
    );
    record(
      "@platformatic/kafka consume + parse (no database)",
      `${fmt(median(platformatic))} events/s`,
      `median of ${ROUNDS} (${platformatic.map(fmt).join(", ")}); ${
        (median(platformatic) / median(kafkajs)).toFixed(2)
      }× kafkajs`,
    );
  }
  const worker = await workerRun(topic, 1);
  if (WORKERS > 1) await workerRun(topic, WORKERS);
  let endToEnd: number | undefined;
  if (!skip.has("platformatic")) {
    const kafkajs: number[] = [], platformatic: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      kafkajs.push((await workerRun(topic, 1, COMPARE_EVENTS, true)).sustained);
      platformatic.push((await platformaticEndToEnd(topic, COMPARE_EVENTS)).sustained);
    }
    endToEnd = median(kafkajs);
    record(
      "End to end, the worker (kafkajs)",
      `${fmt(median(kafkajs))} events/s`,
      `median of ${ROUNDS} (${kafkajs.map(fmt).join(", ")}), ${fmt(COMPARE_EVENTS)} events, ` +
        "sustained, fresh database each",
    );
    record(
      "End to end, same pipeline on @platformatic/kafka",
      `${fmt(median(platformatic))} events/s`,
      `median of ${ROUNDS} (${platformatic.map(fmt).join(", ")}); ${
        (median(platformatic) / median(kafkajs)).toFixed(2)
      }× kafkajs (switch only at ≥ 1.5×)`,
    );
  }
  if (!skip.has("naive")) {
    const naive = await naiveRun();
    record(
      "Worker ÷ naive",
      `${(worker.sustained / naive).toFixed(1)}×`,
      `the ${fmt(EVENTS)}-event run's sustained rate; ${
        endToEnd ? `${(endToEnd / naive).toFixed(1)}× with the end-to-end median` : ""
      }`,
    );
  }
  if (!skip.has("latency")) await latencyRun();
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
}
record(
  "Machine load average (1 min) at start / end",
  `${loadAtStart} / ${loadAverage()}`,
  `${navigator.hardwareConcurrency} cores shared with the broker, Postgres and anything else running`,
);

console.log(`\n| Measurement | Result | Notes |\n|---|---|---|`);
for (const { name, value, note } of results) console.log(`| ${name} | ${value} | ${note ?? ""} |`);
