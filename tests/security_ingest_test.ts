// Hardening of ingestion (issue 10, findings 2 and 8): no single Kafka message can stall
// or inflate it. Against the real broker and Postgres, each test with its own topic and
// database: megabyte messages on a topic whose max.message.bytes was raised, huge keys
// and headers, a DLQ that refuses even the bounded copy, compressed batches, and event
// times in the future, in the worker, the bulk loader and replay.
import assert, { deepEqual as assertEquals } from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { Producer, stringSerializers } from "@platformatic/kafka";
import { startIngestWorker } from "../workers/ingest.ts";
import { type IngestWorker } from "../lib/ingest/worker.ts";
import { checkInvariant } from "../lib/rollups/invariant.ts";
import { DLQ_HEADERS } from "../lib/ingest/dlq.ts";
import { createKafka, dlqTopic, ensureTopics } from "../lib/kafka/client.ts";
import { type EcommerceEvent, encodeEvent } from "../lib/core/event.ts";
import { migrate, type Migration, readMigrations } from "../lib/db/migrate.ts";
import { createEventProducer } from "../lib/shop/producer.ts";
import { replayFile } from "../lib/synth/replay.ts";
import { loadCsv } from "../lib/load/loader.ts";
import { createTestDatabase, createTestTopic, testServices } from "./support/services.ts";
import {
  createConfiguredTopic,
  eventCount,
  eventMessages,
  type ExactMessage,
  produce,
  produceExact,
  randomEvent,
  readDlq,
  spawnWorker,
  waitFor,
} from "./support/ingest.ts";
import { HEADER, readRejects, row, runLoadCli, tempDir } from "./support/load.ts";
import { TopicReader } from "./support/shop.ts";

const MiB = 1024 * 1024;
const KiB = 1024;
const PARTITIONS = [0, 1, 2, 3, 4, 5];
/** Generous: the machine is shared; the point is "stored", not how fast. */
const STORED_TIMEOUT_MS = 60_000;

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A value of `size` bytes that starts like an event (so its copy is recognizable). */
function bigValue(size: number, fill = 0x78): Uint8Array {
  const value = new Uint8Array(size).fill(fill);
  value.set(new TextEncoder().encode(`{"order_id":"${randomEvent().order_id}","filler":"`));
  return value;
}

/** `count` valid events on each of the six partitions, key = user_id. */
function validOnEveryPartition(
  count: number,
): { events: EcommerceEvent[]; messages: ExactMessage[] } {
  const events: EcommerceEvent[] = [];
  const messages: ExactMessage[] = [];
  for (const partition of PARTITIONS) {
    for (let i = 0; i < count; i++) {
      const event = randomEvent(60);
      events.push(event);
      messages.push({ partition, key: event.user_id, value: encodeEvent(event) });
    }
  }
  return { events, messages };
}

function worker(dbUrl: string, topic: { brokers: string[]; topic: string }, log?: string[]) {
  return startIngestWorker({
    databaseUrl: dbUrl,
    kafkaBrokers: topic.brokers,
    topic: topic.topic,
    mergeIntervalMs: 0,
    log: log ? (line) => log.push(line) : () => {},
  });
}

async function storedIds(sql: Parameters<typeof eventCount>[0]): Promise<Set<string>> {
  const rows = await sql`select replace(order_id::text, '-', '') as id from events`;
  return new Set(rows.map((r) => r.id as string));
}

async function committedOffsets(sql: Parameters<typeof eventCount>[0]): Promise<number> {
  const [row] = await sql`select coalesce(sum(next_offset), 0)::int8 as n from ingest_offsets`;
  return Number(row.n);
}

