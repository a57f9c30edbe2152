/**
 * Events held for `COPY events … FROM STDIN` (text format) as bytes, plus their
 * per-minute counts. A bulk loader keeps a batch this way instead of ~10 small objects
 * per row, and the loader's fast path writes rows straight from the file's bytes
 * ({@linkcode CopyBatch.addCanonical}) without making a string per field.
 *
 * @module
 */
import {
  type EcommerceEvent,
  type Product,
  PRODUCTS,
  SITE_VERSIONS,
  TITLES,
} from "../core/event.ts";
import type { SiteVersion, Title } from "../core/event.ts";
import { MinuteCounts } from "./minute_counts.ts";

/**
 * Where one canonical row's fields are in a line of bytes, and what its enums are
 * (indexes into {@linkcode PRODUCTS}, {@linkcode SITE_VERSIONS} and
 * {@linkcode TITLES}). Filled by the reader of canonical lines.
 */
export interface CanonicalRow {
  /** The line's bytes (only the offsets below are read). */
  bytes: Uint8Array;
  /** Offsets of the 32 lower-case hex digits of each id. */
  orderAt: number;
  userAt: number;
  pageAt: number;
  /** Offset of `YYYY-MM-DD HH:MM:SS` (a valid UTC time). */
  timeAt: number;
  product: number;
  site: number;
  title: number;
  target: 0 | 1;
  /** Whole minutes since 1970-01-01T00:00Z of the time. */
  minute: number;
}

/** Bytes per buffer handed to the COPY stream: few, large socket writes. */
const CHUNK_BYTES = 256 * 1024;
/** More than the longest row (three ids, the longest enums, the time; ~170 bytes). */
const MAX_ROW_BYTES = 512;

const TAB = 9;
const NEWLINE = 10;
const encoder = new TextEncoder();
const PRODUCT_BYTES = PRODUCTS.map((word) => encoder.encode(word));
const SITE_BYTES = SITE_VERSIONS.map((word) => encoder.encode(word));
const TITLE_BYTES = TITLES.map((word) => encoder.encode(word));

/** Events in COPY's text format, in chunks of up to 256 KB, and their minute counts. */
export class CopyBatch {
  #chunks: Uint8Array[] = [];
  #buffer = new Uint8Array(CHUNK_BYTES);
  #used = 0;
  #size = 0;
  #counts = new MinuteCounts();
  /** The first 13 hex digits of each order_id, as numbers (see `mayShareOrderIds`). */
  #orderKeys = new Set<number>();

  /** Adds one event (already validated: its fields are ASCII without tabs or newlines). */
  add(event: EcommerceEvent): void {
    this.#makeRoom();
    const line =
      `${event.order_id}\t${event.user_id}\t${event.page_id}\t${event.product}\t${event.site_version}\t${event.time}\t${event.title}\t${event.target}\n`;
    const { written } = encoder.encodeInto(line, this.#buffer.subarray(this.#used));
    this.#used += written;
    this.#size++;
    this.#orderKeys.add(parseInt(event.order_id.slice(0, 13), 16));
    this.#counts.addEvent(event.time, event.product, event.site_version, event.title);
  }

  /**
   * Adds one row read in canonical form, copying its bytes: ids as they are (Postgres
   * reads 32 hex digits as a uuid), the time as `YYYY-MM-DDTHH:MM:SS.000Z`, the same
   * text {@linkcode add} writes for the equal event.
   */
  addCanonical(row: CanonicalRow): void {
    this.#makeRoom();
    const out = this.#buffer;
    const src = row.bytes;
    let at = this.#used;
    at = putId(out, at, src, row.orderAt);
    at = putId(out, at, src, row.userAt);
    at = putId(out, at, src, row.pageAt);
    at = putWord(out, at, PRODUCT_BYTES[row.product]);
    at = putWord(out, at, SITE_BYTES[row.site]);
    const time = row.timeAt;
    for (let i = 0; i < 10; i++) out[at + i] = src[time + i];
    out[at + 10] = 84; // T
    for (let i = 11; i < 19; i++) out[at + i] = src[time + i];
    out.set(ISO_TAIL, at + 19);
    at += 19 + ISO_TAIL.length;
    at = putWord(out, at, TITLE_BYTES[row.title]);
    out[at] = 48 + row.target;
    out[at + 1] = NEWLINE;
    this.#used = at + 2;
    this.#size++;
    this.#orderKeys.add(hexKey(src, row.orderAt));
    this.#counts.add(row.minute, row.product, row.site, row.title);
  }

  /** Events added. */
  get size(): number {
    return this.#size;
  }

  /** The COPY text, in chunks of up to 256 KB. */
  chunks(): Uint8Array[] {
    this.#seal();
    return this.#chunks;
  }

  /**
   * False when no event of this batch has an `order_id` of `other`; true when some
   * may (ids are compared by their first 13 hex digits, so rarely a true is false).
   * Two batches written at once must not share ids: otherwise the later one in the
   * file could commit first and win over the earlier.
   */
  mayShareOrderIds(other: CopyBatch): boolean {
    const [small, large] = this.#orderKeys.size <= other.#orderKeys.size
      ? [this.#orderKeys, other.#orderKeys]
      : [other.#orderKeys, this.#orderKeys];
    for (const key of small) if (large.has(key)) return true;
    return false;
  }

  /** Per-minute counts of the events (what their rollup rows are computed from). */
  get counts(): MinuteCounts {
    return this.#counts;
  }

  /** The events back, for `storeEvents` when the COPY met a duplicate. */
  events(): EcommerceEvent[] {
    const events: EcommerceEvent[] = [];
    const decoder = new TextDecoder();
    for (const chunk of this.chunks()) {
      for (const line of decoder.decode(chunk).split("\n")) {
        if (line === "") continue;
        const [order_id, user_id, page_id, product, site_version, time, title, target] = line
          .split("\t");
        events.push({
          order_id,
          user_id,
          page_id,
          product: product as Product,
          site_version: site_version as SiteVersion,
          time,
          title: title as Title,
          target: target === "1" ? 1 : 0,
        });
      }
    }
    return events;
  }

  #makeRoom(): void {
    if (this.#buffer.length - this.#used < MAX_ROW_BYTES) {
      this.#seal();
      this.#buffer = new Uint8Array(CHUNK_BYTES);
    }
  }

  #seal(): void {
    if (this.#used === 0) return;
    this.#chunks.push(this.#buffer.subarray(0, this.#used));
    this.#buffer = this.#buffer.subarray(this.#used);
    this.#used = 0;
  }
}

const ISO_TAIL = encoder.encode(".000Z\t");

/** The 13 hex digits at `at` as a number (exact: 52 bits). */
function hexKey(bytes: Uint8Array, at: number): number {
  let key = 0;
  for (let i = at; i < at + 13; i++) {
    const c = bytes[i];
    key = key * 16 + (c <= 57 ? c - 48 : c - 87);
  }
  return key;
}

function putId(out: Uint8Array, at: number, src: Uint8Array, from: number): number {
  for (let i = 0; i < 32; i++) out[at + i] = src[from + i];
  out[at + 32] = TAB;
  return at + 33;
}

function putWord(out: Uint8Array, at: number, word: Uint8Array): number {
  for (let i = 0; i < word.length; i++) out[at + i] = word[i];
  out[at + word.length] = TAB;
  return at + word.length + 1;
}
