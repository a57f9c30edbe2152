/**
 * The shop's local spool: an append-only, fsync'd log of events Kafka has not
 * acknowledged yet, so an event the shop accepted survives a crash of the web process.
 *
 * Layout: `<dir>/spool-<n>.log` segments, appended to in order; each record is framed
 * as `u32 length | u32 CRC-32 | payload` (big-endian; payload `key \n value`, UTF-8), so
 * a record torn by a crash mid-write is detected on open, logged and cut off. Appends
 * are group-committed: the records that arrive while one write + `fdatasync` runs go
 * together in the next, and a caller is answered only after its record's sync.
 *
 * The spool is bounded by `maxBytes` (the segment files' total size): a record that does
 * not fit is refused (`append` resolves false) and counted, never silently dropped.
 * Records are handed out in append order ({@linkcode Spool.peek}) and removed only when
 * the caller says Kafka acknowledged them ({@linkcode Spool.ack}); a segment file is
 * deleted once all its records are acknowledged. A crash between the acknowledgement
 * and the deletion re-sends those records on the next start: the worker's unique
 * `order_id` absorbs the copies (at-least-once to the topic).
 *
 * Pending records are also held in memory (at most `maxBytes` of them), which keeps the
 * drain a plain array walk. One spool directory belongs to one process: `open` takes an
 * exclusive lock on `<dir>/lock` and refuses a directory another process (or another
 * spool in this one) holds; {@linkcode Spool.openSlot} takes the first free numbered
 * directory under a parent, so several web processes can share one setting and a
 * restarted one picks up what a dead one left.
 *
 * @module
 */
import { crc32 } from "node:zlib";
import { join } from "node:path";

/** Default bound on the spool's files: 64 MiB, about 250,000 shop events. */
export const DEFAULT_SPOOL_MAX_BYTES = 64 * 1024 * 1024;
/** The default spool directory of a web process producing to `topic`: `.data/spool/<topic>`. */
export function defaultSpoolDir(topic: string): string {
  return new URL(`../../.data/spool/${encodeURIComponent(topic)}`, import.meta.url).pathname;
}

/** The largest record accepted (an event is a few hundred bytes). */
const MAX_RECORD_BYTES = 1024 * 1024;
const HEADER_BYTES = 8;
const SEGMENT_PATTERN = /^spool-(\d{12})\.log$/;

/** Options for {@linkcode Spool.open}. */
export interface SpoolOptions {
  /** The directory of the segment files (created when missing). */
  dir: string;
  /** Bound on the segment files' total size; default {@linkcode DEFAULT_SPOOL_MAX_BYTES}. */
  maxBytes?: number;
  /** A new segment is started past this size; default `maxBytes / 16` (at least 64 KiB). */
  segmentBytes?: number;
  /** Where torn tails and refusals are reported; default `console.warn`. */
  log?: (line: string) => void;
}

/** One spooled event: its Kafka key and value. */
export interface SpoolRecord {
  key: string;
  value: string;
}

/** A record handed out for sending, with its sequence number in this process. */
export interface PendingRecord extends SpoolRecord {
  seq: number;
}

/** Counters for `/healthz`. */
export interface SpoolStats {
  /** The spool's directory. */
  dir: string;
  /** Records not yet acknowledged by Kafka. */
  records: number;
  /** Bytes the segment files hold now (acknowledged records of a live segment included). */
  bytes: number;
  /** The bound on `bytes`. */
  maxBytes: number;
  /** Records appended (fsync'd) since start. */
  appended: number;
  /** Records acknowledged by Kafka and removed since start. */
  drained: number;
  /** Records refused since start because they did not fit. */
  refused: number;
  /** Records found in the files at start (left by the previous process). */
  recovered: number;
  /** Bytes cut off at start as torn or corrupt records. */
  tornBytes: number;
}

interface Segment {
  index: number;
  path: string;
  bytes: number;
  /** Records of this segment not yet acknowledged. */
  live: number;
}

interface Held extends PendingRecord {
  segment: Segment;
}