Deno.test({
  name: "1 MiB messages and huge keys or headers are rejected with bounded copies and stall no " +
    "partition, before and after a worker restart",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using db = await createTestDatabase("sec_poison");
    await using topic = await createConfiguredTopic("sec_poison", {
      topic: { "max.message.bytes": String(4 * MiB) },
    });
    const big = (partition: number) => ({
      partition,
      key: randomEvent().user_id,
      value: bigValue(MiB, 0x61 + partition),
      headers: { trace: `poison-${partition}` },
    });
    const hugeHeader = new Uint8Array(900 * KiB).fill(0x68);
    const hugeKey = new Uint8Array(900 * KiB).fill(0x6b);
    const toys = JSON.stringify({ ...randomEvent(), product: "toys" });
    // A valid event may carry a huge key and header: it is stored, they are not.
    const validButHeavy = randomEvent(60);
    const poison: ExactMessage[] = [
      big(0),
      big(1),
      { partition: 2, key: "k", value: toys, headers: { huge: hugeHeader, small: "kept" } },
      { partition: 3, key: hugeKey, value: "not json" },
      {
        partition: 4,
        key: hugeKey.subarray(0, 100 * KiB),
        value: encodeEvent(validButHeavy),
        headers: { huge: hugeHeader },
      },
      big(5),
    ];
    const first = validOnEveryPartition(30);
    const second = validOnEveryPartition(20);
    const again = PARTITIONS.map((p) => big(p));
    await produceExact(topic.brokers, topic.topic, [...poison, ...first.messages]);

    let running: IngestWorker | undefined = await worker(db.url, topic);
    try {
      const expected = new Set([...first.events, validButHeavy].map((e) => e.order_id));
      await waitFor(
        async () => (await eventCount(db.sql)) === expected.size,
        STORED_TIMEOUT_MS,
        "the valid events of every partition",
      );
      assertEquals(await storedIds(db.sql), expected);
      await waitFor(
        async () => (await committedOffsets(db.sql)) === poison.length + first.messages.length,
        STORED_TIMEOUT_MS,
        "every partition's offset past its poison",
      );

      // The restart: a new worker resumes after the committed offsets, and a second
      // round of poison on every partition stalls nothing either.
      await running.stop();
      running = undefined;
      await produceExact(topic.brokers, topic.topic, [...again, ...second.messages]);
      running = await worker(db.url, topic);
      for (const event of second.events) expected.add(event.order_id);
      await waitFor(
        async () => (await eventCount(db.sql)) === expected.size,
        STORED_TIMEOUT_MS,
        "the valid events produced after the restart",
      );
      assertEquals(await storedIds(db.sql), expected);
      const total = poison.length + first.messages.length + again.length + second.messages.length;
      await waitFor(
        async () => (await committedOffsets(db.sql)) === total,
        STORED_TIMEOUT_MS,
        "every offset after the restart",
      );
    } finally {
      await running?.stop();
    }
    assertEquals((await checkInvariant(db.sql)).violations, []);

    // Every reject is in rejected_events with its reason, size and hash, raw capped.
    const rows = await db.sql`
      select partition, reason, raw, size, sha256, dlq_error from rejected_events
      order by partition, "offset"`;
    assertEquals(rows.length, 5 + 6);
    for (const r of rows) {
      assertEquals(r.dlq_error, null);
      assert((r.raw as Uint8Array).length <= 64 * KiB);
    }
    const bigOnes = [...poison, ...again].filter((m) => m.value instanceof Uint8Array);
    const bigByHash = new Map(bigOnes.map((m) => [sha256(m.value as Uint8Array), m]));
    const large = rows.filter((r) => r.reason === "message larger than 64 KiB");
    assertEquals(large.length, 3 + 6);
    for (const r of large) {
      const original = bigByHash.get(r.sha256 as string);
      assert(original, "the hash is the whole produced value's");
      assertEquals(r.partition, original.partition);
      assertEquals(Number(r.size), MiB);
      assertEquals(
        new Uint8Array(r.raw as Uint8Array),
        (original.value as Uint8Array).subarray(0, 64 * KiB),
      );
    }
    const other = (p: number) => rows.find((r) => r.partition === p && !large.includes(r))!;
    assertEquals(other(2).reason, 'unknown product "toys"');
    assertEquals(new TextDecoder().decode(other(2).raw as Uint8Array), toys);
    assertEquals(other(2).sha256, sha256(new TextEncoder().encode(toys)));
    assertEquals(Number(other(2).size), toys.length);
    assertEquals(other(3).reason, "not JSON");
    assertEquals(Number(other(3).size), "not json".length);

    // The DLQ holds each reject's bounded copy with its headers.
    const dlq = await readDlq(topic.brokers, topic.topic, rows.length, STORED_TIMEOUT_MS);
    assertEquals(dlq.length, rows.length);
    for (const message of dlq) {
      const source = rows.find((r) =>
        String(r.partition) === message.headers[DLQ_HEADERS.partition] &&
        r.sha256 === message.headers[DLQ_HEADERS.sha256]
      );
      assert(source, `a DLQ message for ${JSON.stringify(message.headers)}`);
      assertEquals(message.headers[DLQ_HEADERS.reason], source.reason);
      assertEquals(message.headers[DLQ_HEADERS.size], String(source.size));
      assertEquals(new Uint8Array(message.value!), new Uint8Array(source.raw as Uint8Array));
      assertEquals(message.headers[DLQ_HEADERS.topic], topic.topic);
    }
    const dlqBig = dlq.filter((m) => m.headers[DLQ_HEADERS.size] === String(MiB));
    assertEquals(dlqBig.length, 9);
    for (const message of dlqBig) {
      assertEquals(message.value!.length, 64 * KiB);
      assertEquals(message.headers[DLQ_HEADERS.truncated], "value");
    }
    assert(dlqBig.some((m) => m.headers.trace === "poison-0"), "the original headers ride along");
    const withHeader = dlq.find((m) => m.headers[DLQ_HEADERS.reason] === 'unknown product "toys"')!;
    assertEquals(withHeader.headers[DLQ_HEADERS.truncated], "headers");
    assertEquals(withHeader.headers.huge.length, 1024);
    assertEquals(withHeader.headers.small, "kept");
    const withKey = dlq.find((m) => m.headers[DLQ_HEADERS.reason] === "not JSON")!;
    assertEquals(withKey.headers[DLQ_HEADERS.truncated], "key");
    assertEquals(withKey.key?.length, 1024);
    assertEquals(new Uint8Array(withKey.key!), hugeKey.subarray(0, 1024));
  },
});

