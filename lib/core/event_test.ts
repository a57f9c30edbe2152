import assert from "node:assert/strict";
import {
  DEFAULT_MAX_FUTURE_MS,
  type EcommerceEvent,
  encodeEvent,
  EVENT_FIELDS,
  latestEventTime,
  MAX_MESSAGE_BYTES,
  newId,
  normalizeEvent,
  normalizeId,
  normalizeProduct,
  normalizeTarget,
  normalizeTime,
  parseEventMessage,
  PRODUCTS,
  quote,
  SITE_VERSIONS,
  TITLES,
} from "./event.ts";

const HEX = "0123456789abcdef0123456789abcdef";
const VALID: EcommerceEvent = {
  order_id: "a".repeat(32),
  user_id: "b".repeat(32),
  page_id: "c".repeat(32),
  product: "sneakers",
  site_version: "mobile",
  time: "2019-01-11T09:24:43.000Z",
  title: "banner_click",
  target: 0,
};

function reasonOf(
  value: Parameters<typeof parseEventMessage>[0],
  bound: Parameters<typeof parseEventMessage>[1] = {},
): string {
  const result = parseEventMessage(value, bound);
  assert.equal(result.ok, false, `expected a rejection for ${String(value).slice(0, 80)}`);
  return (result as { reason: string }).reason;
}

function json(record: Record<string, unknown>): string {
  return JSON.stringify(record);
}

// ---- ids ----

Deno.test("normalizeId accepts 32 hex digits and dashed UUIDs in any case", () => {
  assert.equal(normalizeId(HEX), HEX);
  assert.equal(normalizeId(HEX.toUpperCase()), HEX);
  assert.equal(normalizeId("01234567-89AB-CDEF-0123-456789ABCDEF"), HEX);
  assert.equal(normalizeId(`  ${HEX}  `), HEX);
});

Deno.test("normalizeId rejects anything else", () => {
  for (
    const bad of [
      HEX.slice(1),
      `${HEX}0`,
      HEX.replace("a", "g"),
      "0123456789abcdef-0123456789abcdef",
      "{01234567-89ab-cdef-0123-456789abcdef}",
      "0123456789ab-cdef-0123-456789abcdef0",
      12345,
      null,
      undefined,
      {},
    ]
  ) {
    assert.equal(normalizeId(bad), undefined, String(bad));
  }
});

// ---- time ----

Deno.test("normalizeTime reads ISO-8601 and space-separated times; no zone means UTC", () => {
  const cases: [string, string][] = [
    ["2019-01-11T09:24:43Z", "2019-01-11T09:24:43.000Z"],
    ["2019-01-11T09:24:43z", "2019-01-11T09:24:43.000Z"],
    ["2019-01-11T09:24:43", "2019-01-11T09:24:43.000Z"],
    ["2019-01-11 09:24:43", "2019-01-11T09:24:43.000Z"],
    ["2019-01-11T09:24:43.5Z", "2019-01-11T09:24:43.500Z"],
    ["2019-01-11T09:24:43.123456789Z", "2019-01-11T09:24:43.123Z"],
    ["2019-01-11T09:24:43+05:30", "2019-01-11T03:54:43.000Z"],
    ["2019-01-11T09:24:43+0530", "2019-01-11T03:54:43.000Z"],
    ["2019-01-11T09:24:43+05", "2019-01-11T04:24:43.000Z"],
    ["2019-01-11T23:24:43-02:00", "2019-01-12T01:24:43.000Z"],
    ["  2019-01-11T09:24:43Z ", "2019-01-11T09:24:43.000Z"],
    ["2020-02-29 00:00:00", "2020-02-29T00:00:00.000Z"],
    ["1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000Z"],
    ["9999-12-31T23:59:59Z", "9999-12-31T23:59:59.000Z"],
  ];
  for (const [input, expected] of cases) assert.equal(normalizeTime(input), expected, input);
});

Deno.test("normalizeTime reads the original project's MM/DD/YYYY time only when asked", () => {
  assert.equal(normalizeTime("01/11/2019 09:24:43", true), "2019-01-11T09:24:43.000Z");
  assert.equal(normalizeTime("1/2/2019 3:04:05", true), "2019-01-02T03:04:05.000Z");
  assert.equal(normalizeTime("01/11/2019 09:24:43"), undefined);
  assert.equal(normalizeTime("13/11/2019 09:24:43", true), undefined);
  assert.equal(normalizeTime("02/30/2019 09:24:43", true), undefined);
});

