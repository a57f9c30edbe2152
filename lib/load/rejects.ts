/**
 * The rejects file of a load: `<file>.rejects.csv` with the header `line,reason,row`,
 * one line per rejected row (its line number in the input, why, and the row as read).
 * Created on the first reject only; a stale one from an earlier run is removed at
 * start, so the file always describes the latest run.
 *
 * @module
 */

/** Collects rejected rows into the rejects file. */
export interface RejectsWriter {
  /** Records one rejected row. */
  add(line: number, reason: string, fields: readonly string[]): Promise<void>;
  /** Rows recorded so far. */
  count(): number;
  /** Flushes and closes; returns the file's path, or undefined when nothing was rejected. */
  close(): Promise<string | undefined>;
}

const FLUSH_CHARS = 64 * 1024;

/** Quotes a field for CSV output when it needs it (RFC 4180). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** Opens a writer for `path`, removing any rejects file left by an earlier run. */
export async function openRejects(path: string): Promise<RejectsWriter> {
  await Deno.remove(path).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  let file: Deno.FsFile | undefined;
  let pending = "";
  let count = 0;
  const encoder = new TextEncoder();
  const flush = async () => {
    if (pending === "") return;
    file ??= await Deno.open(path, { write: true, create: true, truncate: true });
    const bytes = encoder.encode(pending);
    pending = "";
    for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
  };
  return {
    async add(line, reason, fields) {
      if (count === 0) pending += "line,reason,row\n";
      count++;
      pending += `${line},${csvField(reason)},${csvField(fields.map(csvField).join(","))}\n`;
      if (pending.length >= FLUSH_CHARS) await flush();
    },
    count: () => count,
    async close() {
      await flush();
      file?.close();
      return count > 0 ? path : undefined;
    },
  };
}