Deno.test({
  name: "a reject whose bounded copy the DLQ refuses is recorded with the broker's reason and " +
    "skipped: its partition moves on and the other rejects still reach the DLQ",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using db = await createTestDatabase("sec_dlq_refuses");
    // A DLQ that takes a small reject's copy (about 300 bytes) but not a 64 KiB one.
    await using topic = await createConfiguredTopic("sec_dlq_refuses", {
      topic: { "max.message.bytes": String(4 * MiB) },
      dlq: { "max.message.bytes": "2048" },
    });
    const bigOnes = PARTITIONS.map((partition) => ({
      partition,
      key: randomEvent().user_id,
      value: bigValue(MiB),
    }));
    // On partition 0 the small reject shares the big one's batch and DLQ send.
    const small: ExactMessage = { partition: 0, key: "k", value: "{nope" };
    const valid = validOnEveryPartition(25);
    await produceExact(topic.brokers, topic.topic, [...bigOnes, small, ...valid.messages]);
    const log: string[] = [];
    const running = await worker(db.url, topic, log);
    try {
      await waitFor(
        async () => (await eventCount(db.sql)) === valid.events.length,
        STORED_TIMEOUT_MS,
        "the valid events behind the refused rejects",
      );
      assertEquals(await storedIds(db.sql), new Set(valid.events.map((e) => e.order_id)));
      await waitFor(
        async () => (await committedOffsets(db.sql)) === bigOnes.length + 1 + valid.messages.length,
        STORED_TIMEOUT_MS,
        "every partition's offset",
      );
      // The refusal is written after the batch commits: wait for all six.
      await waitFor(
        async () => {
          const [r] = await db.sql`select count(dlq_error)::int8 as n from rejected_events`;
          return Number(r.n) === 6;
        },
        STORED_TIMEOUT_MS,
        "the DLQ refusals recorded",
      );
    } finally {
      await running.stop();
    }
    const rows = await db.sql`
      select partition, reason, size, sha256, dlq_error from rejected_events
      order by partition, "offset"`;
    assertEquals(rows.length, 7);
    for (const r of rows.filter((r) => r.reason === "message larger than 64 KiB")) {
      assert(/^MESSAGE_TOO_LARGE: /.test(r.dlq_error as string), r.dlq_error as string);
      assertEquals(Number(r.size), MiB);
      assertEquals(r.sha256, sha256(bigOnes[r.partition as number].value));
    }
    const nope = rows.find((r) => r.reason === "not JSON")!;
    assertEquals(nope.dlq_error, null);
    // Only the small reject is on the DLQ; each refusal is logged once.
    const dlq = await readDlq(topic.brokers, topic.topic, 1);
    assertEquals(dlq.map((m) => new TextDecoder().decode(m.value!)), ["{nope"]);
    const refusals = log.filter((line) => line.includes("refused the reject"));
    assertEquals(refusals.length, 6, log.join("\n"));
    assert(refusals[0].includes(dlqTopic(topic.topic)));
    assert(refusals[0].includes("MESSAGE_TOO_LARGE"));
    assertEquals((await checkInvariant(db.sql)).violations, []);
  },
});

