/**
 * `deno task bench:rejoin [--port 21000] [--runs 5] [--loops 3] [--kills 5] [--rate 300]
 * [--backlog 300000] [--env NAME=VALUE]…`: how fast a restarted ingest worker consumes again, and whether a
 * crash loop ends with every partition owned.
 *
 * A private broker (on `--port`, its controller on `port + 1`; default a free pair) and a
 * fresh database on the local Postgres; a producer in this process writes `--rate`
 * events/s spread over the 6 partitions for the whole run; the worker is the real
 * `workers/ingest.ts` subprocess. "Consuming" is read from Postgres: a partition
 * consumes when its stored `ingest_offsets.next_offset` moves past where it stood at
 * the kill (a SIGKILLed worker stores nothing more, so any move is the new worker's).
 *
 * - restart: per run, a worker that stopped cleanly (SIGTERM, it leaves the group) is
 *   replaced (the start-up floor); then a consuming worker is SIGKILLed and a new one
 *   started at once. Prints the seconds until the first and until all 6 partitions
 *   consume again, each run and the median.
 * - crash loop: per loop, the worker is SIGKILLed every 6–9 s (uniform) `--kills`
 *   times, a new one started at once each time, the last left running. Prints the
 *   longest stretch without any partition moving during the loop, the share of kill
 *   intervals in which all 6 partitions moved, and, after the last restart, the seconds
 *   until all 6 consume (or that they never did within 90 s) and the group's members.
 *
 * - stability: before all that, one worker stores a `--backlog` of events (default
 *   300,000) at full speed with both cores busy; a session too short for the machine
 *   shows as rebalances (its "Joined group" log line more than once).
 *
 * `--env NAME=VALUE` adds a variable to the workers' environment (e.g. to try another
 * `INGEST_SESSION_TIMEOUT`).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { readConfig } from "../lib/process/config.ts";
import { connect, dropDatabase, ensureDatabase, withDatabase } from "../lib/db/client.ts";
import { migrate } from "../lib/db/migrate.ts";
import { createKafka, ensureTopics, TOPIC_PARTITIONS } from "../lib/kafka/client.ts";
import { freePortPair } from "../lib/services/net.ts";
import { kafkaDataDir, startLocalKafka, stopLocalKafka } from "../lib/services/kafka_local.ts";
import { sleep } from "../lib/core/async.ts";
import {
  eventMessages,
  produce,
  randomEvent,
  spawnWorker,
  type WorkerProcess,
} from "../tests/support/ingest.ts";
import { encodeEvent } from "../lib/core/event.ts";
import { median } from "./shop_http.ts";

const args = parseArgs({
  options: {
    port: { type: "string" },
    runs: { type: "string", default: "5" },
    loops: { type: "string", default: "3" },
    kills: { type: "string", default: "5" },
    rate: { type: "string", default: "300" },
    backlog: { type: "string", default: "300000" },
    env: { type: "string", multiple: true, default: [] },
  },
});
const runs = Number(args.values.runs);
const loops = Number(args.values.loops);
const kills = Number(args.values.kills);
const rate = Number(args.values.rate);
const backlog = Number(args.values.backlog);
const workerEnv: Record<string, string> = {};
for (const pair of args.values.env) {
  const at = pair.indexOf("=");
  if (at <= 0) throw new Error(`--env wants NAME=VALUE, got "${pair}"`);
  workerEnv[pair.slice(0, at)] = pair.slice(at + 1);
}
for (const [name, value] of Object.entries({ runs, loops, kills, rate, backlog })) {
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} wants a whole number`);
}

const port = args.values.port ? Number(args.values.port) : await freePortPair();
const brokers = [`127.0.0.1:${port}`];
const topic = `bench_rejoin_${crypto.randomUUID().slice(0, 8)}`;
const databaseUrl = withDatabase(
  `postgres://${readConfig().postgresUser}@127.0.0.1:5432/postgres`,
  topic,
);
const seconds = (ms: number) => (ms / 1000).toFixed(1);
const log = (line: string) => console.log(line);

log(`Private broker on 127.0.0.1:${port}, database ${topic}, ${rate} events/s produced`);
const broker = await startLocalKafka({ port });
let producing = true;
let producer: Promise<void> | undefined;
let worker: WorkerProcess | undefined;
const sql = connect(databaseUrl, { applicationName: "bench-rejoin" });
try {
  await ensureDatabase(databaseUrl);
  await migrate(sql);
  await ensureTopics(brokers, topic);
  // A backlog first, stored at full speed (both cores busy): a session too short for this
  // machine shows here as rebalances ("Joined group" more than once).
  for (let at = 0; at < backlog; at += 50_000) {
    const count = Math.min(50_000, backlog - at);
    await produce(
      brokers,
      topic,
      eventMessages(Array.from({ length: count }, () => randomEvent())),
    );
  }
  producer = produceSteadily();

  /** Stored next offsets by partition (absent: nothing stored yet). */
  const offsets = async (): Promise<number[]> => {
    const rows = await sql`select partition, next_offset from ingest_offsets
      where topic = ${topic}`;
    const out = Array<number>(TOPIC_PARTITIONS).fill(-1);
    for (const row of rows) out[row.partition as number] = Number(row.next_offset);
    return out;
  };
  const storedTotal = async () => (await offsets()).reduce((a, b) => a + Math.max(0, b), 0);
  /** Milliseconds from `since` until `count` partitions moved past `base`, or null. */
  const untilMoved = async (base: number[], since: number, count: number, timeoutMs: number) => {
    while (Date.now() - since < timeoutMs) {
      const now = await offsets();
      if (now.filter((offset, p) => offset > base[p]).length >= count) return Date.now() - since;
      await sleep(50);
    }
    return null;
  };
  const spawn = () => spawnWorker(databaseUrl, brokers, topic, { env: workerEnv });
  /** Waits until every partition is consuming (all moved within 2 s, twice in a row). */
  const steady = async () => {
    for (let ok = 0; ok < 2;) {
      const base = await offsets();
      ok = (await untilMoved(base, Date.now(), TOPIC_PARTITIONS, 60_000)) === null ? 0 : ok + 1;
    }
  };

  const firstLog: string[] = [];
  const backlogStart = Date.now();
  worker = spawnWorker(databaseUrl, brokers, topic, { env: workerEnv, log: firstLog });
  await steady();
  while ((await storedTotal()) < backlog) await sleep(200);
  const backlogMs = Date.now() - backlogStart;
  const joins = firstLog.filter((line) => line.startsWith("Joined group")).length;
  log(
    `backlog: ${backlog} events stored in ${seconds(backlogMs)} s by one worker; group joins ` +
      `${joins} (1 = no rebalance); ${firstLog.find((l) => l.startsWith("Worker ")) ?? ""}`,
  );

  const clean: number[] = [];
  const first: number[] = [];
  const all: number[] = [];
  for (let run = 1; run <= runs; run++) {
    // Read after the exit: a SIGTERMed worker still stores its batch in flight.
    await worker.terminate();
    let base = await offsets();
    let start = Date.now();
    worker = spawn();
    const cleanAll = await untilMoved(base, start, TOPIC_PARTITIONS, 90_000);
    await steady();
    await sleep(1_000);
    start = Date.now();
    await worker.kill();
    worker = spawn();
    base = await offsets();
    const killFirst = await untilMoved(base, start, 1, 90_000);
    const killAll = await untilMoved(base, start, TOPIC_PARTITIONS, 90_000);
    log(
      `restart ${run}: after SIGTERM all 6 partitions in ${show(cleanAll)}; after SIGKILL ` +
        `first partition in ${show(killFirst)}, all 6 in ${show(killAll)}`,
    );
    if (cleanAll !== null) clean.push(cleanAll);
    if (killFirst !== null) first.push(killFirst);
    if (killAll !== null) all.push(killAll);
    await steady();
  }

  const stalls: number[] = [];
  const fullShares: number[] = [];
  const recovered: number[] = [];
  let neverRecovered = 0;
  for (let loop = 1; loop <= loops; loop++) {
    await steady();
    let longestStall = 0;
    let lastMove = Date.now();
    let full = 0;
    let base = await offsets();
    for (let kill = 1; kill <= kills; kill++) {
      const interval = 6_000 + Math.random() * 3_000;
      const intervalStart = Date.now();
      const before = await offsets();
      while (Date.now() - intervalStart < interval) {
        const now = await offsets();
        if (now.some((offset, p) => offset > base[p])) lastMove = Date.now();
        longestStall = Math.max(longestStall, Date.now() - lastMove);
        base = now;
        await sleep(100);
      }
      if ((await offsets()).every((offset, p) => offset > before[p])) full++;
      await worker.kill();
      worker = spawn();
      base = await offsets();
    }
    const start = Date.now();
    const final = await untilMoved(base, start, TOPIC_PARTITIONS, 90_000);
    longestStall = Math.max(longestStall, final ?? Date.now() - start);
    const members = await groupMembers(`${topic}-ingest`);
    log(
      `crash loop ${loop} (${kills} SIGKILLs every 6–9 s): longest stall ${
        seconds(longestStall)
      } s, ` +
        `all 6 partitions moved in ${full} of ${kills} intervals; after the last restart all 6 ` +
        `in ${show(final)}; group members now ${members}`,
    );
    stalls.push(longestStall);
    fullShares.push(full / kills);
    if (final === null) neverRecovered++;
    else recovered.push(final);
  }

  log("");
  log(`| figure | median | runs |`);
  log(`| --- | --- | --- |`);
  const row = (what: string, values: number[], of: number) =>
    log(
      `| ${what} | ${
        values.length ? seconds(median(values)) + " s" : "n/a"
      } | ${values.length}/${of} |`,
    );
  row("SIGTERM → restarted worker consuming all 6 partitions (start-up floor)", clean, runs);
  row("SIGKILL → restarted worker consuming its first partition", first, runs);
  row("SIGKILL → restarted worker consuming all 6 partitions", all, runs);
  row("crash loop: longest stretch with no partition moving", stalls, loops);
  row("crash loop: after the last restart, all 6 partitions consuming", recovered, loops);
  log(
    `| crash loop: kill intervals with all 6 partitions moving | ` +
      `${Math.round(median(fullShares) * 100)} % | ${loops} loops |`,
  );
  log(
    `| crash loops that did not end with all 6 partitions consuming within 90 s | ` +
      `${neverRecovered} | ${loops} loops |`,
  );
  log(
    `| rebalances while one worker stored a backlog of ${backlog} events at full speed | ` +
      `${joins - 1} | 1 |`,
  );
  log(`worker environment: ${JSON.stringify(workerEnv)}; load average ${Deno.loadavg().join(" ")}`);
} finally {
  producing = false;
  await worker?.kill();
  await producer?.catch(() => {});
  await sql.end({ timeout: 5 });
  await dropDatabase(databaseUrl).catch(() => {});
  await stopLocalKafka(broker);
  await Deno.remove(kafkaDataDir(port), { recursive: true }).catch(() => {});
}

