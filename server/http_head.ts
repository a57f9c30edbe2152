/**
 * The request head as the connection guard reads it, on bytes, before the real server
 * sees them: where the head ends, whether it is well formed, how long its body is, and
 * whether it asks for an upgrade. It is strict where servers could disagree on framing
 * (bare LF, folded lines, duplicate or odd `Content-Length`, `Transfer-Encoding`), so the
 * guard and the server behind it always agree where one request ends and the next one
 * begins. The head it forwards is the client's, with the guard's peer header added and
 * every client copy of it (and `Sec-WebSocket-Extensions`: no compression, so a frame's
 * length is its message's size) removed.
 *
 * @module
 */

const CR = 13;
const LF = 10;
const SP = 32;
const HTAB = 9;
const COLON = 58;

/** Header names (lower case) the guard removes from every request it forwards. */
const DROPPED = new Set(["sec-websocket-extensions"]);

/** A request head the guard accepted. */
export interface RequestHead {
  /** The method, e.g. `GET`. */
  method: string;
  /** Bytes from the start of the buffer to the end of the blank line. */
  end: number;
  /** Body bytes that follow the head (`Content-Length`, else 0). */
  contentLength: number;
  /** The client asked to switch protocols (`Upgrade` header). */
  upgrade: boolean;
  /** The head to forward: the client's, with `peerLine` added and dropped headers removed. */
  forward: Uint8Array;
}

/** A request head the guard refuses: answer `status` with `message` and close. */
export interface HeadRefusal {
  status: number;
  message: string;
}

/** What {@linkcode readRequestHead} found. */
export type HeadResult =
  | { kind: "partial"; /** Where to resume scanning once more bytes arrived. */ scanned: number }
  | { kind: "head"; head: RequestHead }
  | { kind: "refused"; refusal: HeadRefusal };

/** Options for {@linkcode readRequestHead}. */
export interface ReadHeadOptions {
  /** Largest head accepted, blank line included; larger ones are refused with 431. */
  maxHeaderBytes: number;
  /** The guard's header, lower case; client copies are removed. */
  peerHeader: string;
  /** `<peerHeader>: <address>\r\n`, inserted after the request line. */
  peerLine: Uint8Array;
  /** Where a previous call stopped scanning (its `scanned`), 0 at first. */
  from?: number;
}

/**
 * Reads the request head at the start of `bytes[0, length)`: `partial` while its blank
 * line has not arrived (resume at `scanned`, so a head sent byte by byte costs linear
 * time), the accepted head, or the refusal to answer.
 */
export function readRequestHead(
  bytes: Uint8Array,
  length: number,
  options: ReadHeadOptions,
): HeadResult {
  const end = findHeadEnd(bytes, length, options.from ?? 0);
  if (end < 0) {
    if (end === BARE_LF) return refuse(400, "Bad request: lines must end with CRLF");
    if (length >= options.maxHeaderBytes) return tooLarge(options.maxHeaderBytes);
    return { kind: "partial", scanned: Math.max(0, length - 3) };
  }
  if (end > options.maxHeaderBytes) return tooLarge(options.maxHeaderBytes);
  return parseHead(bytes, end, options);
}

/** How many bytes of blank lines (CRLF) start `bytes[0, length)`: ignored before a head. */
export function leadingBlankLines(bytes: Uint8Array, length: number): number {
  let i = 0;
  while (i + 1 < length && bytes[i] === CR && bytes[i + 1] === LF) i += 2;
  return i;
}

const BARE_LF = -2;

/** The index after CRLFCRLF, -1 if not there yet, {@linkcode BARE_LF} on a LF without CR. */
function findHeadEnd(bytes: Uint8Array, length: number, from: number): number {
  for (let i = from; i < length; i++) {
    if (bytes[i] !== LF) continue;
    if (i === 0 || bytes[i - 1] !== CR) return BARE_LF;
    if (i >= 3 && bytes[i - 2] === LF && bytes[i - 3] === CR) return i + 1;
  }
  return -1;
}

function refuse(status: number, message: string): HeadResult {
  return { kind: "refused", refusal: { status, message } };
}

function tooLarge(max: number): HeadResult {
  return refuse(431, `Request header fields too large: the limit is ${max} bytes`);
}

/** `bytes[start, end)` as a string of Latin-1 characters (no op call: heads are short). */
function latin1(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
}

