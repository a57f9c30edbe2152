/**
 * Streams a CSV file as batches of rows with their line numbers, using csv-parse for
 * the CSV grammar (quotes, CRLF or LF, BOM). Records are pulled with `read()` per
 * parsed chunk rather than one `await` per record (twice as fast), and memory is
 * bounded by the stream's buffers whatever the file size.
 *
 * @module
 */
import { parse, type Parser } from "csv-parse";
import { createReadStream, type ReadStream } from "node:fs";

/** One record of the file, or a stretch csv-parse could not read as a record. */
export type CsvItem =
  | { kind: "row"; line: number; fields: string[] }
  | { kind: "malformed"; line: number; reason: string };

/** An open CSV file. */
export interface CsvSource {
  /** Batches of items in file order (the header is the first row). */
  items(): AsyncGenerator<CsvItem[]>;
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

interface Skip {
  /** Records csv-parse had emitted before the bad one. */
  before: number;
  reason: string;
  /** The line where csv-parse gave up (the next record starts after it). */
  endLine: number;
}

/** Opens `path` for reading as CSV; fails with a clear message when it cannot. */
export async function openCsv(path: string, options: OpenCsvOptions = {}): Promise<CsvSource> {
  let size: number;
  try {
    const stat = await Deno.stat(path);
    if (!stat.isFile) throw new Error("not a file");
    size = stat.size;
  } catch (error) {
    const detail = error instanceof Deno.errors.NotFound ? "no such file" : String(
      (error as Error).message,
    );
    throw new Error(`Cannot read "${path}": ${detail}`);
  }
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
        endLine,
      });
    },
  });
  const file: ReadStream = createReadStream(path, { highWaterMark: options.chunkBytes ?? 1 << 20 });
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
    let line = 1;
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
    size,
    close: () => {
      file.destroy();
      parser.destroy();
    },
  };
}
