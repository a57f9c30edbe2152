import assert, { deepEqual as assertEquals } from "node:assert/strict";
import { createHash } from "node:crypto";
import { startIngestWorker } from "../workers/ingest.ts";
import { checkInvariant } from "../lib/rollups/invariant.ts";
import { liveChannel } from "../lib/live/notify.ts";
import { decodeLiveUpdate } from "../lib/live/protocol.ts";
import { createTestDatabase, createTestTopic } from "./support/services.ts";
import { DLQ_HEADERS } from "../lib/ingest/dlq.ts";
import {
  eventCount,
  eventMessages,
  malformedMessage,
  produce,
  randomEvent,
  readDlq,
  type TestMessage,
  waitFor,
} from "./support/ingest.ts";

Deno.test({
  name: "worker stores produced events, keeps the invariant, NOTIFYs within a second and merges",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using db = await createTestDatabase("ingest_smoke");
    await using topic = await createTestTopic("ingest_smoke");
    const worker = await startIngestWorker({
      databaseUrl: db.url,
      kafkaBrokers: topic.brokers,
      topic: topic.topic,
      mergeIntervalMs: 300,
      log: () => {},
    });
    try {
      const updates: { at: number; n: number }[] = [];
      const listener = await db.sql.listen(liveChannel(topic.topic), (payload) => {
        const update = decodeLiveUpdate(payload);
        if (update) updates.push({ at: Date.now(), n: update.d.reduce((s, d) => s + d[4], 0) });
      });
      // A few minutes of events: the deltas fit one NOTIFY payload without truncation.
      const events = Array.from({ length: 2_000 }, () => randomEvent(1));
      await produce(topic.brokers, topic.topic, eventMessages(events));
      const producedAt = Date.now();
      await waitFor(async () => (await eventCount(db.sql)) === events.length, 20_000, "events");
      await waitFor(() => updates.reduce((s, u) => s + u.n, 0) === events.length, 5_000, "NOTIFY");
      // Measured from the end of the produce call (its connect and metadata round
      // trips are the producer's, not the worker's).
      const firstNotifyMs = updates[0].at - producedAt;
      assert(firstNotifyMs < 1_000, `the first NOTIFY came ${firstNotifyMs} ms after producing`);
      const report = await checkInvariant(db.sql);
      assertEquals(report.violations, []);
      assertEquals(report.events, events.length);
      assertEquals(report.totals.daily, events.length);
      assertEquals(report.totals.minute, events.length);
      // The worker's own periodic merge folds each key's partial rows into one.
      await waitFor(
        async () => {
          const [row] = await db.sql`select count(*)::int8 as rows,
          count(distinct (minute, product, site_version, title))::int8 as keys from rollup_minute`;
          return row.rows === row.keys;
        },
        5_000,
        "the worker's merge",
      );
      assertEquals((await checkInvariant(db.sql)).violations, []);
      const offsets = await db.sql`select sum(next_offset)::int8 as n from ingest_offsets`;
      assertEquals(offsets[0].n, events.length);
      await listener.unlisten();
    } finally {
      await worker.stop();
    }
    const [row] = await db.sql`select events_total, stopped_at from ingest_workers`;
    assertEquals(row.events_total, 2_000);
    assert(row.stopped_at !== null);
  },
});