function parseHead(bytes: Uint8Array, end: number, options: ReadHeadOptions): HeadResult {
  // The request line: method SP target SP version CRLF.
  const lineEnd = bytes.indexOf(LF, 0);
  const requestLine = latin1(bytes, 0, lineEnd - 1);
  const parts = requestLine.split(" ");
  if (parts.length !== 3 || !isToken(parts[0]) || !isTarget(parts[1])) {
    return refuse(400, `Bad request: malformed request line "${printable(requestLine)}"`);
  }
  const [method, , version] = parts;
  if (version !== "HTTP/1.1" && version !== "HTTP/1.0") {
    return refuse(505, `HTTP version not supported: "${printable(version)}"; use HTTP/1.1`);
  }
  if (method === "CONNECT") return refuse(405, 'Method not allowed: "CONNECT"');

  let contentLength: string | undefined;
  let upgrade = false;
  let transferEncoding = false;
  // Byte ranges of the lines to forward; dropped lines split them.
  const keep: [number, number][] = [];
  let keepFrom = lineEnd + 1;
  let start = lineEnd + 1;
  while (start < end - 2) {
    const stop = bytes.indexOf(LF, start); // the LF of this header line (CR before it)
    const first = bytes[start];
    if (first === SP || first === HTAB) {
      return refuse(400, "Bad request: folded header lines are not accepted");
    }
    const colon = bytes.indexOf(COLON, start);
    if (colon < 0 || colon > stop) return refuse(400, "Bad request: header line without a colon");
    const name = latin1(bytes, start, colon).toLowerCase();
    if (!isToken(name)) return refuse(400, `Bad request: invalid header name "${printable(name)}"`);
    for (let i = colon + 1; i < stop - 1; i++) {
      const b = bytes[i];
      if ((b < SP && b !== HTAB) || b === 127) {
        return refuse(400, `Bad request: control character in header "${name}"`);
      }
    }
    if (name === options.peerHeader || DROPPED.has(name)) {
      if (start > keepFrom) keep.push([keepFrom, start]);
      keepFrom = stop + 1;
    } else if (name === "content-length") {
      const value = latin1(bytes, colon + 1, stop - 1).trim();
      if (!/^\d{1,15}$/.test(value)) {
        return refuse(400, `Bad request: invalid Content-Length "${printable(value)}"`);
      }
      if (contentLength !== undefined && Number(contentLength) !== Number(value)) {
        return refuse(400, "Bad request: conflicting Content-Length headers");
      }
      contentLength = value;
    } else if (name === "transfer-encoding") {
      transferEncoding = true;
    } else if (name === "upgrade") {
      upgrade = true;
    }
    start = stop + 1;
  }
  if (transferEncoding) {
    return refuse(
      411,
      "Length required: send the request body with Content-Length, not Transfer-Encoding",
    );
  }
  keep.push([keepFrom, end]);
  return {
    kind: "head",
    head: {
      method,
      end,
      contentLength: contentLength === undefined ? 0 : Number(contentLength),
      upgrade,
      forward: assemble(bytes, lineEnd + 1, options.peerLine, keep),
    },
  };
}

/** The request line, the peer line, then the kept ranges, in one buffer. */
function assemble(
  bytes: Uint8Array,
  requestLineEnd: number,
  peerLine: Uint8Array,
  keep: [number, number][],
): Uint8Array {
  let size = requestLineEnd + peerLine.length;
  for (const [from, to] of keep) size += to - from;
  const out = new Uint8Array(size);
  out.set(bytes.subarray(0, requestLineEnd), 0);
  out.set(peerLine, requestLineEnd);
  let at = requestLineEnd + peerLine.length;
  for (const [from, to] of keep) {
    out.set(bytes.subarray(from, to), at);
    at += to - from;
  }
  return out;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function isToken(value: string): boolean {
  return TOKEN.test(value);
}

function isTarget(value: string): boolean {
  // Visible ASCII only: no spaces, controls or raw 8-bit bytes (browsers percent-encode).
  return value.length > 0 && /^[\x21-\x7e]+$/.test(value);
}

/** `value` cut to 64 characters with controls escaped, for an error message. */
function printable(value: string): string {
  const cut = value.length > 64 ? `${value.slice(0, 64)}…` : value;
  return cut.replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
