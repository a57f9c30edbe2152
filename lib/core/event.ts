/**
 * The canonical ad-funnel event and the rules that turn a loosely formatted record
 * (our producer's JSON, the original project's format, a CSV row) into one. Pure: no
 * I/O. Every rejection carries a precise, human-readable reason.
 *
 * @module
 */
import type { Result } from "./result.ts";

/** Product categories (the dataset's `company` means `electronics`). */
export const PRODUCTS = [
  "accessories",
  "clothes",
  "electronics",
  "sneakers",
  "sports_nutrition",
] as const;
/** One of {@linkcode PRODUCTS}. */
export type Product = typeof PRODUCTS[number];

/** Site versions. */
export const SITE_VERSIONS = ["desktop", "mobile"] as const;
/** One of {@linkcode SITE_VERSIONS}. */
export type SiteVersion = typeof SITE_VERSIONS[number];

/** Event types, in funnel order. */
export const TITLES = ["banner_show", "banner_click", "order"] as const;
/** One of {@linkcode TITLES}. */
export type Title = typeof TITLES[number];

/** The event as it travels on the topic (JSON, key = `user_id`) and lands in `events`. */
export interface EcommerceEvent {
  /** Unique event id: 32 lower-case hex digits. */
  order_id: string;
  /** Visitor id: 32 lower-case hex digits. */
  user_id: string;
  /** Page id: 32 lower-case hex digits. */
  page_id: string;
  product: Product;
  site_version: SiteVersion;
  /** ISO-8601 in UTC with milliseconds (`2019-01-11T09:24:43.000Z`). */
  time: string;
  title: Title;
  /** 1 for orders in our shop; the dataset's own flag otherwise. */
  target: 0 | 1;
}

/** Field names of {@linkcode EcommerceEvent}, in the dataset's column order. */
export const EVENT_FIELDS = [
  "order_id",
  "user_id",
  "page_id",
  "product",
  "site_version",
  "time",
  "title",
  "target",
] as const;

/** Options for {@linkcode normalizeEvent}. */
export interface NormalizeOptions extends TimeBound {
  /** Accept the original project's `MM/DD/YYYY HH:MM:SS` time (messages do; CSV rows do not). */
  legacyTime?: boolean;
}

/**
 * The latest event time a reader accepts. Callers compute it from their clock
 * ({@linkcode latestEventTime}), so the rules stay pure and tests pin "now".
 */
export interface TimeBound {
  /**
   * Event times after this instant (ms since the epoch) are rejected as
   * `time in the future "…"`; unset, only the year 9999 bounds them.
   */
  notAfter?: number;
}

/**
 * How far ahead of the reader's clock an event time may be by default (one day):
 * clients' clocks drift and zones get mislabelled, but a date years ahead would top
 * the ticker forever and keep its minute rollup row from ever expiring.
 */
export const DEFAULT_MAX_FUTURE_MS = 24 * 60 * 60 * 1000;

/** The {@linkcode TimeBound} for a reader whose clock says `now`, allowing `maxFutureMs`. */
export function latestEventTime(now: number, maxFutureMs = DEFAULT_MAX_FUTURE_MS): TimeBound {
  return { notAfter: now + maxFutureMs };
}

/** The reason for an event time later than the reader's {@linkcode TimeBound}. */
export function futureTimeReason(value: unknown): string {
  return `time in the future ${quote(value)}`;
}

/** Largest message the worker accepts (bytes). */
export const MAX_MESSAGE_BYTES = 64 * 1024;

const HEX32 = /^[0-9a-f]{32}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Shortens a value for a rejection reason, so one huge field cannot bloat logs. */
export function quote(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}

/** Normalizes an id: 32 hex digits or a dashed UUID, any case → 32 lower-case hex. */
export function normalizeId(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const lower = value.trim().toLowerCase();
  if (HEX32.test(lower)) return lower;
  if (UUID.test(lower)) return lower.replaceAll("-", "");
  return undefined;
}

const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const LEGACY_TIME = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2}):(\d{2})$/;

/**
 * Parses `YYYY-MM-DD HH:MM:SS` or ISO-8601 (optional fraction, `Z` or offset; no zone
 * means UTC), and with `legacy` also `MM/DD/YYYY HH:MM:SS` (UTC). Returns the instant
 * as an ISO string in UTC, or undefined for anything else or an impossible date.
 */
export function normalizeTime(value: unknown, legacy = false): string | undefined {
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  let year: number, month: number, day: number, hour: number, minute: number, second: number;
  let millis = 0;
  let offsetMinutes = 0;
  const iso = ISO_TIME.exec(text);
  const old = iso ? null : legacy ? LEGACY_TIME.exec(text) : null;
  if (iso) {
    [year, month, day, hour, minute, second] = iso.slice(1, 7).map(Number);
    if (iso[7]) millis = Math.floor(Number(`0.${iso[7]}`) * 1000);
    const zone = iso[8];
    if (zone && zone.toUpperCase() !== "Z") {
      const sign = zone[0] === "-" ? -1 : 1;
      const digits = zone.slice(1).replace(":", "");
      const hours = Number(digits.slice(0, 2));
      const minutes = Number(digits.slice(2) || "0");
      if (hours > 23 || minutes > 59) return undefined;
      offsetMinutes = sign * (hours * 60 + minutes);
    }
  } else if (old) {
    [month, day, year, hour, minute, second] = old.slice(1, 7).map(Number);
  } else {
    return undefined;
  }
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) {
    return undefined;
  }
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC rolls Feb 30 over to March 2: a changed day means the date was impossible.
  if (new Date(utc).getUTCDate() !== day) return undefined;
  // The range applies to the instant: 9999-12-31T23:00-05:00 is in year 10000, which
  // toISOString writes as "+010000-…" and Postgres would refuse (a poison batch).
  const instant = new Date(utc - offsetMinutes * 60_000);
  if (instant.getUTCFullYear() < 1970 || instant.getUTCFullYear() > 9999) return undefined;
  return instant.toISOString();
}