Deno.test({
  name: "worker stores 100k events with 1% duplicates once and sends exactly the 1% malformed " +
    "to rejected_events and the DLQ with their reasons",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using db = await createTestDatabase("ingest_100k");
    await using topic = await createTestTopic("ingest_100k");
    const total = 100_000;
    const valid = Array.from({ length: total * 0.98 }, () => randomEvent(3 * 24 * 60));
    const messages: (TestMessage & { reason?: string })[] = eventMessages(valid);
    // Duplicates: the same event sent again (a producer retry), anywhere in the stream.
    for (let i = 0; i < total * 0.01; i++) messages.push(messages[(i * 97) % valid.length]);
    for (let i = 0; i < total * 0.01; i++) {
      const bad = malformedMessage(i);
      messages.push({ key: `bad-${i}`, value: bad.value, reason: bad.reason });
    }
    shuffle(messages);
    await produce(topic.brokers, topic.topic, messages, 2_000);
    const worker = await startIngestWorker({
      databaseUrl: db.url,
      kafkaBrokers: topic.brokers,
      topic: topic.topic,
      log: () => {},
    });
    try {
      await waitFor(
        async () => {
          const [row] = await db.sql`select coalesce(sum(next_offset), 0)::int8 as n
          from ingest_offsets`;
          return row.n === total;
        },
        90_000,
        "all offsets stored",
      );
    } finally {
      await worker.stop();
    }
    const report = await checkInvariant(db.sql);
    assertEquals(report.violations, []);
    assertEquals(report.events, valid.length);
    assertEquals(report.totals.daily, valid.length);
    assertEquals(report.totals.hourly, valid.length);

    const expected = messages.filter((m) => m.reason).map((m) => m.reason!).sort();
    const rejected = await db.sql`select reason, raw, size, sha256, dlq_error from rejected_events`;
    assertEquals(rejected.map((r) => r.reason as string).sort(), expected);
    const kinds = new Set(expected);
    assert(kinds.size >= 8, "several kinds of malformed messages");
    const dlq = await readDlq(topic.brokers, topic.topic, expected.length);
    assertEquals(dlq.map((m) => m.headers[DLQ_HEADERS.reason]).sort(), expected);
    // The DLQ keeps the original bytes, the first 64 KiB of them, with the whole value's
    // size and SHA-256: each one is a message we produced, cut only when it was longer.
    const produced = new Map(
      messages.filter((m) => m.reason).map((m) => {
        const bytes = typeof m.value === "string" ? new TextEncoder().encode(m.value) : m.value!;
        return [sha256(bytes), bytes];
      }),
    );
    let cut = 0;
    for (const message of dlq) {
      const original = produced.get(message.headers[DLQ_HEADERS.sha256]);
      assert(original, "the DLQ message's hash is one of a produced reject");
      assertEquals(message.headers[DLQ_HEADERS.size], String(original.length));
      assertEquals(new Uint8Array(message.value!), original.subarray(0, 64 * 1024));
      if (original.length > 64 * 1024) {
        cut++;
        assertEquals(message.value!.length, 64 * 1024);
        assertEquals(message.headers[DLQ_HEADERS.truncated], "value");
      } else {
        assertEquals(message.headers[DLQ_HEADERS.truncated], undefined);
      }
      assert(/^\d+$/.test(message.headers[DLQ_HEADERS.offset]));
    }
    assertEquals(cut, expected.filter((r) => r === "message larger than 64 KiB").length);
    assert(cut > 0, "some rejects were larger than 64 KiB");
    // rejected_events holds the same bounded copy, size and hash.
    for (const row of rejected) {
      const original = produced.get(row.sha256 as string);
      assert(original, "the row's hash is one of a produced reject");
      assertEquals(Number(row.size), original.length);
      assertEquals(new Uint8Array(row.raw as Uint8Array), original.subarray(0, 64 * 1024));
      assertEquals(row.dlq_error, null);
    }
    const stored = await db.sql`select count(*)::int8 as n from rejected_events
      where raw is not null`;
    assertEquals(stored[0].n, expected.length);
  },
});

Deno.test({
  name: "worker ingests the original project's producer format",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using db = await createTestDatabase("ingest_legacy");
    await using topic = await createTestTopic("ingest_legacy");
    // As the original producer sent it: dashed upper-case UUIDs, MM/DD/YYYY time, an
    // extra `date` field, `company` for electronics, target as a string.
    const now = new Date();
    const pad = (n: number) => String(n).padStart(2, "0");
    const legacyTime =
      `${pad(now.getUTCMonth() + 1)}/${pad(now.getUTCDate())}/${now.getUTCFullYear()} ` +
      `${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())}`;
    const dashed = () => crypto.randomUUID().toUpperCase();
    const records = Array.from({ length: 50 }, (_, i) => ({
      order_id: dashed(),
      user_id: dashed(),
      page_id: dashed(),
      product: i % 2 === 0 ? "company" : "sneakers",
      site_version: "mobile",
      time: legacyTime,
      date: legacyTime.slice(0, 10),
      title: "banner_show",
      target: "0",
    }));
    await produce(
      topic.brokers,
      topic.topic,
      records.map((r) => ({ key: r.user_id, value: JSON.stringify(r) })),
    );
    const worker = await startIngestWorker({
      databaseUrl: db.url,
      kafkaBrokers: topic.brokers,
      topic: topic.topic,
      log: () => {},
    });
    try {
      await waitFor(async () => (await eventCount(db.sql)) === records.length, 20_000, "events");
    } finally {
      await worker.stop();
    }
    const rows = await db.sql`
      select replace(order_id::text, '-', '') as order_id, product, event_time
      from events order by product`;
    assertEquals(rows.filter((r) => r.product === "electronics").length, 25);
    assertEquals(rows.filter((r) => r.product === "sneakers").length, 25);
    const ids = new Set(records.map((r) => r.order_id.replaceAll("-", "").toLowerCase()));
    for (const row of rows) {
      assert(ids.has(row.order_id));
      assertEquals(
        Math.floor((row.event_time as Date).getTime() / 1000),
        Math.floor(now.getTime() / 1000),
      );
    }
    assertEquals((await checkInvariant(db.sql)).violations, []);
    assertEquals((await db.sql`select count(*)::int8 as n from rejected_events`)[0].n, 0);
  },
});

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
}
