/**
 * `COPY … FROM STDIN` through postgres.js: writes chunks with backpressure and fails
 * with the server's error even when it arrives after the last chunk.
 *
 * @module
 */
import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import type { PendingQuery, Row } from "postgres";

/**
 * Streams `chunks` (COPY text format) into `query`, a `COPY … FROM STDIN` not yet
 * started, and resolves once Postgres accepted them all; rejects with Postgres's error
 * (a unique violation, a bad row) however late it comes.
 */
export async function copyFrom(
  query: PendingQuery<Row[]>,
  chunks: Iterable<Uint8Array>,
): Promise<void> {
  // postgres.js reports a COPY error through the stream only while the stream is open;
  // one that arrives after end() reaches nothing but the query's reject (the query
  // itself resolved to the stream long before). Hook it so the failure is seen.
  const internals = query as unknown as { reject: (error: unknown) => void };
  const failed = new Promise<never>((_, reject) => {
    const original = internals.reject;
    internals.reject = (error) => {
      reject(error);
      original(error);
    };
  });
  failed.catch(() => {});
  const stream = await query.writable();
  const done = Promise.race([finished(stream), failed]);
  done.catch(() => {});
  for (const chunk of chunks) {
    if (stream.destroyed) break;
    if (!stream.write(chunk)) await Promise.race([drained(stream), done]);
  }
  stream.end();
  await done;
}

/** Resolves at the stream's next `drain` or `close`, leaving no listener behind. */
function drained(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}
