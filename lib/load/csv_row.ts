/**
 * The CSV row rules of the bulk importer (and of any reader of the dataset's file, like
 * the shop's replay): the header names the columns, in any order; each row becomes an
 * {@linkcode EcommerceEvent} or a precise rejection reason. Pure: no I/O.
 *
 * Rules (the contract of `deno task load`):
 * - The header is required. A UTF-8 BOM before it is ignored; names are trimmed and
 *   matched case-insensitively; all eight event columns must be present; extra columns
 *   are allowed and ignored; a column named twice is an error.
 * - A row whose field count differs from the header's is rejected.
 * - Whitespace around a field is ignored; `product`, `site_version` and `title` are
 *   case-insensitive; ids are 32 hex digits or a dashed UUID, any case; `company` means
 *   `electronics`; `target` is `0` or `1`.
 * - `time` is `YYYY-MM-DD HH:MM:SS` or ISO-8601 (optional fraction, `Z` or offset; no
 *   zone means UTC); impossible dates are rejected, and so are times later than the
 *   reader's {@linkcode TimeBound} (`ANALYTICS_MAX_FUTURE` ahead of its clock, one day
 *   by default): `time in the future "…"`. The original producer's `MM/DD/YYYY` form
 *   is not accepted in files.
 *
 * @module
 */
import { DATASET_WORDS, EVENT_FIELDS, normalizeEvent, PRODUCTS } from "../core/event.ts";
import type { EcommerceEvent, Product, SiteVersion, TimeBound, Title } from "../core/event.ts";
import type { Result } from "../core/result.ts";

/** One of the eight event columns. */
export type EventField = typeof EVENT_FIELDS[number];

/** A validated header: where each event column is, and how many fields a row must have. */
export interface CsvHeader {
  /** Zero-based position of each event column in a row. */
  indexes: Record<EventField, number>;
  /** The header's field count; every row must have exactly this many fields. */
  width: number;
  /** The header's names as given (BOM and surrounding whitespace removed). */
  names: string[];
}

const BOM = "\uFEFF";

/**
 * Validates a header row. Returns where each event column is, or why the header
 * cannot be used (no columns, a column named twice, required columns missing).
 */
export function parseCsvHeader(fields: readonly string[]): Result<CsvHeader> {
  const names = fields.map((field, i) => (i === 0 ? field.replace(BOM, "") : field).trim());
  if (names.length === 0 || (names.length === 1 && names[0] === "")) {
    return { ok: false, reason: "no header: the first line must name the columns" };
  }
  const positions = new Map<string, number>();
  for (const [i, name] of names.entries()) {
    const key = name.toLowerCase();
    if (key !== "" && positions.has(key)) {
      return { ok: false, reason: `duplicate column ${JSON.stringify(name)}` };
    }
    positions.set(key, i);
  }
  const missing = EVENT_FIELDS.filter((field) => !positions.has(field));
  if (missing.length > 0) {
    const list = missing.map((field) => JSON.stringify(field)).join(", ");
    return {
      ok: false,
      reason: `missing ${missing.length === 1 ? "column" : "columns"} ${list}: ` +
        `the header must name ${EVENT_FIELDS.join(",")} (any order)`,
    };
  }
  const indexes = Object.fromEntries(
    EVENT_FIELDS.map((field) => [field, positions.get(field)!]),
  ) as Record<EventField, number>;
  return { ok: true, value: { indexes, width: names.length, names } };
}

/**
 * Applies the row rules to a record keyed by column name (the eight event columns;
 * other keys are ignored): whitespace trimmed, enums case-insensitive, ids
 * normalized, times in the two accepted forms only and not after `bound`.
 */
export function parseCsvRecord(
  record: Record<string, string>,
  bound: TimeBound = {},
): Result<EcommerceEvent> {
  return normalizeEvent(record, { legacyTime: false, notAfter: bound.notAfter });
}

/**
 * Applies the row rules to a row as an array of fields in the header's order: first
 * the field count, then {@linkcode parseCsvRecord}.
 */