interface Waiting {
  frame: Uint8Array;
  record: SpoolRecord;
  resolve: (seq: number | undefined) => void;
  reject: (error: unknown) => void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Frames one record: `u32 length | u32 CRC-32 of the payload | payload`. */
export function frameRecord(record: SpoolRecord): Uint8Array {
  if (record.key.includes("\n")) throw new Error("A spool record's key cannot hold a newline");
  const payload = encoder.encode(`${record.key}\n${record.value}`);
  const frame = new Uint8Array(HEADER_BYTES + payload.length);
  const view = new DataView(frame.buffer);
  view.setUint32(0, payload.length);
  view.setUint32(4, crc32(payload));
  frame.set(payload, HEADER_BYTES);
  return frame;
}

/**
 * Reads the framed records of `bytes`; `valid` is where the last whole, checksummed
 * record ends (the rest is a torn or corrupt tail).
 */
export function parseFrames(bytes: Uint8Array): { records: SpoolRecord[]; valid: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: SpoolRecord[] = [];
  let offset = 0;
  while (offset + HEADER_BYTES <= bytes.length) {
    const length = view.getUint32(offset);
    const sum = view.getUint32(offset + 4);
    const end = offset + HEADER_BYTES + length;
    if (length > MAX_RECORD_BYTES || end > bytes.length) break;
    const payload = bytes.subarray(offset + HEADER_BYTES, end);
    if (crc32(payload) !== sum) break;
    let text: string;
    try {
      text = decoder.decode(payload);
    } catch {
      break;
    }
    const newline = text.indexOf("\n");
    if (newline < 0) break;
    records.push({ key: text.slice(0, newline), value: text.slice(newline + 1) });
    offset = end;
  }
  return { records, valid: offset };
}

/** The durable spool; see the module documentation. */
export class Spool {
  readonly dir: string;
  readonly maxBytes: number;
  readonly #segmentBytes: number;
  readonly #log: (line: string) => void;
  #segments: Segment[] = [];
  #held: Held[] = [];
  /** Index into `#held` of the next record {@linkcode peek} hands out. */
  #handedOut = 0;
  #bytes = 0;
  /** Bytes promised to appends being written. */
  #reserved = 0;
  #seq = 0;
  /** The highest segment number used: names are never reused (a removal may be pending). */
  #lastIndex = 0;
  #file: Deno.FsFile | undefined;
  #lock: Deno.FsFile | undefined;
  /** The parent of a slot directory ({@linkcode openSlot}), removed with it when empty. */
  #parent: string | undefined;
  #active: Segment | undefined;
  #waiting: Waiting[] = [];
  #writing: Promise<void> | undefined;
  #closed = false;
  #stats = { appended: 0, drained: 0, refused: 0, recovered: 0, tornBytes: 0 };
  #lastRefusalLog = 0;
  #refusedSinceLog = 0;
  /** Called after records were appended (the producer's drain waits on it). */
  onAppend: (() => void) | undefined;

  private constructor(options: SpoolOptions) {
    this.dir = options.dir;
    this.maxBytes = options.maxBytes ?? DEFAULT_SPOOL_MAX_BYTES;
    this.#segmentBytes = options.segmentBytes ?? Math.max(64 * 1024, this.maxBytes / 16);
    this.#log = options.log ?? ((line) => console.warn(line));
  }

  /**
   * Opens (creating) the spool in `options.dir` and reads what a previous process left:
   * its records come first in {@linkcode peek}; a torn tail is logged and cut off.
   */
  static async open(options: SpoolOptions): Promise<Spool> {
    const spool = await Spool.#tryOpen(options);
    if (!spool) {
      throw new Error(
        `The spool directory ${options.dir} is in use by another process (or spool)`,
      );
    }
    return spool;
  }

  /**
   * Opens the first directory `<parent>/0`, `<parent>/1`, … no other process holds
   * (each web process of a machine gets its own; a dead one's is free again, and its
   * records are drained by whichever process takes it next).
   */
  static async openSlot(
    options: Omit<SpoolOptions, "dir"> & { parent: string; slots?: number },
  ): Promise<Spool> {
    const slots = options.slots ?? 64;
    for (let slot = 0; slot < slots; slot++) {
      const spool = await Spool.#tryOpen({ ...options, dir: join(options.parent, String(slot)) });
      if (spool) {
        spool.#parent = options.parent;
        return spool;
      }
    }
    throw new Error(
      `All ${slots} spool directories under ${options.parent} are in use: is a web process stuck? (SHOP_SPOOL_DIR)`,
    );
  }