function show(ms: number | null): string {
  return ms === null ? "never (90 s)" : `${seconds(ms)} s`;
}

/** Produces `rate` events/s in 20 sends a second until `producing` turns false. */
async function produceSteadily(): Promise<void> {
  const kafka = createKafka(brokers, { clientId: "bench-rejoin-producer", quiet: true });
  const client = kafka.producer();
  await client.connect();
  try {
    const perSend = Math.max(1, Math.round(rate / 20));
    while (producing) {
      const started = Date.now();
      const events = Array.from({ length: perSend }, () => randomEvent());
      await client.send({
        topic,
        acks: 1,
        messages: events.map((e) => ({ key: e.user_id, value: encodeEvent(e) })),
      });
      await sleep(Math.max(0, 50 - (Date.now() - started)));
    }
  } finally {
    await client.disconnect();
  }
}

/** Members of `groupId` as the coordinator sees them, with their partition counts. */
async function groupMembers(groupId: string): Promise<string> {
  const admin = createKafka(brokers, { clientId: "bench-rejoin-admin", quiet: true }).admin();
  await admin.connect();
  try {
    const [group] = (await admin.describeGroups([groupId])).groups;
    const counts = group.members.map((member) => {
      const buffer = member.memberAssignment;
      // ConsumerProtocol assignment v0: version, topic count, then topic and partitions.
      if (!buffer || buffer.length < 8) return 0;
      let at = 2;
      const topics = buffer.readInt32BE(at);
      at += 4;
      let partitions = 0;
      for (let t = 0; t < topics; t++) {
        at += 2 + buffer.readInt16BE(at);
        const n = buffer.readInt32BE(at);
        partitions += n;
        at += 4 + 4 * n;
      }
      return partitions;
    });
    return `${group.members.length} (${group.state}; partitions ${JSON.stringify(counts)})`;
  } finally {
    await admin.disconnect();
  }
}