export function parseCsvFields(
  header: CsvHeader,
  fields: readonly string[],
  bound: TimeBound = {},
): Result<EcommerceEvent> {
  if (fields.length !== header.width) {
    return {
      ok: false,
      reason: `expected ${header.width} fields, got ${fields.length}`,
    };
  }
  const { indexes } = header;
  const fast = canonicalEvent(header, fields, bound.notAfter ?? Infinity);
  if (fast) return { ok: true, value: fast };
  return parseCsvRecord({
    order_id: fields[indexes.order_id],
    user_id: fields[indexes.user_id],
    page_id: fields[indexes.page_id],
    product: fields[indexes.product],
    site_version: fields[indexes.site_version],
    time: fields[indexes.time],
    title: fields[indexes.title],
    target: fields[indexes.target],
  }, bound);
}

/** True for a row that is blank (no fields, or one empty field): not a row at all. */
export function isBlankRow(fields: readonly string[]): boolean {
  return fields.length === 0 || (fields.length === 1 && fields[0].trim() === "");
}

const CANONICAL_PRODUCTS = new Map<string, Product>([
  ...PRODUCTS.map((product): [string, Product] => [product, product]),
  ...PRODUCTS.map((product): [string, Product] => [DATASET_WORDS[product], product]),
]);
const CANONICAL_SITES = new Set<string>(["desktop", "mobile"]);
const CANONICAL_TITLES = new Set<string>(["banner_show", "banner_click", "order"]);
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * The common case, checked without allocating: every field already in the dataset's
 * exact form (lower-case 32-hex ids and enums, `YYYY-MM-DD HH:MM:SS`, no padding).
 * Returns undefined for anything else (a time after `notAfter` included), which then
 * goes through the full rules; for what it accepts it returns exactly what they would
 * (the unit tests compare both).
 */
function canonicalEvent(
  header: CsvHeader,
  fields: readonly string[],
  notAfter: number,
): EcommerceEvent | undefined {
  const { indexes } = header;
  const orderId = fields[indexes.order_id];
  const userId = fields[indexes.user_id];
  const pageId = fields[indexes.page_id];
  if (!isHex32(orderId) || !isHex32(userId) || !isHex32(pageId)) return undefined;
  const product = CANONICAL_PRODUCTS.get(fields[indexes.product]);
  const site = fields[indexes.site_version];
  const title = fields[indexes.title];
  const target = fields[indexes.target];
  if (!product || !CANONICAL_SITES.has(site) || !CANONICAL_TITLES.has(title)) return undefined;
  if (target !== "0" && target !== "1") return undefined;
  const time = canonicalTime(fields[indexes.time], notAfter);
  if (!time) return undefined;
  return {
    order_id: orderId,
    user_id: userId,
    page_id: pageId,
    product,
    site_version: site as SiteVersion,
    time,
    title: title as Title,
    target: target === "1" ? 1 : 0,
  };
}

/**
 * `YYYY-MM-DD HH:MM:SS` of a possible date from 1970 and not after `notAfter` → ISO
 * UTC, else undefined.
 */
function canonicalTime(text: string, notAfter: number): string | undefined {
  if (text.length !== 19) return undefined;
  const digit = (i: number) => {
    const code = text.charCodeAt(i) - 48;
    return code >= 0 && code <= 9 ? code : NaN;
  };
  if (text[4] !== "-" || text[7] !== "-" || text[10] !== " ") return undefined;
  if (text[13] !== ":" || text[16] !== ":") return undefined;
  const year = digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3);
  const month = digit(5) * 10 + digit(6);
  const day = digit(8) * 10 + digit(9);
  const hour = digit(11) * 10 + digit(12);
  const minute = digit(14) * 10 + digit(15);
  const second = digit(17) * 10 + digit(18);
  if (!isPossibleTime(year, month, day, hour, minute, second)) return undefined;
  if (Date.UTC(year, month - 1, day, hour, minute, second) > notAfter) return undefined;
  return `${text.slice(0, 10)}T${text.slice(11)}.000Z`;
}

/**
 * True for a possible date and time of day from 1970 on (no 24:00, no 2019-02-29). NaN
 * in any part (a non-digit) fails every comparison, so it is false too.
 */
export function isPossibleTime(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): boolean {
  if (!(year >= 1970 && month >= 1 && month <= 12 && day >= 1)) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
  return day <= days && hour <= 23 && minute <= 59 && second <= 59;
}

/** 32 lower-case hex digits (a loop: the profile showed the regex as a hot spot). */
function isHex32(text: string): boolean {
  if (text.length !== 32) return false;
  for (let i = 0; i < 32; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}