Deno.test("normalizeTime rejects impossible and out-of-range times", () => {
  for (
    const bad of [
      "2019-13-45 25:00:00",
      "2019-00-10 10:00:00",
      "2019-02-29 00:00:00",
      "2019-04-31 00:00:00",
      "2019-01-00 00:00:00",
      "2019-01-11 24:00:00",
      "2019-01-11 23:60:00",
      "2019-01-11 23:59:60",
      "2019-01-11T09:24:43+24:00",
      "2019-01-11T09:24:43+05:60",
      "1969-12-31T23:59:59Z",
      "1970-01-01T00:30:00+01:00",
      // In year 10000 once the offset is applied.
      "9999-12-31T23:00:00-05:00",
      "2019-01-11",
      "09:24:43",
      "2019-1-11 09:24:43",
      "yesterday",
      "",
      1547198683000,
      null,
    ]
  ) {
    assert.equal(normalizeTime(bad, true), undefined, String(bad));
  }
});

// ---- enums ----

Deno.test("normalizeProduct accepts the five categories in any case and company as electronics", () => {
  for (const product of PRODUCTS) {
    assert.equal(normalizeProduct(product), product);
    assert.equal(normalizeProduct(` ${product.toUpperCase()} `), product);
  }
  assert.equal(normalizeProduct("company"), "electronics");
  assert.equal(normalizeProduct("Company"), "electronics");
  assert.equal(normalizeProduct("toys"), undefined);
  assert.equal(normalizeProduct(3), undefined);
});

Deno.test("normalizeTarget accepts 0 and 1 as numbers or strings only", () => {
  assert.equal(normalizeTarget(0), 0);
  assert.equal(normalizeTarget(1), 1);
  assert.equal(normalizeTarget("0"), 0);
  assert.equal(normalizeTarget(" 1 "), 1);
  for (const bad of [2, -1, 0.5, "yes", "01", true, false, "1.0"]) {
    assert.equal(normalizeTarget(bad), undefined, String(bad));
  }
});

// ---- whole events ----

Deno.test("normalizeEvent accepts our producer's JSON as is", () => {
  assert.deepEqual(normalizeEvent({ ...VALID }), { ok: true, value: VALID });
});

Deno.test("normalizeEvent accepts every product, site version and title", () => {
  for (const product of PRODUCTS) {
    for (const site_version of SITE_VERSIONS) {
      for (const title of TITLES) {
        const result = normalizeEvent({ ...VALID, product, site_version, title });
        assert.ok(result.ok);
        assert.deepEqual(result.value, { ...VALID, product, site_version, title });
      }
    }
  }
});

Deno.test("normalizeEvent normalizes the original project's format", () => {
  const result = normalizeEvent({
    order_id: "AAAAAAAA-AAAA-AAAA-AAAA-AAAAAAAAAAAA",
    user_id: "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
    page_id: "cccccccc-cccc-cccc-cccc-cccccccccccc",
    product: "company",
    site_version: "Mobile",
    time: "01/11/2019 09:24:43",
    date: "01/11/2019",
    title: "Banner_Click",
    target: "0",
  }, { legacyTime: true });
  assert.deepEqual(result, { ok: true, value: { ...VALID, product: "electronics" } });
});

Deno.test("normalizeEvent reports the first missing field, in column order", () => {
  assert.deepEqual(EVENT_FIELDS, [
    "order_id",
    "user_id",
    "page_id",
    "product",
    "site_version",
    "time",
    "title",
    "target",
  ]);
  for (const field of EVENT_FIELDS) {
    for (const empty of [undefined, null, "", "   "]) {
      const record: Record<string, unknown> = { ...VALID, [field]: empty };
      if (empty === undefined) delete record[field];
      assert.deepEqual(normalizeEvent(record), {
        ok: false,
        reason: `missing field "${field}"`,
      });
    }
  }
  assert.deepEqual(normalizeEvent({}), { ok: false, reason: 'missing field "order_id"' });
  // target 0 is a value, not a missing field.
  assert.ok(normalizeEvent({ ...VALID, target: 0 }).ok);
});

