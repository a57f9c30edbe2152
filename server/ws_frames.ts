/**
 * WebSocket frames (RFC 6455 §5.2) read just enough to see where each begins and how
 * long it says it is. `Deno.upgradeWebSocket` has no maximum message size (it buffers up
 * to 64 MiB, denoland/deno#15809), so the connection guard refuses a frame whose
 * message would exceed the limit at its header, before a byte of its payload is
 * forwarded; the server's own frames are scanned only to know where one ends, so a
 * close frame can be put between two of them.
 *
 * @module
 */

/** Close code for a message larger than the limit (RFC 6455 §7.4.1). */
export const CLOSE_TOO_BIG = 1009;
/** Close code for a frame that breaks the protocol. */
export const CLOSE_PROTOCOL_ERROR = 1002;

/** Why a frame is refused: send a close frame with `code` and `reason`. */
export interface FrameRefusal {
  code: number;
  reason: string;
  /** Where in the scanned chunk the refused frame begins (0 if it began in an earlier one). */
  offset: number;
}

/** Limits checked on a client's frames. */
export interface FrameLimits {
  /** Largest message (the payloads of its frames together) accepted, in bytes. */
  maxMessageBytes: number;
}

/**
 * Follows a stream of frames chunk by chunk. With `limits` it checks the client's
 * frames (masked, control frames short and final, messages within the limit); without
 * them it only tracks frame boundaries.
 */
export class FrameScanner {
  readonly #limits?: FrameLimits;
  /** The frame header being read, up to 14 bytes. */
  readonly #header = new Uint8Array(14);
  #headerLength = 0;
  /** Payload bytes of the current frame still to come. */
  #payloadLeft = 0;
  /** Payload bytes of the current data message so far, its frames included. */
  #messageBytes = 0;

  constructor(limits?: FrameLimits) {
    this.#limits = limits;
  }

  /** True between two frames (no header or payload half read). */
  get atBoundary(): boolean {
    return this.#headerLength === 0 && this.#payloadLeft === 0;
  }

  /**
   * Scans `chunk[0, length)`. Returns the refusal of the first frame that breaks the
   * limits (the bytes before its `offset` are fine), or undefined when all are.
   */
  scan(chunk: Uint8Array, length: number): FrameRefusal | undefined {
    let i = 0;
    while (i < length) {
      if (this.#payloadLeft > 0) {
        const take = Math.min(this.#payloadLeft, length - i);
        this.#payloadLeft -= take;
        i += take;
        continue;
      }
      // A header begun in an earlier chunk was forwarded in part already.
      const offset = this.#headerLength > 0 ? 0 : i;
      const next = this.#readHeader(chunk, length, i);
      if (typeof next === "object") return { ...next, offset };
      i = next;
    }
    return undefined;
  }

  /** Where in `chunk[0, length)` the current frame ends: 0 when at a boundary already. */
  boundary(chunk: Uint8Array, length: number): number {
    if (this.atBoundary) return 0;
    let i = 0;
    while (i < length) {
      if (this.#payloadLeft > 0) {
        const take = Math.min(this.#payloadLeft, length - i);
        this.#payloadLeft -= take;
        i += take;
        if (this.#payloadLeft === 0) return i;
        continue;
      }
      const next = this.#readHeader(chunk, length, i);
      if (typeof next === "object") return length; // only client frames are checked
      i = next;
      if (this.atBoundary) return i; // an empty payload
    }
    return length;
  }

  /**
   * Reads header bytes from `chunk[at…]`; returns the index after them, or a refusal
   * (without offset) once the header is complete and breaks the limits.
   */
  #readHeader(
    chunk: Uint8Array,
    length: number,
    at: number,
  ): number | Omit<FrameRefusal, "offset"> {
    const header = this.#header;
    let i = at;
    while (i < length) {
      header[this.#headerLength++] = chunk[i++];
      const need = headerSize(header, this.#headerLength);
      if (this.#headerLength < need) continue;
      const refusal = this.#check(header);
      if (refusal) {
        this.#headerLength = 0;
        return refusal;
      }
      this.#payloadLeft = payloadLength(header);
      this.#headerLength = 0;
      return i;
    }
    return i;
  }

  #check(header: Uint8Array): Omit<FrameRefusal, "offset"> | undefined {
    const limits = this.#limits;
    if (!limits) return undefined;
    const fin = (header[0] & 0x80) !== 0;
    const opcode = header[0] & 0x0f;
    const masked = (header[1] & 0x80) !== 0;
    const length = payloadLength(header);
    if (!masked) {
      return { code: CLOSE_PROTOCOL_ERROR, reason: "Protocol error: client frames must be masked" };
    }
    if (opcode >= 8) {
      if (!fin || length > 125) {
        return {
          code: CLOSE_PROTOCOL_ERROR,
          reason: "Protocol error: control frames must be final and at most 125 bytes",
        };
      }
      return undefined;
    }
    const total = opcode === 0 ? this.#messageBytes + length : length;
    if (total > limits.maxMessageBytes) {
      return {
        code: CLOSE_TOO_BIG,
        reason: `Message too big: the limit is ${limits.maxMessageBytes} bytes`,
      };
    }
    this.#messageBytes = fin ? 0 : total;
    return undefined;
  }
}

/** The size of a header whose first `have` bytes are in `header` (2 until known). */
function headerSize(header: Uint8Array, have: number): number {
  if (have < 2) return 2;
  const len7 = header[1] & 0x7f;
  const mask = header[1] & 0x80 ? 4 : 0;
  return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + mask;
}

/** The payload length a complete header states (≥ 2^53 reads as Infinity). */
function payloadLength(header: Uint8Array): number {
  const len7 = header[1] & 0x7f;
  if (len7 < 126) return len7;
  if (len7 === 126) return (header[2] << 8) | header[3];
  const high = ((header[2] << 24) >>> 0) + (header[3] << 16) + (header[4] << 8) + header[5];
  const low = ((header[6] << 24) >>> 0) + (header[7] << 16) + (header[8] << 8) + header[9];
  if (high >= 1 << 21) return Infinity;
  return high * 2 ** 32 + low;
}

/** A server's close frame (unmasked) with `code` and `reason` (cut to 123 bytes). */
export function closeFrame(code: number, reason: string): Uint8Array {
  const text = new TextEncoder().encode(reason).subarray(0, 123);
  const frame = new Uint8Array(4 + text.length);
  frame[0] = 0x88;
  frame[1] = 2 + text.length;
  frame[2] = code >> 8;
  frame[3] = code & 0xff;
  frame.set(text, 4);
  return frame;
}
