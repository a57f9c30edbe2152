/**
 * The server's responses, read just enough to see where each ends (RFC 9112 §6): the
 * guard forwards them byte for byte, but must know when a response is complete (to time
 * an idle kept-alive connection, to answer a refused request only between responses) and
 * whether an upgrade was accepted (`101`: from then on the client sends WebSocket frames).
 * The input is our own server's (hyper's) output, so the reading is lenient.
 *
 * @module
 */

const CR = 13;
const LF = 10;

/** What {@linkcode ResponseScanner.scan} stopped at. */
export type ResponseEvent =
  /** The chunk ended: nothing else in it. */
  | "more"
  /** A final response ended at the returned index. */
  | "complete"
  /** A `101 Switching Protocols` head ended at the returned index: the rest is the new protocol. */
  | "upgraded";

const enum State {
  Head,
  Fixed,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailer,
  UntilClose,
}

/** Longest response head read; a longer one means the stream is not HTTP. */
const MAX_HEAD = 64 * 1024;

/**
 * Follows the server's responses chunk by chunk. `isHeadRequest` says whether the
 * request the next response answers was a `HEAD` (its response has no body).
 */
export class ResponseScanner {
  readonly #isHeadRequest: () => boolean;
  #state = State.Head;
  #head: number[] = [];
  #left = 0;
  #lineLength = 0;
  #sizeDone = false;

  constructor(isHeadRequest: () => boolean) {
    this.#isHeadRequest = isHeadRequest;
  }

  /** True between two responses. */
  get idle(): boolean {
    return this.#state === State.Head && this.#head.length === 0;
  }

  /**
   * Scans `chunk[from, length)` up to the next event; returns it and the index after it.
   * Throws when the stream is not HTTP.
   */
  scan(chunk: Uint8Array, from: number, length: number): [ResponseEvent, number] {
    let i = from;
    while (i < length) {
      switch (this.#state) {
        case State.Head: {
          const end = this.#head.length === 0 ? headEnd(chunk, i, length) : -1;
          if (end > 0) {
            // The whole head is in this chunk (the usual case): read it in one go.
            const event = this.#onHead(latin1(chunk, i, end));
            i = end;
            if (event) return [event, i];
            break;
          }
          const head = this.#head;
          while (i < length) {
            const b = chunk[i++];
            head.push(b);
            const n = head.length;
            if (b === LF && n >= 4 && head[n - 2] === CR && head[n - 3] === LF) {
              this.#head = [];
              const event = this.#onHead(String.fromCharCode(...head));
              if (event) return [event, i];
              break;
            }
            if (n > MAX_HEAD) throw new Error("Cannot read the server's response: head too long");
          }
          break;
        }
        case State.Fixed: {
          const take = Math.min(this.#left, length - i);
          this.#left -= take;
          i += take;
          if (this.#left === 0) return this.#complete(i);
          break;
        }
        case State.ChunkSize: {
          const b = chunk[i++];
          if (b === LF) {
            this.#state = this.#left === 0 ? State.Trailer : State.ChunkData;
            this.#lineLength = 0;
            this.#sizeDone = false;
          } else if (!this.#sizeDone) {
            const digit = hexDigit(b);
            if (digit >= 0) this.#left = this.#left * 16 + digit;
            else this.#sizeDone = true; // CR, or a chunk extension: skipped
          }
          break;
        }
        case State.ChunkData: {
          const take = Math.min(this.#left, length - i);
          this.#left -= take;
          i += take;
          if (this.#left === 0) this.#state = State.ChunkDataEnd;
          break;
        }
        case State.ChunkDataEnd: {
          if (chunk[i++] === LF) {
            this.#state = State.ChunkSize;
            this.#left = 0;
          }
          break;
        }
        case State.Trailer: {
          const b = chunk[i++];
          if (b === LF) {
            if (this.#lineLength === 0) return this.#complete(i);
            this.#lineLength = 0;
          } else if (b !== CR) {
            this.#lineLength++;
          }
          break;
        }
        case State.UntilClose:
          return ["more", length];
      }
    }
    return ["more", length];
  }

  /** Decides the body's framing from the head just read; an event if there is no body. */
  #onHead(text: string): ResponseEvent | undefined {
    const status = Number(text.slice(9, 12));
    if (!text.startsWith("HTTP/1.") || !Number.isInteger(status)) {
      throw new Error(`Cannot read the server's response: "${text.slice(0, 40)}"`);
    }
    if (status === 101) return "upgraded";
    if (status < 200) return undefined; // 100 Continue, 103 Early Hints: the final one follows
    if (this.#isHeadRequest() || status === 204 || status === 304) return "complete";
    const chunked = /\r\ntransfer-encoding:[^\r]*chunked/i.test(text);
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(text);
    if (chunked) {
      this.#state = State.ChunkSize;
      this.#left = 0;
      this.#sizeDone = false;
    } else if (length) {
      this.#left = Number(length[1]);
      if (this.#left === 0) return "complete";
      this.#state = State.Fixed;
    } else {
      this.#state = State.UntilClose;
    }
    return undefined;
  }

  #complete(i: number): [ResponseEvent, number] {
    this.#state = State.Head;
    return ["complete", i];
  }
}

/** The index after the first CRLFCRLF in `chunk[from, length)`, or -1. */
function headEnd(chunk: Uint8Array, from: number, length: number): number {
  for (let i = chunk.indexOf(LF, from); i >= 0 && i < length; i = chunk.indexOf(LF, i + 1)) {
    if (i >= from + 3 && chunk[i - 1] === CR && chunk[i - 2] === LF && chunk[i - 3] === CR) {
      return i + 1;
    }
  }
  return -1;
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
}

function hexDigit(b: number): number {
  if (b >= 48 && b <= 57) return b - 48;
  if (b >= 97 && b <= 102) return b - 87;
  if (b >= 65 && b <= 70) return b - 55;
  return -1;
}
