/**
 * A raw TCP client for tests that must send what `fetch` and `WebSocket` never would:
 * a request head byte by byte, a WebSocket frame header claiming 63 MiB, a connection
 * from another loopback address (node:net's `localAddress`: `127.0.0.2` is a different
 * client to the server).
 *
 * @module
 */
import net from "node:net";
import { Buffer } from "node:buffer";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A parsed HTTP response read off a raw socket. */
export interface RawResponse {
  status: number;
  headers: Headers;
  body: string;
}

/** A TCP connection with everything it received kept in order. */
export class RawSocket {
  readonly #socket: net.Socket;
  #received = new Uint8Array(0);
  #closed = false;
  #waiters: (() => void)[] = [];

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.on("data", (chunk: Buffer) => {
      const next = new Uint8Array(this.#received.length + chunk.length);
      next.set(this.#received);
      next.set(chunk, this.#received.length);
      this.#received = next;
      this.#wake();
    });
    const end = () => {
      this.#closed = true;
      this.#wake();
    };
    socket.on("end", end);
    socket.on("close", end);
    socket.on("error", end); // a reset: what was received stays readable
  }

  /** Connects to `127.0.0.1:port`, from `localAddress` when given. */
  static connect(port: number, localAddress?: string): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: "127.0.0.1", port, localAddress });
      socket.once("connect", () => resolve(new RawSocket(socket)));
      socket.once("error", reject);
    });
  }

  /** True once the server closed (or reset) the connection. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes received so far, not yet taken. */
  get received(): Uint8Array {
    return this.#received;
  }

  /** Sends `data`; resolves once handed to the OS (false if the connection is gone). */
  write(data: string | Uint8Array): Promise<boolean> {
    if (this.#closed || this.#socket.destroyed) return Promise.resolve(false);
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    return new Promise((resolve) => this.#socket.write(bytes, (error) => resolve(!error)));
  }

  /** Waits until `done(received, closed)` holds; throws after `timeoutMs`. */
  async waitFor(
    what: string,
    done: (received: Uint8Array, closed: boolean) => boolean,
    timeoutMs = 10_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.#received, this.#closed)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`No ${what} within ${timeoutMs} ms`);
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, Math.min(left, 200));
        this.#waiters.push(() => {
          clearTimeout(timer);
          wake();
        });
      });
    }
  }

  /** Waits for the server to close the connection; resolves to the time it took. */
  async waitClosed(timeoutMs = 10_000): Promise<number> {
    const start = Date.now();
    await this.waitFor("close", (_, closed) => closed, timeoutMs);
    return Date.now() - start;
  }

  /** Reads one complete response (by Content-Length) and takes its bytes. */
  async readResponse(timeoutMs = 10_000): Promise<RawResponse> {
    let response: RawResponse | undefined;
    let length = 0;
    await this.waitFor("complete response", (received, closed) => {
      const parsed = parseResponse(received);
      if (parsed) [response, length] = parsed;
      if (!response && closed) throw new Error(`Connection closed: "${decoder.decode(received)}"`);
      return response !== undefined;
    }, timeoutMs);
    this.#received = this.#received.slice(length);
    return response!;
  }

  /** Takes `n` received bytes (waiting for them). */
  async take(n: number, timeoutMs = 10_000): Promise<Uint8Array> {
    await this.waitFor(`${n} bytes`, (received) => received.length >= n, timeoutMs);
    const bytes = this.#received.slice(0, n);
    this.#received = this.#received.slice(n);
    return bytes;
  }

  /** Half-closes: sends FIN, keeps reading. */
  end(): void {
    this.#socket.end();
  }

  close(): void {
    this.#socket.destroy();
  }

  #wake() {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}

