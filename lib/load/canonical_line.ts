/**
 * The bulk loader's fast path: reads a line of bytes that is already in the dataset's
 * exact form (lower-case 32-hex ids and enum words, `YYYY-MM-DD HH:MM:SS`, no padding,
 * no quotes) without decoding it or making a string per field. Anything else is left
 * to the full row rules ({@linkcode parseCsvFields}), which give the same event for
 * every line this accepts (the unit tests compare both) and the reason for the rest.
 *
 * @module
 */
import type { CanonicalRow } from "../rollups/copy_batch.ts";
import { type CsvHeader, isPossibleTime } from "./csv_row.ts";
import { DATASET_WORDS, PRODUCTS, SITE_VERSIONS, type TimeBound, TITLES } from "../core/event.ts";

const COMMA = 44;
const encoder = new TextEncoder();
/** The dataset's words, as bytes, with the index of what they mean. */
const PRODUCT_WORDS: [Uint8Array, number][] = [
  ...PRODUCTS.map((word, i): [Uint8Array, number] => [encoder.encode(word), i]),
  ...PRODUCTS.filter((product) => DATASET_WORDS[product] !== product)
    .map((product): [Uint8Array, number] => [
      encoder.encode(DATASET_WORDS[product]),
      PRODUCTS.indexOf(product),
    ]),
];
const SITE_WORDS = SITE_VERSIONS.map((word, i): [Uint8Array, number] => [encoder.encode(word), i]);
const TITLE_WORDS = TITLES.map((word, i): [Uint8Array, number] => [encoder.encode(word), i]);

/** Reads canonical lines of one file (its header fixes where each column is). */
export class CanonicalLineReader {
  /** The last row read; valid until the next {@linkcode read}. */
  readonly row: CanonicalRow = {
    bytes: new Uint8Array(0),
    orderAt: 0,
    userAt: 0,
    pageAt: 0,
    timeAt: 0,
    product: 0,
    site: 0,
    title: 0,
    target: 0,
    minute: 0,
  };
  readonly #width: number;
  readonly #header: CsvHeader["indexes"];
  /** Start of each field, plus one past the end of the line (as if a comma followed). */
  readonly #starts: Int32Array;
  /** The latest time taken, in ms since the epoch; later rows go to the full rules. */
  readonly #notAfter: number;

  /** `bound` must be the one the full rules get, so both take the same rows. */
  constructor(header: CsvHeader, bound: TimeBound = {}) {
    this.#width = header.width;
    this.#header = header.indexes;
    this.#starts = new Int32Array(header.width + 1);
    this.#notAfter = bound.notAfter ?? Infinity;
  }

  /**
   * True when `bytes[start, end)` (one line, its line end removed) is a canonical row;
   * {@linkcode row} then describes it. False means "use the full rules", not "invalid".
   */
  read(bytes: Uint8Array, start: number, end: number): boolean {
    const starts = this.#starts;
    const width = this.#width;
    let field = 0;
    starts[0] = start;
    for (let i = start; i < end; i++) {
      if (bytes[i] === COMMA) {
        if (++field === width) return false;
        starts[field] = i + 1;
      }
    }
    if (field !== width - 1) return false;
    starts[width] = end + 1;
    const columns = this.#header;
    const row = this.row;
    const id = (column: number) => {
      const at = starts[column];
      return starts[column + 1] - 1 - at === 32 && isHex32(bytes, at) ? at : -1;
    };
    const word = (column: number, words: [Uint8Array, number][]) =>
      matchWord(bytes, starts[column], starts[column + 1] - 1, words);
    row.orderAt = id(columns.order_id);
    row.userAt = id(columns.user_id);
    row.pageAt = id(columns.page_id);
    if (row.orderAt < 0 || row.userAt < 0 || row.pageAt < 0) return false;
    row.product = word(columns.product, PRODUCT_WORDS);
    row.site = word(columns.site_version, SITE_WORDS);
    row.title = word(columns.title, TITLE_WORDS);
    if (row.product < 0 || row.site < 0 || row.title < 0) return false;
    const target = starts[columns.target];
    if (starts[columns.target + 1] - 1 - target !== 1) return false;
    const flag = bytes[target] - 48;
    if (flag !== 0 && flag !== 1) return false;
    row.target = flag;
    const time = starts[columns.time];
    if (starts[columns.time + 1] - 1 - time !== 19) return false;
    const minute = canonicalMinute(bytes, time, this.#notAfter);
    if (minute < 0) return false;
    row.timeAt = time;
    row.minute = minute;
    row.bytes = bytes;
    return true;
  }
}

/** 32 lower-case hex digits at `at`. */
function isHex32(bytes: Uint8Array, at: number): boolean {
  for (let i = at; i < at + 32; i++) {
    const c = bytes[i];
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** The meaning of the word in `bytes[start, end)`, or -1. */
function matchWord(
  bytes: Uint8Array,
  start: number,
  end: number,
  words: [Uint8Array, number][],
): number {
  const length = end - start;
  next: for (const [word, meaning] of words) {
    if (word.length !== length) continue;
    for (let i = 0; i < length; i++) {
      if (bytes[start + i] !== word[i]) continue next;
    }
    return meaning;
  }
  return -1;
}

/**
 * `YYYY-MM-DD HH:MM:SS` at `at` (19 bytes), a possible UTC time from 1970 and not
 * after `notAfter` → whole minutes since the epoch; -1 for anything else (the same
 * dates the full rules accept in this form).
 */
function canonicalMinute(bytes: Uint8Array, at: number, notAfter: number): number {
  const digit = (i: number) => {
    const code = bytes[at + i] - 48;
    return code >= 0 && code <= 9 ? code : NaN;
  };
  if (bytes[at + 4] !== 45 || bytes[at + 7] !== 45 || bytes[at + 10] !== 32) return -1;
  if (bytes[at + 13] !== 58 || bytes[at + 16] !== 58) return -1;
  const year = digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3);
  const month = digit(5) * 10 + digit(6);
  const day = digit(8) * 10 + digit(9);
  const hour = digit(11) * 10 + digit(12);
  const minute = digit(14) * 10 + digit(15);
  const second = digit(17) * 10 + digit(18);
  if (!isPossibleTime(year, month, day, hour, minute, second)) return -1;
  const minutes = Date.UTC(year, month - 1, day, hour, minute) / 60_000;
  return minutes * 60_000 + second * 1000 > notAfter ? -1 : minutes;
}
