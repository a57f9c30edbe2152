/**
 * HTTP/1.1 over a plain TCP socket, for tests that must send what `fetch` would not:
 * request targets exactly as written (`/%64ashboard`, `//x`, `/./x`, `;`), WebSocket
 * upgrade requests answered with a status we read, and bodies of any size streamed
 * with `Content-Length` or chunked while the answer is read.
 *
 * @module
 */

/** What the server answered: the status line and headers, and the body's start. */
export interface RawResponse {
  status: number;
  headers: Headers;
  /** The body read until the server closed, at most `maxBodyBytes` (101: empty). */
  body: string;
  /** Bytes of the request body the server took before it answered or closed. */
  sentBodyBytes: number;
}

/** Options for {@linkcode rawRequest}. */
export interface RawRequestOptions {
  method?: string;
  /** Extra headers; `Host` and `Connection: close` are added unless given. */
  headers?: Record<string, string>;
  /**
   * A body of `size` bytes (`x` repeated), streamed in 64 KiB writes. `framing`:
   * `length` sends `Content-Length`, `chunked` sends `Transfer-Encoding: chunked`.
   */
  body?: { size: number; framing: "length" | "chunked" };
  /** How much of the answer's body to keep; default 64 KiB. */
  maxBodyBytes?: number;
  /** Gives up after this long; default 30 s. */
  timeoutMs?: number;
}

const CHUNK = new Uint8Array(64 * 1024).fill(0x78);
const encoder = new TextEncoder();

/**
 * Sends `target` (written as is on the request line) to the server at `base`
 * (`http://host:port`) and reads the answer. A 101 answer is read up to its headers and
 * the socket closed.
 */
export async function rawRequest(
  base: string,
  target: string,
  options: RawRequestOptions = {},
): Promise<RawResponse> {
  const url = new URL(base);
  const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
  const timer = setTimeout(() => conn.close(), options.timeoutMs ?? 30_000);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* already closed by the timer */ }
  };
  try {
    const headers: Record<string, string> = {
      host: url.host,
      connection: "close",
      ...lower(options.headers ?? {}),
    };
    if (options.body?.framing === "length") headers["content-length"] = String(options.body.size);
    if (options.body?.framing === "chunked") headers["transfer-encoding"] = "chunked";
    const head = `${options.method ?? "GET"} ${target} HTTP/1.1\r\n` +
      Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("") + "\r\n";
    await writeAll(conn, encoder.encode(head));
    const answer = readAnswer(conn, options.maxBodyBytes ?? 64 * 1024);
    let answered = false;
    let sent = 0;
    // The body is written beside the read: a server that answers without reading the
    // rest stops the writes (a blocked write is cut by closing the socket).
    const writing = (async () => {
      if (!options.body) return;
      const { size, framing } = options.body;
      while (sent < size && !answered) {
        const piece = CHUNK.subarray(0, Math.min(CHUNK.length, size - sent));
        if (framing === "chunked") {
          await writeAll(conn, encoder.encode(`${piece.length.toString(16)}\r\n`));
          await writeAll(conn, piece);
          await writeAll(conn, encoder.encode("\r\n"));
        } else {
          await writeAll(conn, piece);
        }
        sent += piece.length;
      }
      if (framing === "chunked" && !answered) await writeAll(conn, encoder.encode("0\r\n\r\n"));
    })().catch(() => {
      // The server answered and closed while we were still sending: what we test for.
    });
    try {
      const response = await answer;
      return { ...response, sentBodyBytes: sent };
    } finally {
      answered = true;
      close();
      await writing;
    }
  } finally {
    close();
  }
}

function lower(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

async function readAnswer(
  conn: Deno.Conn,
  maxBodyBytes: number,
): Promise<Omit<RawResponse, "sentBodyBytes">> {
  const buffer = new Uint8Array(64 * 1024);
  let received: Uint8Array<ArrayBuffer> = new Uint8Array(0);
  let headEnd = -1;
  while (headEnd === -1) {
    const n = await conn.read(buffer);
    if (n === null) throw new Error("The server closed the connection without an answer");
    received = concat(received, buffer.subarray(0, n));
    headEnd = indexOfHeadEnd(received);
  }
  const lines = new TextDecoder().decode(received.subarray(0, headEnd)).split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0])?.[1]);
  if (!Number.isInteger(status)) throw new Error(`Cannot read the status line "${lines[0]}"`);
  const headers = new Headers();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  let body = received.subarray(headEnd + 4);
  // Read to the end of the body as framed (the connection may stay open after it).
  const length = Number(headers.get("content-length") ?? NaN);
  const chunked = /chunked/i.test(headers.get("transfer-encoding") ?? "");
  const complete = () =>
    Number.isFinite(length)
      ? body.length >= length
      : chunked && new TextDecoder().decode(body.subarray(-7)).includes("0\r\n\r\n");
  if (status !== 101 && status !== 304 && status !== 204) {
    try {
      while (body.length < maxBodyBytes && !complete()) {
        const n = await conn.read(buffer);
        if (n === null) break;
        body = concat(body, buffer.subarray(0, n));
      }
    } catch {
      // A reset after the answer (the server refusing the rest of a body) ends the read.
    }
  }
  const text = status === 101 ? "" : new TextDecoder().decode(body.subarray(0, maxBodyBytes));
  return { status, headers, body: headers.get("transfer-encoding") ? unchunk(text) : text };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function indexOfHeadEnd(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      return i;
    }
  }
  return -1;
}

function unchunk(text: string): string {
  let out = "";
  let rest = text;
  while (rest.length > 0) {
    const eol = rest.indexOf("\r\n");
    if (eol === -1) break;
    const size = parseInt(rest.slice(0, eol), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
  return out;
}