Deno.test({
  name: "the worker rejects event times later than now plus ANALYTICS_MAX_FUTURE as in the " +
    "future, to rejected_events and the DLQ",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using db = await createTestDatabase("sec_future");
    await using topic = await createTestTopic("sec_future");
    const now = Date.now();
    const at = (ms: number) => ({ ...randomEvent(), time: new Date(ms).toISOString() });
    const soon = at(now + 30 * 60_000);
    const past = at(now - 3 * 86_400_000);
    const later = at(now + 2 * 3_600_000);
    const farAway = { ...randomEvent(), time: "9999-12-31T23:59:59.000Z" };
    const legacy = { ...randomEvent(), time: "12/31/2999 00:00:00" };
    await produce(topic.brokers, topic.topic, [
      ...eventMessages([soon, past, later, farAway]),
      { key: legacy.user_id, value: JSON.stringify(legacy) },
    ]);
    // As `deno task worker` runs, so the variable goes through lib/process/config.ts.
    const log: string[] = [];
    const child = spawnWorker(db.url, topic.brokers, topic.topic, {
      env: { ANALYTICS_MAX_FUTURE: "1h" },
      log,
    });
    try {
      await waitFor(
        async () => (await committedOffsets(db.sql)) === 5,
        STORED_TIMEOUT_MS,
        "all five messages consumed",
      ).catch((error) => {
        throw new Error(`${error.message}; the worker logged:\n${log.join("\n")}`);
      });
    } finally {
      assertEquals(await child.terminate(), 0);
    }
    assertEquals(await storedIds(db.sql), new Set([soon.order_id, past.order_id]));
    const expected = [
      `time in the future "${later.time}"`,
      'time in the future "9999-12-31T23:59:59.000Z"',
      'time in the future "12/31/2999 00:00:00"',
    ].sort();
    const rows = await db.sql`select reason, kind from rejected_events`;
    assertEquals(rows.map((r) => r.reason as string).sort(), expected);
    assertEquals(new Set(rows.map((r) => r.kind)), new Set(["time in the future"]));
    const dlq = await readDlq(topic.brokers, topic.topic, 3);
    assertEquals(dlq.map((m) => m.headers[DLQ_HEADERS.reason]).sort(), expected);
    // Nothing of the future events reached the rollups or the ticker's newest time.
    const [newest] = await db.sql`select max(newest_event_time) as t from ingest_workers`;
    assert((newest.t as Date).getTime() <= now + 30 * 60_000 + 1_000);
    const [hourly] = await db.sql`select max(hour) as h from rollup_hourly`;
    assert((hourly.h as Date).getTime() <= now + 30 * 60_000);
    assertEquals((await checkInvariant(db.sql)).violations, []);
  },
});

/** `YYYY-MM-DD HH:MM:SS` (the dataset's form) of `ms`. */
function datasetTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