Deno.test("normalizeEvent gives a precise reason for each invalid field", () => {
  const cases: [Partial<Record<keyof EcommerceEvent, unknown>>, string][] = [
    [{ order_id: "xyz" }, 'invalid order_id "xyz"'],
    [{ user_id: 42 }, 'invalid user_id "42"'],
    [{ page_id: HEX.slice(2) }, `invalid page_id "${HEX.slice(2)}"`],
    [{ product: "toys" }, 'unknown product "toys"'],
    [{ site_version: "tablet" }, 'unknown site_version "tablet"'],
    [{ time: "2019-13-45 25:00:00" }, 'invalid time "2019-13-45 25:00:00"'],
    [{ title: "refund" }, 'unknown title "refund"'],
    [{ target: 7 }, 'invalid target "7"'],
    [{ target: true }, 'invalid target "true"'],
  ];
  for (const [change, reason] of cases) {
    assert.deepEqual(normalizeEvent({ ...VALID, ...change }), { ok: false, reason });
  }
});

Deno.test("normalizeEvent rejects the legacy time unless legacyTime is set", () => {
  const record = { ...VALID, time: "01/11/2019 09:24:43" };
  assert.deepEqual(normalizeEvent(record), {
    ok: false,
    reason: 'invalid time "01/11/2019 09:24:43"',
  });
  assert.ok(normalizeEvent(record, { legacyTime: true }).ok);
});

Deno.test("quote shortens long values so one field cannot bloat a reason", () => {
  assert.equal(quote("toys"), '"toys"');
  assert.equal(quote(12), '"12"');
  const long = quote("x".repeat(500));
  assert.equal(long, JSON.stringify(`${"x".repeat(77)}...`));
  assert.deepEqual(normalizeEvent({ ...VALID, product: "y".repeat(1000) }), {
    ok: false,
    reason: `unknown product ${JSON.stringify(`${"y".repeat(77)}...`)}`,
  });
});

Deno.test("normalizeEvent rejects a time after its bound as in the future, quoting it", () => {
  const now = Date.parse("2019-01-10T09:24:43.000Z");
  const bound = latestEventTime(now);
  assert.deepEqual(bound, { notAfter: now + DEFAULT_MAX_FUTURE_MS });
  assert.equal(DEFAULT_MAX_FUTURE_MS, 86_400_000);
  // VALID is exactly one day after `now`: the bound itself is accepted.
  assert.deepEqual(normalizeEvent({ ...VALID }, bound), { ok: true, value: VALID });
  for (
    const time of [
      "2019-01-11T09:24:43.001Z",
      "2019-01-11 09:24:44",
      "2019-01-11T10:24:43+00:59",
      "9999-12-31 23:59:59",
    ]
  ) {
    assert.deepEqual(normalizeEvent({ ...VALID, time }, bound), {
      ok: false,
      reason: `time in the future "${time}"`,
    }, time);
  }
  // An offset moves the instant: 10:24:43+01:00 is exactly the bound.
  assert.ok(normalizeEvent({ ...VALID, time: "2019-01-11T10:24:43+01:00" }, bound).ok);
  // The original format is judged by its instant too, and the rule is checked after
  // the time's own validity (an impossible date stays "invalid time").
  const legacy = { ...VALID, time: "01/12/2019 00:00:00" };
  assert.deepEqual(normalizeEvent(legacy, { ...bound, legacyTime: true }), {
    ok: false,
    reason: 'time in the future "01/12/2019 00:00:00"',
  });
  assert.deepEqual(normalizeEvent({ ...VALID, time: "9999-12-32 00:00:00" }, bound), {
    ok: false,
    reason: 'invalid time "9999-12-32 00:00:00"',
  });
  // A bound of "now" (ANALYTICS_MAX_FUTURE=0m) takes the present and the past only.
  assert.ok(normalizeEvent({ ...VALID }, latestEventTime(Date.parse(VALID.time), 0)).ok);
  assert.equal(normalizeEvent({ ...VALID }, latestEventTime(now, 0)).ok, false);
  // No bound: the rules alone (year 9999 at most).
  assert.ok(normalizeEvent({ ...VALID, time: "9999-12-31 23:59:59" }).ok);
});

// ---- messages ----

