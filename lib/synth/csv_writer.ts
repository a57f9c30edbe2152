/**
 * Writes the synthetic dataset as CSV bytes in the dataset's format (header
 * `order_id,user_id,page_id,product,site_version,time,title,target`, 32-hex ids,
 * `YYYY-MM-DD HH:MM:SS` times, LF line ends), rows in time order. Bytes are written
 * straight into two large buffers that alternate, so generation overlaps the sink's
 * I/O and memory stays constant whatever the row count.
 *
 * @module
 */
import { DatasetModel, DEVICE_SHARES, GEN_START, GEN_TITLES, PRODUCT_SHARES } from "./model.ts";
import { TimeSchedule } from "./model.ts";
import { mix32, Prng } from "./prng.ts";
import { DATASET_WORDS } from "../core/event.ts";

/** Options for {@linkcode generateCsv}. */
export interface GenerateOptions {
  /** Number of data rows. */
  rows: number;
  /** PRNG seed: the same seed and row count always give the same bytes. */
  seed: number;
  /** Buffer size in bytes (two are used); default 4 MiB. */
  chunkBytes?: number;
  /** Called after each chunk with the rows written so far. */
  onProgress?: (rowsWritten: number) => void;
}

/** Receives a chunk; the buffer is reused once the returned promise resolves. */
export type ChunkSink = (chunk: Uint8Array) => Promise<void>;

/** The dataset's header line. */
export const GEN_HEADER = "order_id,user_id,page_id,product,site_version,time,title,target\n";

const encoder = new TextEncoder();
const HEX = encoder.encode("0123456789abcdef");
// Longest row: 3 ids (96) + 7 commas + product (16) + device (7) + time (19) + title (12)
// + target + LF = 159 bytes; keep a margin.
const MAX_ROW_BYTES = 256;

/** Generates `rows` rows into `sink`; returns the bytes written. */
export async function generateCsv(options: GenerateOptions, sink: ChunkSink): Promise<number> {
  const { rows, seed } = options;
  if (!Number.isInteger(rows) || rows < 0) {
    throw new Error(`Cannot generate "${rows}" rows: expected a whole number of at least 0`);
  }
  const size = Math.max(options.chunkBytes ?? 4 * 1024 * 1024, MAX_ROW_BYTES * 2);
  const buffers = [new Uint8Array(size), new Uint8Array(size)];
  let current = 0;
  let buf = buffers[0];
  let pos = 0;
  let pending: Promise<void> = Promise.resolve();
  let total = 0;

  const model = new DatasetModel(rows);
  const schedule = new TimeSchedule(rows);
  const prng = new Prng(seed);
  // Ids derived from an index (users, pages) mix the seed in, so seeds differ everywhere.
  const salt = mix32(seed ^ 0x5bd1e995);
  const products = PRODUCT_SHARES.map(([name]) => encoder.encode(`${DATASET_WORDS[name]},`));
  const devices = DEVICE_SHARES.map(([name]) => encoder.encode(`${name},`));
  const titles = GEN_TITLES.map((name, i) => encoder.encode(`${name},${i === 2 ? 1 : 0}\n`));
  const days = dayPrefixes();

  const put = (bytes: Uint8Array) => {
    buf.set(bytes, pos);
    pos += bytes.length;
  };
  const hex32 = (word: number) => {
    for (let shift = 28; shift >= 0; shift -= 4) buf[pos++] = HEX[(word >>> shift) & 15];
  };
  const two = (value: number) => {
    buf[pos++] = 48 + Math.floor(value / 10);
    buf[pos++] = 48 + (value % 10);
  };
  const flush = async () => {
    await pending;
    const chunk = buf.subarray(0, pos);
    total += chunk.length;
    pending = sink(chunk);
    current ^= 1;
    buf = buffers[current];
    pos = 0;
  };

  put(encoder.encode(GEN_HEADER));
  for (let i = 0; i < rows; i++) {
    // order_id: 128 random bits.
    hex32(prng.nextU32());
    hex32(prng.nextU32());
    hex32(prng.nextU32());
    hex32(prng.nextU32());
    buf[pos++] = 44;
    // user_id: derived from a long-tailed user index, so a user recurs.
    const user = model.user(prng.next());
    const u = Math.imul(user, 0x9e3779b1) ^ salt;
    hex32(mix32(u ^ 0x1b873593));
    hex32(mix32(u ^ 0xcc9e2d51));
    hex32(mix32(u ^ 0xe6546b64));
    hex32(mix32(u ^ 0x85ebca6b));
    buf[pos++] = 44;
    // page_id: a skewed page of the row's product.
    const product = model.product(prng.next());
    const page = (model.page(prng.next()) * PRODUCT_SHARES.length + product) ^ ~salt;
    hex32(mix32(page ^ 0x27d4eb2f));
    hex32(mix32(page ^ 0x165667b1));
    hex32(mix32(page ^ 0xd3a2646c));
    hex32(mix32(page ^ 0xfd7046c5));
    buf[pos++] = 44;
    put(products[product]);
    const device = model.device(prng.next());
    put(devices[device]);
    const second = schedule.secondOf(i, prng.next());
    const day = Math.floor(second / 86400);
    const inDay = second - day * 86400;
    put(days[day]);
    two(Math.floor(inDay / 3600));
    buf[pos++] = 58;
    two(Math.floor(inDay / 60) % 60);
    buf[pos++] = 58;
    two(inDay % 60);
    buf[pos++] = 44;
    put(titles[model.title(product, device, prng.next())]);
    if (pos > size - MAX_ROW_BYTES) {
      await flush();
      options.onProgress?.(i + 1);
    }
  }
  await flush();
  await pending;
  options.onProgress?.(rows);
  return total;
}

/** `YYYY-MM-DD ` for every generated day. */
function dayPrefixes(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let day = 0; day < 200; day++) {
    const date = new Date(GEN_START + day * 86_400_000).toISOString().slice(0, 10);
    out.push(encoder.encode(`${date} `));
  }
  return out;
}