Deno.test("deno task load rejects rows dated after now plus ANALYTICS_MAX_FUTURE, with the reason in the rejects file", async () => {
  await using db = await createTestDatabase("sec_load_future");
  await using dir = await tempDir();
  const now = Date.now();
  const rows = [
    row(1, { time: datasetTime(now - 86_400_000) }),
    row(2, { time: datasetTime(now + 30 * 60_000) }),
    row(3, { time: datasetTime(now + 2 * 3_600_000) }),
    row(4, { time: "9999-12-31 23:59:59" }),
    // Not in the dataset's exact form: the full rules (not the byte fast path) judge it.
    row(5, { time: "9999-12-31T23:59:59Z", product: "Clothes" }),
  ];
  const path = await dir.write("future.csv", [HEADER, ...rows, ""].join("\n"));
  const result = await runLoadCli(db.url, [path], { ANALYTICS_MAX_FUTURE: "1h" });
  assertEquals(result.code, 0, result.stderr);
  assertEquals(
    (await readRejects(`${path}.rejects.csv`)).map(([line, reason]) => [line, reason]),
    [
      ["4", `time in the future "${datasetTime(now + 2 * 3_600_000)}"`],
      ["5", 'time in the future "9999-12-31 23:59:59"'],
      ["6", 'time in the future "9999-12-31T23:59:59Z"'],
    ],
  );
  const [{ n }] = await db.sql`select count(*)::int8 as n from events`;
  assertEquals(Number(n), 2);
  // A bad variable stops the loader before it reads anything, naming it.
  const bad = await runLoadCli(db.url, [path], { ANALYTICS_MAX_FUTURE: "soon" });
  assertEquals(bad.code, 1);
  assert(bad.stderr.includes('Invalid ANALYTICS_MAX_FUTURE: expected a duration like "1d"'));
});

Deno.test("loadCsv judges every row against one pinned bound, on the byte fast path too", async () => {
  await using db = await createTestDatabase("sec_load_bound");
  await using dir = await tempDir();
  const notAfter = Date.UTC(2019, 0, 11, 9, 24, 43);
  const times = ["2019-01-11 09:24:43", "2019-01-11 09:24:44", "2019-01-11 09:24:42"];
  const lines = times.map((time, i) => row(i + 1, { time }));
  const path = await dir.write("pinned.csv", [HEADER, ...lines].join("\n"));
  const summary = await loadCsv(db.sql, path, { timeZone: "UTC", notAfter });
  assertEquals([summary.loaded, summary.rejected], [2, 1]);
  assertEquals(await readRejects(`${path}.rejects.csv`), [
    ["3", 'time in the future "2019-01-11 09:24:44"', lines[1]],
  ]);
});

Deno.test({
  name: "replay refuses rows whose time, shifted or not, is later than now plus its maximum",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { kafkaBrokers } = await testServices();
    await using topic = await createTestTopic("sec_replay_future");
    await using dir = await tempDir();
    const producer = createEventProducer({ brokers: kafkaBrokers, topic: topic.topic });
    await using reader = await TopicReader.start(kafkaBrokers, topic.topic);
    try {
      const now = Date.now();
      // As read: one past row, one two hours ahead, one in 9999.
      const asRead = await dir.write(
        "as_read.csv",
        [
          HEADER,
          row(1, { time: datasetTime(now - 3_600_000) }),
          row(2, { time: datasetTime(now + 2 * 3_600_000) }),
          row(3, { time: "9999-12-31 23:59:59" }),
        ].join("\n"),
      );
      const lines: string[] = [];
      const first = await replayFile(asRead, producer, {
        speed: "max",
        shiftToNow: false,
        maxFutureMs: 3_600_000,
        log: (line) => lines.push(line),
      });
      assertEquals([first.rows, first.sent, first.rejected], [3, 1, 2]);
      assertEquals(lines, [
        `replay: line 3 rejected: time in the future "${datasetTime(now + 2 * 3_600_000)}"`,
        'replay: line 4 rejected: time in the future "9999-12-31 23:59:59"',
      ]);
      // Shifted so the first row is now: the data's spacing (0, 30 min, 3 h) moves the
      // last row three hours ahead, which the worker would refuse; replay refuses it.
      const shifted = await dir.write(
        "shifted.csv",
        [
          HEADER,
          row(11, { time: "2019-01-11 09:00:00" }),
          row(12, { time: "2019-01-11 09:30:00" }),
          row(13, { time: "2019-01-11 12:00:00" }),
        ].join("\n"),
      );
      lines.length = 0;
      const second = await replayFile(shifted, producer, {
        speed: "max",
        shiftToNow: true,
        maxFutureMs: 3_600_000,
        log: (line) => lines.push(line),
      });
      assertEquals([second.rows, second.sent, second.rejected], [3, 2, 1]);
      assert(/^replay: line 4 rejected: time in the future "\d{4}-/.test(lines[0]), lines[0]);
      assert(await producer.flush(10_000));
      await reader.waitFor("the replayed rows", (events) => events.length === 3);
      const sent = reader.events.map((e) => e.order_id).sort();
      const id = (i: number) => row(i).split(",")[0];
      assertEquals(sent, [id(1), id(11), id(12)].sort());
      for (const event of reader.events) assert(Date.parse(event.time) <= Date.now() + 3_600_000);
    } finally {
      await producer.close();
    }
  },
});