/** A response at the start of `bytes` and its length, or undefined while incomplete. */
function parseResponse(bytes: Uint8Array): [RawResponse, number] | undefined {
  const text = decoder.decode(bytes);
  const headEnd = text.indexOf("\r\n\r\n");
  if (headEnd < 0) return undefined;
  const [statusLine, ...lines] = text.slice(0, headEnd).split("\r\n");
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  const headBytes = encoder.encode(text.slice(0, headEnd + 4)).length;
  const length = Number(headers.get("content-length") ?? 0);
  if (bytes.length < headBytes + length) return undefined;
  const body = decoder.decode(bytes.subarray(headBytes, headBytes + length));
  return [{ status: Number(statusLine.split(" ")[1]), headers, body }, headBytes + length];
}

/** The head of a WebSocket upgrade request for `path`. */
export function upgradeRequest(path: string, headers: Record<string, string> = {}): string {
  const lines = [
    `GET ${path} HTTP/1.1`,
    "Host: 127.0.0.1",
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Key: ${
      btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))))
    }`,
    "Sec-WebSocket-Version: 13",
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/** Opens a WebSocket by hand: resolves to the socket after a 101, or the refusing response. */
export async function openRawWebSocket(
  port: number,
  path: string,
  options: { localAddress?: string; headers?: Record<string, string> } = {},
): Promise<{ socket: RawSocket; response: RawResponse }> {
  const socket = await RawSocket.connect(port, options.localAddress);
  await socket.write(upgradeRequest(path, options.headers));
  await socket.waitFor("upgrade response", (received) => {
    return decoder.decode(received).includes("\r\n\r\n");
  });
  const text = decoder.decode(socket.received);
  if (text.startsWith("HTTP/1.1 101")) {
    const headLength = encoder.encode(text.slice(0, text.indexOf("\r\n\r\n") + 4)).length;
    await socket.take(headLength);
    return { socket, response: { status: 101, headers: new Headers(), body: "" } };
  }
  return { socket, response: await socket.readResponse() };
}

/**
 * A masked client frame header for a payload of `length` bytes (the payload may then
 * be sent in part, or not at all).
 */
export function clientFrameHeader(opcode: number, length: number, fin = true): Uint8Array {
  const bytes = [(fin ? 0x80 : 0) | opcode];
  if (length < 126) bytes.push(0x80 | length);
  else if (length < 65536) bytes.push(0x80 | 126, length >> 8, length & 0xff);
  else {
    bytes.push(0x80 | 127, 0, 0, 0, 0);
    bytes.push(length >>> 24, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff);
  }
  bytes.push(0, 0, 0, 0); // the zero mask: the payload goes as is
  return Uint8Array.from(bytes);
}

/** A complete masked client frame with `payload`. */
export function clientFrame(opcode: number, payload: string | Uint8Array): Uint8Array {
  const body = typeof payload === "string" ? encoder.encode(payload) : payload;
  const header = clientFrameHeader(opcode, body.length);
  const frame = new Uint8Array(header.length + body.length);
  frame.set(header);
  frame.set(body, header.length);
  return frame;
}

/** A server frame read off `socket`: its opcode and payload (close: code and reason). */
export async function readServerFrame(
  socket: RawSocket,
  timeoutMs = 10_000,
): Promise<{ opcode: number; payload: Uint8Array; code?: number; reason?: string }> {
  const head = await socket.take(2, timeoutMs);
  let length = head[1] & 0x7f;
  if (length === 126) {
    const ext = await socket.take(2, timeoutMs);
    length = (ext[0] << 8) | ext[1];
  } else if (length === 127) {
    const ext = await socket.take(8, timeoutMs);
    length = ext.reduce((n, b) => n * 256 + b, 0);
  }
  const payload = await socket.take(length, timeoutMs);
  const opcode = head[0] & 0x0f;
  if (opcode !== 8 || length < 2) return { opcode, payload };
  return {
    opcode,
    payload,
    code: (payload[0] << 8) | payload[1],
    reason: decoder.decode(payload.subarray(2)),
  };
}
