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
 *   zone means UTC); impossible dates are rejected. The original producer's
 *   `MM/DD/YYYY` form is not accepted in files.
 *
 * @module
 */
import { EVENT_FIELDS, normalizeEvent } from "./event.ts";
import type { EcommerceEvent, ParseResult } from "./event.ts";

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
export function parseCsvHeader(fields: readonly string[]): ParseResult<CsvHeader> {
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
 * normalized, times in the two accepted forms only.
 */
export function parseCsvRecord(record: Record<string, string>): ParseResult<EcommerceEvent> {
  return normalizeEvent(record, { legacyTime: false });
}

/**
 * Applies the row rules to a row as an array of fields in the header's order: first
 * the field count, then {@linkcode parseCsvRecord}.
 */
export function parseCsvFields(
  header: CsvHeader,
  fields: readonly string[],
): ParseResult<EcommerceEvent> {
  if (fields.length !== header.width) {
    return {
      ok: false,
      reason: `expected ${header.width} fields, got ${fields.length}`,
    };
  }
  const { indexes } = header;
  return parseCsvRecord({
    order_id: fields[indexes.order_id],
    user_id: fields[indexes.user_id],
    page_id: fields[indexes.page_id],
    product: fields[indexes.product],
    site_version: fields[indexes.site_version],
    time: fields[indexes.time],
    title: fields[indexes.title],
    target: fields[indexes.target],
  });
}

/** True for a row that is blank (no fields, or one empty field): not a row at all. */
export function isBlankRow(fields: readonly string[]): boolean {
  return fields.length === 0 || (fields.length === 1 && fields[0].trim() === "");
}