  static async #tryOpen(options: SpoolOptions): Promise<Spool | undefined> {
    const spool = new Spool(options);
    await Deno.mkdir(spool.dir, { recursive: true });
    spool.#lock = await lockDirectory(spool.dir);
    if (!spool.#lock) return undefined;
    const names: [number, string][] = [];
    for await (const entry of Deno.readDir(spool.dir)) {
      const match = entry.isFile ? SEGMENT_PATTERN.exec(entry.name) : null;
      if (match) names.push([Number(match[1]), entry.name]);
    }
    names.sort((a, b) => a[0] - b[0]);
    for (const [index, name] of names) {
      const path = join(spool.dir, name);
      spool.#lastIndex = Math.max(spool.#lastIndex, index);
      const bytes = await Deno.readFile(path);
      const { records, valid } = parseFrames(bytes);
      if (valid < bytes.length) {
        spool.#stats.tornBytes += bytes.length - valid;
        spool.#log(
          `Spool ${path}: torn or corrupt record at byte ${valid}: ${
            bytes.length - valid
          } byte(s) skipped (a crash mid-append; that record was never confirmed)`,
        );
        // Cut it off, so the next start does not report it again.
        await Deno.truncate(path, valid);
      }
      if (records.length === 0) {
        await Deno.remove(path);
        continue;
      }
      const segment = { index, path, bytes: valid, live: records.length };
      spool.#segments.push(segment);
      spool.#bytes += valid;
      for (const record of records) spool.#held.push({ ...record, seq: ++spool.#seq, segment });
    }
    spool.#stats.recovered = spool.#held.length;
    if (spool.#held.length > 0) {
      spool.#log(
        `Spool ${spool.dir}: ${spool.#held.length} event(s) left by the previous process, sending them first`,
      );
    }
    return spool;
  }

  /** Records not yet acknowledged. */
  get pending(): number {
    return this.#held.length;
  }

  /** Records not yet handed out by {@linkcode peek}. */
  get unsent(): number {
    return this.#held.length - this.#handedOut;
  }

  /**
   * Appends `record` and resolves with its sequence number once it is on disk
   * (fsync'd), or undefined when it does not fit (refused and counted). Rejects when
   * the write itself fails (the disk's error).
   */
  append(record: SpoolRecord): Promise<number | undefined> {
    if (this.#closed) return Promise.reject(new Error("The spool is closed"));
    const frame = frameRecord(record);
    if (this.#bytes + this.#reserved + frame.length > this.maxBytes) {
      this.#refuse();
      return Promise.resolve(undefined);
    }
    this.#reserved += frame.length;
    return new Promise((resolve, reject) => {
      this.#waiting.push({ frame, record, resolve, reject });
      this.#writing ??= this.#writeLoop();
    });
  }

  /**
   * Up to `max` records after those already handed out, in append order. They stay in
   * the spool until {@linkcode ack}; {@linkcode rewind} hands them out again.
   */
  peek(max: number): PendingRecord[] {
    const batch = this.#held.slice(this.#handedOut, this.#handedOut + max);
    this.#handedOut += batch.length;
    return batch.map(({ key, value, seq }) => ({ key, value, seq }));
  }

  /** Hands the records out again from the oldest (after a failed send). */
  rewind(): void {
    this.#handedOut = 0;
  }

  /**
   * Removes the `count` oldest records (Kafka acknowledged them); deletes every segment
   * file left without a record.
   */
  async ack(count: number): Promise<void> {
    const done = this.#held.splice(0, count);
    this.#handedOut = Math.max(0, this.#handedOut - done.length);
    this.#stats.drained += done.length;
    for (const record of done) record.segment.live--;
    // The active segment is kept while a write is under way (that write appends to it);
    // it goes with a later acknowledgement or once it is rolled over.
    const empty = this.#segments.filter((s) =>
      s.live === 0 && !(s === this.#active && this.#writing)
    );
    for (const segment of empty) {
      if (segment === this.#active) {
        this.#file?.close();
        this.#file = undefined;
        this.#active = undefined;
      }
    }
    this.#segments = this.#segments.filter((s) => !empty.includes(s));
    for (const segment of empty) {
      this.#bytes -= segment.bytes;
      await Deno.remove(segment.path).catch((error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      });
    }
  }

  /** Current counters. */
  stats(): SpoolStats {
    return {
      dir: this.dir,
      records: this.#held.length,
      bytes: this.#bytes,
      maxBytes: this.maxBytes,
      ...this.#stats,
    };
  }

  /** Finishes the appends under way and closes the file; the records stay for the next start. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#writing;
    this.#file?.close();
    this.#file = undefined;
    if (this.#segments.length === 0) {
      // Nothing left for a next start: leave no empty directory behind.
      await Deno.remove(join(this.dir, "lock")).catch(() => {});
      await Deno.remove(this.dir).catch(() => {});
      if (this.#parent) await Deno.remove(this.#parent).catch(() => {});
    }
    this.#lock?.close();
    this.#lock = undefined;
  }

  #refuse(): void {
    this.#stats.refused++;
    this.#refusedSinceLog++;
    const now = Date.now();
    // Every refusal is counted; the log says so at most every 10 s.
    if (now - this.#lastRefusalLog >= 10_000) {
      this.#log(
        `Spool ${this.dir} full (${this.#bytes} of ${this.maxBytes} bytes): refused ${this.#refusedSinceLog} event(s), ${this.#stats.refused} in total`,
      );
      this.#lastRefusalLog = now;
      this.#refusedSinceLog = 0;
    }
  }

  async #writeLoop(): Promise<void> {
    try {
      while (this.#waiting.length > 0) {
        const batch = this.#waiting.splice(0);
        const size = batch.reduce((sum, item) => sum + item.frame.length, 0);
        try {
          const segment = await this.#segmentFor();
          const buffer = new Uint8Array(size);
          let offset = 0;
          for (const item of batch) {
            buffer.set(item.frame, offset);
            offset += item.frame.length;
          }
          await writeAll(this.#file!, buffer);
          // The visitor is told "done" only after this: the records are on the disk.
          await this.#file!.syncData();
          segment.bytes += size;
          segment.live += batch.length;
          this.#bytes += size;
          this.#reserved -= size;
          this.#stats.appended += batch.length;
          for (const item of batch) {
            const seq = ++this.#seq;
            this.#held.push({ ...item.record, seq, segment });
            item.resolve(seq);
          }
          this.onAppend?.();
        } catch (error) {
          this.#reserved -= size;
          // A failed write may have left part of the batch: start a new segment, so the
          // torn bytes stay at that segment's end, where the next open cuts them off.
          this.#file?.close();
          this.#file = undefined;
          this.#active = undefined;
          for (const item of batch) item.reject(error);
        }
      }
    } finally {
      this.#writing = undefined;
    }
  }

  /** The segment to append to: the active one, or a new one when it is full or gone. */
  async #segmentFor(): Promise<Segment> {
    if (this.#active && this.#file && this.#active.bytes < this.#segmentBytes) return this.#active;
    this.#file?.close();
    const index = ++this.#lastIndex;
    const path = join(this.dir, `spool-${String(index).padStart(12, "0")}.log`);
    this.#file = await Deno.open(path, { write: true, create: true, append: true });
    // The new file's directory entry must survive a crash too.
    await syncDirectory(this.dir);
    const segment = { index, path, bytes: 0, live: 0 };
    this.#segments.push(segment);
    this.#active = segment;
    return segment;
  }
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await file.write(bytes.subarray(written));
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await Deno.open(dir, { read: true });
  try {
    await handle.sync();
  } finally {
    handle.close();
  }
}

/**
 * How long `open` waits for the directory's lock before taking it as held: a free
 * lock is granted at once, a held one is held for the holder's life.
 */
const LOCK_WAIT_MS = 250;

/** The directory's lock file, locked; undefined when another holder has it. */
async function lockDirectory(dir: string): Promise<Deno.FsFile | undefined> {
  const file = await Deno.open(join(dir, "lock"), { read: true, write: true, create: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const locking = file.lock(true).then(() => true);
  const got = await Promise.race([
    locking,
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), LOCK_WAIT_MS))),
  ]);
  clearTimeout(timer);
  if (!got) {
    // The lock call stays pending until the holder lets go; closing its file then
    // releases it again.
    locking.then(() => file.close(), () => {});
    return undefined;
  }
  return file;
}