Deno.test("migration 008 turns raw stored as hex text back into bytes, describes and caps it", async () => {
  await using db = await createTestDatabase("sec_migrate", { migrated: false });
  const all = await readMigrations();
  await migrate(db.sql, all.filter((m: Migration) => m.version < 8));
  const small = new TextEncoder().encode('{"product":"toys"}');
  const large = bigValue(MiB);
  // What the worker wrote before 008: the text "\x<hex>" of the whole value, as bytes.
  const asText = (bytes: Uint8Array) =>
    new TextEncoder().encode(`\\x${Buffer.from(bytes).toString("hex")}`);
  await db.sql`
    insert into rejected_events (topic, partition, "offset", reason, raw) values
      ('t', 0, 1, 'unknown product "toys"', ${asText(small)}),
      ('t', 0, 2, 'message larger than 64 KiB', ${asText(large)}),
      ('t', 0, 3, 'empty message', null),
      ('t', 0, 4, 'not JSON', ${new TextEncoder().encode("\\xnot hex")})`;
  assertEquals(await migrate(db.sql), all.filter((m) => m.version >= 8).map((m) => m.name));
  const rows = await db.sql`
    select "offset", raw, size, sha256 from rejected_events order by "offset"`;
  assertEquals(new Uint8Array(rows[0].raw), small);
  assertEquals([Number(rows[0].size), rows[0].sha256], [small.length, sha256(small)]);
  assertEquals(new Uint8Array(rows[1].raw), large.subarray(0, 64 * KiB));
  assertEquals([Number(rows[1].size), rows[1].sha256], [MiB, sha256(large)]);
  assertEquals([rows[2].raw, Number(rows[2].size), rows[2].sha256], [null, 0, null]);
  // Bytes that are not such text are kept as they are.
  assertEquals(new TextDecoder().decode(rows[3].raw), "\\xnot hex");
  // From now on the table refuses an unbounded copy.
  await assert.rejects(
    () =>
      db.sql`insert into rejected_events (topic, partition, "offset", reason, raw, size)
        values ('t', 0, 5, 'x', ${large}, ${large.length})`,
    /rejected_events_raw_bounded/,
  );
});

