/**
 * Streams a CSV file in blocks, with line numbers, in bounded memory whatever its size.
 *
 * While the file has no double quote, CSV's grammar is only "records end at LF or
 * CRLF, fields end at commas", so the file is handed out as blocks of whole lines of
 * raw bytes, which the loader reads without decoding most of them (see
 * `canonical_line.ts`). From the first line holding a quote on, the rest of the file
 * goes through csv-parse, which knows the whole grammar (quoted fields, quotes inside
 * them, line ends inside them, a BOM), and comes out as records of fields.
 *
 * @module
 */
import { parse, type Parser } from "csv-parse";
import { createReadStream, type ReadStream } from "node:fs";

/** One record of the file, or a stretch csv-parse could not read as a record. */
export type CsvItem =
  | { kind: "row"; line: number; fields: string[] }
  | { kind: "malformed"; line: number; reason: string };

/**
 * Whole lines of a quote-free stretch of the file: `bytes` holds them with their line
 * ends; the first is line `firstLine`. The bytes are reused for the next block: read
 * them before asking for it.
 */
export interface LineBlock {
  kind: "lines";
  bytes: Uint8Array;
  firstLine: number;
}

/** Records csv-parse read (after the first quote in the file). */
export interface ItemBlock {
  kind: "items";
  items: CsvItem[];
}

/** An open CSV file. */
export interface CsvSource {
  /** The file's content in order (the header is the first line or record). */
  blocks(): AsyncGenerator<LineBlock | ItemBlock>;
  /** Bytes of the file read so far (for progress). */
  bytesRead(): number;
  /** The file's size in bytes. */
  size: number;
  /** Stops reading and releases the file. */
  close(): void;
}

/** Options for {@linkcode openCsv}. */
export interface OpenCsvOptions {
  /** Read size in bytes; default 1 MiB. */
  chunkBytes?: number;
}

const NEWLINE = 10;
const CARRIAGE_RETURN = 13;
const QUOTE = 34;

/**
 * Walks the lines of a {@linkcode LineBlock} without allocating per line: after each
 * successful {@linkcode advance}, `bytes[start, end)` is the line without its LF or
 * CRLF (a CR not followed by LF is content, as for csv-parse) and `line` its number.
 */
export class LineCursor {
  /** First byte of the current line. */
  start = 0;
  /** One past its last byte (line end excluded). */
  end = 0;
  /** Its line number in the file. */
  line: number;
  readonly #bytes: Uint8Array;
  #next = 0;

  constructor(block: LineBlock) {
    this.#bytes = block.bytes;
    this.line = block.firstLine - 1;
  }

  /** Moves to the next line; false after the last. */
  advance(): boolean {
    const bytes = this.#bytes;
    const at = this.#next;
    if (at >= bytes.length) return false;
    const newline = bytes.indexOf(NEWLINE, at);
    let end = newline === -1 ? bytes.length : newline;
    if (newline !== -1 && end > at && bytes[end - 1] === CARRIAGE_RETURN) end--;
    this.start = at;
    this.end = end;
    this.line++;
    this.#next = newline === -1 ? bytes.length : newline + 1;
    return true;
  }
}

/** Opens `path` for reading as CSV; fails with a clear message when it cannot. */
export async function openCsv(path: string, options: OpenCsvOptions = {}): Promise<CsvSource> {
  let file: Deno.FsFile;
  let size: number;
  try {
    const stat = await Deno.stat(path);
    if (!stat.isFile) throw new Error("not a file");
    size = stat.size;
    file = await Deno.open(path);
  } catch (error) {
    const detail = error instanceof Deno.errors.NotFound ? "no such file" : String(
      (error as Error).message,
    );
    throw new Error(`Cannot read "${path}": ${detail}`);
  }
  const chunkBytes = options.chunkBytes ?? 1 << 20;
  let offset = 0;
  let parsed: CsvParseSource | undefined;
  let closed = false;

  async function* blocks(): AsyncGenerator<LineBlock | ItemBlock> {
    let buffer = new Uint8Array(chunkBytes * 2);
    let carried = 0; // bytes of an unfinished line kept at the buffer's start
    let line = 1;
    let eof = false;
    while (!eof && !closed) {
      if (buffer.length - carried < chunkBytes) {
        // One line longer than a chunk: grow instead of failing.
        const bigger = new Uint8Array(buffer.length * 2);
        bigger.set(buffer.subarray(0, carried));
        buffer = bigger;
      }
      const n = await file.read(buffer.subarray(carried, carried + chunkBytes));
      if (n === null) eof = true;
      const filled = carried + (n ?? 0);
      const quote = buffer.subarray(carried, filled).indexOf(QUOTE);
      if (quote !== -1) {
        // Whole lines before the quote's line stay on this path; csv-parse takes the rest.
        const from = buffer.lastIndexOf(NEWLINE, carried + quote) + 1;
        if (from > 0) yield { kind: "lines", bytes: buffer.subarray(0, from), firstLine: line };
        line += countLines(buffer, 0, from);
        yield* switchToCsvParse(offset + from, line);
        return;
      }
      const whole = eof ? filled : buffer.lastIndexOf(NEWLINE, filled - 1) + 1;
      offset += whole;
      if (whole > 0) {
        yield { kind: "lines", bytes: buffer.subarray(0, whole), firstLine: line };
        line += countLines(buffer, 0, whole);
      }
      buffer.copyWithin(0, whole, filled);
      carried = filled - whole;
    }
  }

  async function* switchToCsvParse(from: number, firstLine: number) {
    file.close();
    offset = from;
    parsed = openCsvParse(path, from, firstLine, chunkBytes);
    for await (const items of parsed.items()) yield { kind: "items" as const, items };
  }

  return {
    blocks,
    bytesRead: () => parsed ? offset + parsed.bytesRead() : offset,
    size,
    close: () => {
      if (closed) return;
      closed = true;
      if (parsed) parsed.close();
      else file.close();
    },
  };
}