Deno.test("parseEventMessage accepts bytes and strings of our JSON and the original format", () => {
  const bytes = new TextEncoder().encode(encodeEvent(VALID));
  assert.deepEqual(parseEventMessage(bytes), { ok: true, value: VALID });
  assert.deepEqual(parseEventMessage(encodeEvent(VALID)), { ok: true, value: VALID });
  const legacy = json({ ...VALID, time: "01/11/2019 09:24:43", date: "01/11/2019" });
  assert.deepEqual(parseEventMessage(legacy), { ok: true, value: VALID });
  // A UTF-8 byte order mark is not part of the text.
  const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes]);
  assert.deepEqual(parseEventMessage(bom), { ok: true, value: VALID });
});

Deno.test("parseEventMessage rejects empty messages", () => {
  assert.equal(reasonOf(null), "empty message");
  assert.equal(reasonOf(undefined), "empty message");
  assert.equal(reasonOf(new Uint8Array()), "empty message");
  assert.equal(reasonOf(""), "empty message");
});

Deno.test("parseEventMessage rejects messages larger than 64 KiB, counting bytes", () => {
  const base = encodeEvent(VALID);
  const pad = (bytes: number) => json({ ...VALID, pad: "x".repeat(bytes - base.length - 9) });
  const exactly = pad(MAX_MESSAGE_BYTES);
  assert.equal(new TextEncoder().encode(exactly).length, MAX_MESSAGE_BYTES);
  assert.ok(parseEventMessage(exactly).ok);
  assert.equal(reasonOf(pad(MAX_MESSAGE_BYTES + 1)), "message larger than 64 KiB");
  // Multi-byte characters count as their UTF-8 bytes, not as string length.
  const wide = json({ ...VALID, pad: "é".repeat(MAX_MESSAGE_BYTES / 2) });
  assert.ok(wide.length < MAX_MESSAGE_BYTES * 1.1);
  assert.equal(reasonOf(wide), "message larger than 64 KiB");
  assert.equal(
    reasonOf(new Uint8Array(MAX_MESSAGE_BYTES + 1).fill(0x20)),
    "message larger than 64 KiB",
  );
});

Deno.test("parseEventMessage rejects bytes that are not UTF-8", () => {
  assert.equal(reasonOf(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), "not UTF-8");
  assert.equal(reasonOf(new Uint8Array([0x7b, 0xc3])), "not UTF-8");
});

Deno.test("parseEventMessage rejects text that is not JSON", () => {
  for (const bad of ["{", "hello", "{'order_id': 1}", `${encodeEvent(VALID)} trailing`, "\u0000"]) {
    assert.equal(reasonOf(bad), "not JSON", bad);
  }
});

Deno.test("parseEventMessage rejects JSON that is not an object", () => {
  for (const bad of ["null", "[]", "[1, 2]", "42", '"text"', "true"]) {
    assert.equal(reasonOf(bad), "not a JSON object", bad);
  }
});

Deno.test("parseEventMessage passes field problems through with their reason", () => {
  assert.equal(reasonOf(json({ ...VALID, product: "toys" })), 'unknown product "toys"');
  const { user_id: _, ...noUser } = VALID;
  assert.equal(reasonOf(json(noUser)), 'missing field "user_id"');
  assert.equal(
    reasonOf(json({ ...VALID, time: "2019-13-45 25:00:00" })),
    'invalid time "2019-13-45 25:00:00"',
  );
});

Deno.test("parseEventMessage applies its time bound to our JSON and the original format", () => {
  const bound = { notAfter: Date.parse(VALID.time) - 1 };
  assert.equal(reasonOf(encodeEvent(VALID), bound), `time in the future "${VALID.time}"`);
  const legacy = json({ ...VALID, time: "01/11/2019 09:24:43" });
  assert.equal(reasonOf(legacy, bound), 'time in the future "01/11/2019 09:24:43"');
  assert.deepEqual(parseEventMessage(encodeEvent(VALID), { notAfter: Date.parse(VALID.time) }), {
    ok: true,
    value: VALID,
  });
});

Deno.test("encodeEvent round-trips through parseEventMessage, and newId makes fresh ids", () => {
  const ids = new Set(Array.from({ length: 1000 }, () => newId()));
  assert.equal(ids.size, 1000);
  for (const id of ids) assert.match(id, /^[0-9a-f]{32}$/);
  const event = { ...VALID, order_id: newId(), user_id: newId(), page_id: newId() };
  assert.deepEqual(parseEventMessage(encodeEvent(event)), { ok: true, value: event });
});