Deno.test({
  name: "batches compressed with gzip, Snappy, LZ4 or ZSTD are ingested and stall nothing",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using db = await createTestDatabase("sec_codecs");
    await using topic = await createTestTopic("sec_codecs");
    // kafkajs itself can only write gzip: @platformatic/kafka writes the others, as a
    // Java or librdkafka producer with compression.type set would.
    const events: EcommerceEvent[] = [];
    for (const compression of ["gzip", "snappy", "lz4", "zstd"] as const) {
      const producer = new Producer({
        clientId: "sec-codecs",
        bootstrapBrokers: topic.brokers,
        serializers: stringSerializers,
        compression,
      });
      try {
        const batch = Array.from({ length: 50 }, () => randomEvent(60));
        events.push(...batch);
        await producer.send({
          messages: batch.map((event) => ({
            topic: topic.topic,
            key: event.user_id,
            value: encodeEvent(event),
          })),
        });
      } finally {
        await producer.close();
      }
    }
    // Behind them, uncompressed events from kafkajs: reached only if nothing stalls.
    const plain = Array.from({ length: 50 }, () => randomEvent(60));
    events.push(...plain);
    await produce(topic.brokers, topic.topic, eventMessages(plain));
    const running = await worker(db.url, topic);
    try {
      await waitFor(
        async () => (await eventCount(db.sql)) === events.length,
        STORED_TIMEOUT_MS,
        "the events of every compressed batch",
      );
    } finally {
      await running.stop();
    }
    assertEquals(await storedIds(db.sql), new Set(events.map((e) => e.order_id)));
    assertEquals((await db.sql`select count(*)::int8 as n from rejected_events`)[0].n, 0);
  },
});

Deno.test({
  name: "while the DLQ cannot take a reject the worker retries, heartbeating, and commits " +
    "nothing past it; once the DLQ is back the reject is sent and the partition moves on",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using db = await createTestDatabase("sec_dlq_transient");
    await using topic = await createTestTopic("sec_dlq_transient");
    const log: string[] = [];
    const running = await worker(db.url, topic, log);
    const admin = createKafka(topic.brokers, { clientId: "sec-test-admin" }).admin();
    await admin.connect();
    const committed = async () => {
      const [offsets] = await admin.fetchOffsets({
        groupId: running.groupId,
        topics: [topic.topic],
      });
      return offsets.partitions.find((p) => p.partition === 0)?.offset ?? "-1";
    };
    try {
      // A transient failure: the DLQ topic is gone (UNKNOWN_TOPIC_OR_PARTITION).
      await admin.deleteTopics({ topics: [dlqTopic(topic.topic)], timeout: 10_000 });
      await waitFor(
        async () => !(await admin.listTopics()).includes(dlqTopic(topic.topic)),
        STORED_TIMEOUT_MS,
        "the DLQ deleted",
      );
      const before = validOnEveryPartition(1);
      const after = validOnEveryPartition(1).messages.filter((m) => m.partition === 0);
      await produceExact(topic.brokers, topic.topic, [
        ...before.messages,
        { partition: 0, key: "k", value: "{nope" },
      ]);
      await waitFor(
        () => log.some((line) => line.includes(`rejects to ${dlqTopic(topic.topic)} failed`)),
        STORED_TIMEOUT_MS,
        "a failed DLQ send",
      );
      await produceExact(topic.brokers, topic.topic, after);
      // Some seconds of failing sends: nothing past the reject is committed, the next
      // message of its partition waits, and the reject is not written off.
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      assert(Number(await committed()) <= 1, `partition 0 committed at ${await committed()}`);
      const [pending] = await db.sql`select dlq_error from rejected_events`;
      assertEquals(pending.dlq_error, null);
      assert(!(await storedIds(db.sql)).has(JSON.parse(after[0].value as string).order_id));

      await ensureTopics(topic.brokers, topic.topic);
      await waitFor(
        async () => Number(await committed()) === 3,
        STORED_TIMEOUT_MS,
        "partition 0 committed past the reject and the event behind it",
      );
      const dlq = await readDlq(topic.brokers, topic.topic, 1);
      assertEquals(new TextDecoder().decode(dlq[0].value!), "{nope");
      assertEquals(await eventCount(db.sql), 6 + 1);
    } catch (error) {
      throw new Error(`${(error as Error).message}\nThe worker logged:\n${log.join("\n")}`, {
        cause: error,
      });
    } finally {
      await admin.disconnect();
      await running.stop();
    }
    // Heartbeats kept the worker in its group the whole time: it joined once.
    assertEquals(log.filter((line) => line.startsWith("Joined group")).length, 1, log.join("\n"));
    const [row] = await db.sql`select dlq_error from rejected_events`;
    assertEquals(row.dlq_error, null);
  },
});