/** Line ends in `bytes[start, end)`, plus one for a last line without one. */
function countLines(bytes: Uint8Array, start: number, end: number): number {
  let lines = 0;
  let at = start;
  while (at < end) {
    const newline = bytes.indexOf(NEWLINE, at);
    if (newline === -1 || newline >= end) return lines + 1;
    lines++;
    at = newline + 1;
  }
  return lines;
}

interface Skip {
  /** Records csv-parse had emitted before the bad one. */
  before: number;
  reason: string;
  /** The line where csv-parse gave up (the next record starts after it). */
  endLine: number;
}

interface CsvParseSource {
  items(): AsyncGenerator<CsvItem[]>;
  bytesRead(): number;
  close(): void;
}

/** csv-parse over the file from byte `from` on, whose first line is line `firstLine`. */
function openCsvParse(
  path: string,
  from: number,
  firstLine: number,
  chunkBytes: number,
): CsvParseSource {
  const skips: Skip[] = [];
  const parser: Parser = parse({
    bom: true,
    // Blank lines come through as [""] so every line is accounted for in numbering.
    skip_empty_lines: false,
    // Explicit, so one file may mix CRLF and LF (auto-detection fixes the first one).
    record_delimiter: ["\r\n", "\n"],
    // Field counts are checked per row by the row rules, with a clear reason.
    relax_column_count: true,
    // A stray quote inside an unquoted field keeps the field as is (the row rules reject it).
    relax_quotes: true,
    // Anything else csv-parse cannot read is reported as one malformed record.
    skip_records_with_error: true,
    on_skip: (error) => {
      const endLine = (error as { lines?: number } | undefined)?.lines ?? 0;
      skips.push({
        before: parser.info.records,
        reason: `malformed CSV: ${error?.message ?? "unreadable record"}`,
        endLine: endLine + firstLine - 1,
      });
    },
  });
  const file: ReadStream = createReadStream(path, { start: from, highWaterMark: chunkBytes });
  file.on("error", (error) => parser.destroy(error));
  file.pipe(parser);

  async function* items(): AsyncGenerator<CsvItem[]> {
    let failure: Error | undefined;
    let wake = () => {};
    parser.on("error", (error) => {
      failure = error;
      wake();
    });
    parser.on("readable", () => wake());
    parser.on("end", () => wake());
    let consumed = 0;
    let line = firstLine;
    const emitSkips = (out: CsvItem[]) => {
      while (skips.length > 0 && skips[0].before <= consumed) {
        const skip = skips.shift()!;
        out.push({ kind: "malformed", line, reason: skip.reason });
        line = Math.max(line + 1, skip.endLine + 1);
      }
    };
    while (true) {
      if (failure) throw failure;
      const out: CsvItem[] = [];
      let record: string[] | null;
      while ((record = parser.read()) !== null) {
        emitSkips(out);
        out.push({ kind: "row", line, fields: record });
        consumed++;
        line++;
        // A quoted field may span lines; count them so later numbers stay right.
        for (const field of record) {
          for (let at = field.indexOf("\n"); at !== -1; at = field.indexOf("\n", at + 1)) line++;
        }
      }
      if (parser.readableEnded || (parser.readableLength === 0 && parser.writableFinished)) {
        emitSkips(out);
        if (out.length > 0) yield out;
        if (failure) throw failure;
        return;
      }
      if (out.length > 0) {
        yield out;
      } else {
        await new Promise<void>((resolve) => wake = resolve);
        wake = () => {};
      }
    }
  }

  return {
    items,
    bytesRead: () => file.bytesRead,
    close: () => {
      file.destroy();
      parser.destroy();
    },
  };
}