function pickEnum<T extends string>(value: unknown, allowed: readonly T[]): T | undefined {
  if (typeof value !== "string") return undefined;
  const lower = value.trim().toLowerCase();
  return (allowed as readonly string[]).includes(lower) ? lower as T : undefined;
}

/** How the dataset (`product.csv`) writes each category: electronics as `company`. */
export const DATASET_WORDS: Readonly<Record<Product, string>> = {
  accessories: "accessories",
  clothes: "clothes",
  electronics: "company",
  sneakers: "sneakers",
  sports_nutrition: "sports_nutrition",
};

const DATASET_PRODUCTS = new Map<string, Product>(
  PRODUCTS.map((product) => [DATASET_WORDS[product], product]),
);

/** Normalizes a product name: the five categories, or the dataset's word for one. */
export function normalizeProduct(value: unknown): Product | undefined {
  if (typeof value !== "string") return undefined;
  return DATASET_PRODUCTS.get(value.trim().toLowerCase()) ?? pickEnum(value, PRODUCTS);
}

/** Normalizes `target`: 0 or 1, as a number or a string. */
export function normalizeTarget(value: unknown): 0 | 1 | undefined {
  if (value === 0 || value === 1) return value;
  if (typeof value === "string") {
    const text = value.trim();
    if (text === "0" || text === "1") return Number(text) as 0 | 1;
  }
  return undefined;
}

/**
 * Validates and normalizes a record with the event's fields (extra fields, like the
 * original producer's `date`, are ignored). Fields are checked in column order and the
 * first problem is reported.
 */
export function normalizeEvent(
  record: Record<string, unknown>,
  options: NormalizeOptions = {},
): Result<EcommerceEvent> {
  for (const field of EVENT_FIELDS) {
    const value = record[field];
    if (
      value === undefined || value === null || (typeof value === "string" && value.trim() === "")
    ) {
      return { ok: false, reason: `missing field "${field}"` };
    }
  }
  const ids: Record<string, string> = {};
  for (const field of ["order_id", "user_id", "page_id"] as const) {
    const id = normalizeId(record[field]);
    if (!id) return { ok: false, reason: `invalid ${field} ${quote(record[field])}` };
    ids[field] = id;
  }
  const product = normalizeProduct(record.product);
  if (!product) return { ok: false, reason: `unknown product ${quote(record.product)}` };
  const siteVersion = pickEnum(record.site_version, SITE_VERSIONS);
  if (!siteVersion) {
    return { ok: false, reason: `unknown site_version ${quote(record.site_version)}` };
  }
  const time = normalizeTime(record.time, options.legacyTime);
  if (!time) return { ok: false, reason: `invalid time ${quote(record.time)}` };
  if (options.notAfter !== undefined && Date.parse(time) > options.notAfter) {
    return { ok: false, reason: futureTimeReason(record.time) };
  }
  const title = pickEnum(record.title, TITLES);
  if (!title) return { ok: false, reason: `unknown title ${quote(record.title)}` };
  const target = normalizeTarget(record.target);
  if (target === undefined) return { ok: false, reason: `invalid target ${quote(record.target)}` };
  return {
    ok: true,
    value: {
      order_id: ids.order_id,
      user_id: ids.user_id,
      page_id: ids.page_id,
      product,
      site_version: siteVersion,
      time,
      title,
      target,
    },
  };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Parses one Kafka message value: size limit, UTF-8, JSON object, then
 * {@linkcode normalizeEvent} with the original project's formats accepted and
 * `bound`'s latest time.
 */
export function parseEventMessage(
  value: Uint8Array | string | null | undefined,
  bound: TimeBound = {},
): Result<EcommerceEvent> {
  if (value === null || value === undefined || value.length === 0) {
    return { ok: false, reason: "empty message" };
  }
  const size = typeof value === "string" ? new TextEncoder().encode(value).length : value.length;
  if (size > MAX_MESSAGE_BYTES) return { ok: false, reason: "message larger than 64 KiB" };
  let text: string;
  try {
    text = typeof value === "string" ? value : utf8.decode(value);
  } catch {
    return { ok: false, reason: "not UTF-8" };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, reason: "not JSON" };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return { ok: false, reason: "not a JSON object" };
  }
  return normalizeEvent(parsed as Record<string, unknown>, {
    legacyTime: true,
    notAfter: bound.notAfter,
  });
}

/** Serializes an event for the topic (the contract's JSON, UTF-8). */
export function encodeEvent(event: EcommerceEvent): string {
  return JSON.stringify(event);
}

/** A fresh random 32-hex id (for `order_id`, `user_id`). */
export function newId(): string {
  return crypto.randomUUID().replaceAll("-", "");
}
