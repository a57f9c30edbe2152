/**
 * A connection guard in front of `Deno.serve`, for what its options cannot bound (Deno
 * 2.9): it has no header-read timeout (a partial request head stays open for good), no
 * limit on connections, and `Deno.upgradeWebSocket` buffers frames up to 64 MiB
 * (denoland/deno#15809). The guard owns the public port; the real server listens on a
 * private unix socket, one upstream connection per client connection, and per
 * connection the guard:
 * - refuses at accept, with 503 and `Retry-After`, a connection over the cap per client
 *   address or in total;
 * - reads each request head with a size cap (431) and a deadline from its first byte
 *   (408), closes a kept-alive connection idle between requests or stalled in a body;
 * - frames bodies by `Content-Length` only (411 for `Transfer-Encoding`: browsers never
 *   send chunked requests, and one framing rule keeps the guard and server agreeing);
 * - tells the server the TCP peer in {@linkcode PEER_HEADER}, removing any client copy;
 * - after a `101`, refuses a client WebSocket message over the limit at its frame
 *   header with close code 1009, before a byte of its payload is forwarded.
 * Responses pass through byte for byte; the guard reads them only to know where they end.
 *
 * @module
 */
import { leadingBlankLines, readRequestHead } from "./http_head.ts";
import { ResponseScanner } from "./response_scanner.ts";
import { closeFrame, type FrameRefusal, FrameScanner } from "./ws_frames.ts";

/** The header in which the guard passes the client's TCP address (`host:port`) on. */
export const PEER_HEADER = "x-conn-guard-peer";

/** The limits the guard enforces (defaults and variables: `lib/process/config.ts`). */
export interface ConnectionLimits {
  /** Open client connections in all; more are refused with 503. */
  maxConnections: number;
  /** Open connections from one client address; more are refused with 503. */
  maxConnectionsPerAddress: number;
  /** Time from a request head's first byte to its blank line; then 408 and close. */
  headerTimeoutMs: number;
  /** Time a connection may wait for a client between requests or in a body, or for it to read. */
  idleTimeoutMs: number;
  /** Largest request head; larger ones are refused with 431. */
  maxHeaderBytes: number;
  /** Largest client WebSocket message; larger ones are refused with close code 1009. */
  maxWebSocketMessageBytes: number;
}

/** Options for {@linkcode startConnectionGuard}. */
export interface ConnectionGuardOptions extends ConnectionLimits {
  hostname: string;
  /** The public port; 0 picks a free one. */
  port: number;
  /** The real server's unix socket. */
  upstream: string;
  /**
   * Peers that carry many clients (the proxies `TRUST_PROXY` names): only the total cap
   * applies to them. Default: none.
   */
  isSharedPeer?: (address: string) => boolean;
}

/** What the guard refused or cut so far. */
export interface GuardStats {
  /** Open client connections. */
  open: number;
  /** Connections refused at accept (per-address or total cap). */
  refusedConnections: number;
  /** Request heads refused (malformed 400, too large 431, Transfer-Encoding 411, …). */
  refusedRequests: number;
  /** Connections closed for a slow head (408), idleness or a stalled read. */
  timedOut: number;
  /** WebSocket connections closed for a message over the limit or a protocol error. */
  refusedFrames: number;
}

/** A running guard. */
export interface ConnectionGuard {
  /** The public address (the port chosen when 0 was asked for). */
  readonly addr: Deno.NetAddr;
  stats(): GuardStats;
  /** Stops accepting connections; open ones go on. */
  stopAccepting(): void;
  /** Stops accepting, gives open connections `graceMs` (default 2,000) to end, closes the rest. */
  close(graceMs?: number): Promise<void>;
}

/** How long a refused connection is drained before it is closed, so the client reads the answer. */
const LINGER_MS = 1_000;
/** At most this many refused connections linger at once; beyond, they close at once. */
const MAX_LINGERING = 256;
const READ_BUFFER = 16 * 1024;
const RETRY_AFTER_S = 5;

/** Starts the guard on `hostname:port`; throws if the port cannot be had. */
export function startConnectionGuard(options: ConnectionGuardOptions): ConnectionGuard {
  const listener = Deno.listen({ hostname: options.hostname, port: options.port });
  const connections = new Set<GuardedConnection>();
  const perAddress = new Map<string, number>();
  const isShared = options.isSharedPeer ?? (() => false);
  const stats: GuardStats = {
    open: 0,
    refusedConnections: 0,
    refusedRequests: 0,
    timedOut: 0,
    refusedFrames: 0,
  };
  let lingering = 0;
  let connecting = 0;
  let accepting = true;

  const tick = Math.min(
    1_000,
    Math.max(25, Math.min(options.headerTimeoutMs, options.idleTimeoutMs) / 4),
  );
  const sweeper = setInterval(function sweepDeadlines() {
    const now = Date.now();
    for (const connection of connections) connection.checkDeadlines(now);
  }, tick);

  function forget(address: string) {
    const left = (perAddress.get(address) ?? 1) - 1;
    if (left > 0) perAddress.set(address, left);
    else perAddress.delete(address);
  }

  function release(connection: GuardedConnection) {
    if (connections.delete(connection)) forget(connection.address);
  }

  async function refuseAtAccept(conn: Deno.TcpConn, message: string) {
    stats.refusedConnections++;
    const linger = lingering < MAX_LINGERING;
    if (linger) lingering++;
    try {
      await writeAll(conn, plainResponse(503, message, { "retry-after": String(RETRY_AFTER_S) }));
      if (linger) {
        await conn.closeWrite();
        await drain(conn, LINGER_MS);
      }
    } catch {
      // The client went away: nothing to tell it.
    } finally {
      if (linger) lingering--;
      closeQuietly(conn);
    }
  }

  async function admit(conn: Deno.TcpConn) {
    const address = (conn.remoteAddr as Deno.NetAddr).hostname;
    if (connections.size + connecting >= options.maxConnections) {
      return refuseAtAccept(
        conn,
        `Service unavailable: the server has ${options.maxConnections} connections open, its limit; retry later`,
      );
    }
    const count = perAddress.get(address) ?? 0;
    if (count >= options.maxConnectionsPerAddress && !isShared(address)) {
      return refuseAtAccept(
        conn,
        `Service unavailable: too many connections from "${address}", the limit is ${options.maxConnectionsPerAddress}; retry later`,
      );
    }
    perAddress.set(address, count + 1);
    let upstream: Deno.UnixConn;
    connecting++; // counted in the total while its upstream connection is made
    try {
      upstream = await Deno.connect({ transport: "unix", path: options.upstream });
    } catch {
      forget(address);
      return refuseAtAccept(conn, "Service unavailable: the server is not ready; retry later");
    } finally {
      connecting--;
    }
    const connection = new GuardedConnection(conn, upstream, address, options, stats, release);
    connections.add(connection);
    connection.run();
  }

  const accepted = (async function acceptLoop() {
    while (accepting) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (!accepting || error instanceof Deno.errors.BadResource) return;
        // Out of file descriptors or a connection reset before accept: try again soon.
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      try {
        conn.setNoDelay(true);
      } catch {
        closeQuietly(conn);
        continue;
      }
      admit(conn).catch(() => closeQuietly(conn));
    }
  })();

  function stopAccepting() {
    if (!accepting) return;
    accepting = false;
    closeQuietly(listener);
  }

  return {
    addr: listener.addr,
    stats: () => ({ ...stats, open: connections.size }),
    stopAccepting,
    async close(graceMs = 2_000) {
      stopAccepting();
      await accepted;
      const deadline = Date.now() + graceMs;
      while (connections.size > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      for (const connection of connections) connection.destroy();
      clearInterval(sweeper);
      // Refused connections still lingering end within LINGER_MS.
      while (lingering > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    },
  };
}

/** A forwarded request whose response is awaited. */
interface Pending {
  method: string;
  /** For an upgrade request: told true when the server answered 101, false otherwise. */
  settle?: (upgraded: boolean) => void;
}

const enum Mode {
  Head,
  Body,
  WebSocket,
  /** Refused or closing: client bytes are read and dropped until EOF or the linger deadline. */
  Discard,
}

/** One client connection and its upstream connection. */
class GuardedConnection {
  readonly address: string;
  readonly #client: Deno.TcpConn;
  readonly #upstream: Deno.UnixConn;
  readonly #limits: ConnectionLimits;
  readonly #stats: GuardStats;
  readonly #release: (connection: GuardedConnection) => void;
  readonly #peerLine: Uint8Array;
  readonly #pending: Pending[] = [];
  readonly #responses: ResponseScanner;
  #mode = Mode.Head;
  #bodyLeft = 0;
  #clientFrames?: FrameScanner;
  #serverFrames?: FrameScanner;
  /** A close frame to send the client at the server's next frame boundary. */
  #closeFrame?: Uint8Array;
  #writes: Promise<void> = Promise.resolve();
  #headDeadline = Infinity;
  #idleDeadline = Infinity;
  #writeDeadline = Infinity;
  #partialHead = false;
  /** The answer to the upgrade request being forwarded. */
  #upgrade?: Promise<boolean>;
  #upstreamClosed = false;
  #closeSent = false;
  #clientDone = false;
  #serverDone = false;
  #destroyed = false;
  #drained?: () => void;

  constructor(
    client: Deno.TcpConn,
    upstream: Deno.UnixConn,
    address: string,
    limits: ConnectionLimits,
    stats: GuardStats,
    release: (connection: GuardedConnection) => void,
  ) {
    this.#client = client;
    this.#upstream = upstream;
    this.address = address;
    this.#limits = limits;
    this.#stats = stats;
    this.#release = release;
    const port = (client.remoteAddr as Deno.NetAddr).port;
    this.#peerLine = new TextEncoder().encode(`${PEER_HEADER}: ${address}:${port}\r\n`);
    this.#responses = new ResponseScanner(() => this.#pending[0]?.method === "HEAD");
  }

  run() {
    this.#idleDeadline = Date.now() + this.#limits.idleTimeoutMs;
    this.#clientLoop().catch(() => this.destroy());
    // Reading a socket the guard closed itself (refusing, closing) fails: that is no error.
    this.#serverLoop().catch(() => this.#upstreamClosed || this.destroy());
  }

  /** Called by the guard's sweep with the current time. */
  checkDeadlines(now: number) {
    if (now >= this.#headDeadline) {
      this.#headDeadline = Infinity;
      this.#stats.timedOut++;
      if (this.#pending.length === 0) {
        this.#refuse(
          408,
          `Request timeout: send the request head within ${this.#limits.headerTimeoutMs} ms`,
        );
      } else {
        this.destroy();
      }
    } else if (now >= this.#idleDeadline) {
      if (this.#mode !== Mode.Discard) this.#stats.timedOut++;
      this.destroy();
    } else if (now >= this.#writeDeadline) {
      this.#stats.timedOut++;
      this.destroy();
    }
  }

  destroy() {
    if (this.#destroyed) return;
    this.#destroyed = true;
    closeQuietly(this.#client);
    closeQuietly(this.#upstream);
    for (const pending of this.#pending.splice(0)) pending.settle?.(false);
    this.#drained?.();
    this.#release(this);
  }

  /** Reads the client: request heads and bodies, or WebSocket frames after a 101. */
  async #clientLoop() {
    const buffer = new Uint8Array(Math.max(READ_BUFFER, this.#limits.maxHeaderBytes));
    let filled = 0;
    let scanned = 0;
    while (true) {
      const n = await this.#client.read(buffer.subarray(filled));
      if (n === null) break;
      if (this.#mode === Mode.Discard) {
        filled = 0;
        continue;
      }
      filled += n;
      let at = 0;
      while (at < filled && !this.#discarding()) {
        if (this.#mode === Mode.Body) {
          this.#idleDeadline = Date.now() + this.#limits.idleTimeoutMs;
          const take = Math.min(this.#bodyLeft, filled - at);
          await this.#toUpstream(buffer.subarray(at, at + take));
          at += take;
          this.#bodyLeft -= take;
          if (this.#bodyLeft === 0) await this.#requestSent();
          continue;
        }
        if (this.#mode === Mode.WebSocket) {
          const chunk = buffer.subarray(at, filled);
          const refusal = this.#clientFrames!.scan(chunk, chunk.length);
          await this.#toUpstream(chunk.subarray(0, refusal?.offset ?? chunk.length));
          at = filled;
          if (refusal) this.#refuseFrame(refusal);
          continue;
        }
        if (!this.#partialHead) {
          at += leadingBlankLines(buffer.subarray(at, filled), filled - at);
          if (at === filled) break;
          this.#partialHead = true;
          this.#idleDeadline = Infinity;
          this.#headDeadline = Date.now() + this.#limits.headerTimeoutMs;
        }
        const result = readRequestHead(buffer.subarray(at, filled), filled - at, {
          maxHeaderBytes: this.#limits.maxHeaderBytes,
          peerHeader: PEER_HEADER,
          peerLine: this.#peerLine,
          from: scanned,
        });
        if (result.kind === "partial") {
          // Keep the head at the buffer's start, so it can grow to the limit.
          buffer.copyWithin(0, at, filled);
          filled -= at;
          at = 0;
          scanned = result.scanned;
          break;
        }
        this.#partialHead = false;
        this.#headDeadline = Infinity;
        scanned = 0;
        if (result.kind === "refused") {
          this.#stats.refusedRequests++;
          await this.#whenDrained();
          this.#refuse(result.refusal.status, result.refusal.message);
          break;
        }
        const { head } = result;
        const pending: Pending = { method: head.method };
        if (head.upgrade) this.#upgrade = new Promise((resolve) => (pending.settle = resolve));
        this.#pending.push(pending);
        await this.#toUpstream(head.forward);
        at += head.end;
        this.#bodyLeft = head.contentLength;
        if (this.#bodyLeft > 0) {
          this.#mode = Mode.Body;
          this.#idleDeadline = Date.now() + this.#limits.idleTimeoutMs;
        } else {
          await this.#requestSent();
        }
      }
      if (this.#discarding()) {
        filled = 0;
      } else if (!this.#partialHead || this.#mode !== Mode.Head) {
        if (at < filled) buffer.copyWithin(0, at, filled);
        filled -= at;
      }
    }
    this.#clientDone = true;
    if (this.#mode === Mode.WebSocket) {
      // The server's WebSocket sees the end and closes.
      await this.#upstream.closeWrite().catch(() => this.destroy());
    } else if (this.#mode === Mode.Head && !this.#serverDone) {
      // A client that half-closes after its requests still gets their responses (the
      // server would drop a response still in the making on seeing the end).
      await this.#whenDrained();
      await this.#writes;
      this.destroy();
    } else {
      this.destroy();
    }
  }

  /** Whether client bytes are dropped (a method: the mode changes across awaits). */
  #discarding(): boolean {
    return this.#mode === Mode.Discard;
  }

  /** A request was forwarded whole; after an upgrade request, waits for the answer. */
  async #requestSent() {
    if (this.#mode === Mode.Body) this.#mode = Mode.Head;
    // The client waits for the response now; the server may take its time.
    this.#idleDeadline = Infinity;
    const upgrade = this.#upgrade;
    this.#upgrade = undefined;
    if (!upgrade) return;
    const upgraded = await upgrade;
    if (upgraded && this.#mode === Mode.Head && !this.#destroyed) {
      this.#mode = Mode.WebSocket;
      this.#clientFrames = new FrameScanner({
        maxMessageBytes: this.#limits.maxWebSocketMessageBytes,
      });
      this.#idleDeadline = Infinity;
    }
  }

  /** Reads the server: responses, or WebSocket frames after a 101. */
  async #serverLoop() {
    const buffer = new Uint8Array(READ_BUFFER);
    while (true) {
      const n = await this.#upstream.read(buffer);
      if (n === null) break;
      if (this.#closeFrame && !this.#closeSent) {
        await this.#forwardServerFrames(buffer, n);
        continue;
      }
      if (this.#mode === Mode.Discard) continue;
      if (this.#serverFrames) {
        await this.#forwardServerFrames(buffer, n);
        continue;
      }
      let at = 0;
      let completed = 0;
      let upgradedAt = -1;
      while (at < n) {
        const [event, end] = this.#responses.scan(buffer, at, n);
        at = end;
        if (event === "complete") completed++;
        if (event === "upgraded") {
          upgradedAt = end;
          break;
        }
      }
      const written = this.#toClient(buffer.subarray(0, n));
      // Settled after the write is queued, so what the client loop sends next follows it.
      for (let i = 0; i < completed; i++) this.#pending.shift()?.settle?.(false);
      if (upgradedAt >= 0) {
        this.#serverFrames = new FrameScanner();
        this.#serverFrames.scan(buffer.subarray(upgradedAt, n), n - upgradedAt);
        this.#pending.shift()?.settle?.(true);
      }
      if (completed > 0 && this.#pending.length === 0) this.#onDrained();
      await written;
    }
    this.#serverDone = true;
    await this.#writes;
    if (this.#clientDone) {
      this.destroy();
    } else {
      this.#linger();
    }
  }

  async #forwardServerFrames(buffer: Uint8Array, n: number) {
    const frames = this.#serverFrames!;
    if (!this.#closeFrame) {
      frames.scan(buffer, n);
      await this.#toClient(buffer.subarray(0, n));
      return;
    }
    const end = frames.boundary(buffer, n);
    await this.#toClient(buffer.subarray(0, end));
    if (frames.atBoundary) this.#sendCloseFrame();
  }

  /** No response is awaited: arm the idle deadline and wake a refusal waiting to be sent. */
  #onDrained() {
    if (this.#mode === Mode.Head && !this.#partialHead) {
      this.#idleDeadline = Date.now() + this.#limits.idleTimeoutMs;
    }
    const drained = this.#drained;
    this.#drained = undefined;
    drained?.();
  }

  /** Resolves once every forwarded request has its response (a refusal must not cut one). */
  #whenDrained(): Promise<void> {
    if (this.#pending.length === 0 || this.#destroyed) return Promise.resolve();
    return new Promise((resolve) => (this.#drained = resolve));
  }

  /** Answers `status` with `message`, then drains and closes the connection. */
  #refuse(status: number, message: string) {
    if (this.#destroyed || this.#mode === Mode.Discard) return;
    this.#toClient(plainResponse(status, message)).catch(() => this.destroy());
    this.#linger();
  }

  /** A client frame broke the limits: close the WebSocket between two server frames. */
  #refuseFrame(refusal: FrameRefusal) {
    this.#stats.refusedFrames++;
    this.#closeFrame = closeFrame(refusal.code, refusal.reason);
    const mode = this.#mode;
    this.#mode = Mode.Discard;
    if (mode === Mode.WebSocket && this.#serverFrames!.atBoundary) this.#sendCloseFrame();
    else this.#idleDeadline = Date.now() + LINGER_MS; // the server's frame never ends: give up
  }

  #sendCloseFrame() {
    this.#closeSent = true;
    this.#toClient(this.#closeFrame!).catch(() => this.destroy());
    this.#closeUpstream();
    this.#lingerAfterWrites();
  }

  /** Stops forwarding; half-closes the client after the queued writes and drains it briefly. */
  #linger() {
    this.#mode = Mode.Discard;
    this.#closeUpstream();
    this.#lingerAfterWrites();
  }

  #closeUpstream() {
    this.#upstreamClosed = true;
    closeQuietly(this.#upstream);
    for (const pending of this.#pending.splice(0)) pending.settle?.(false);
  }

  #lingerAfterWrites() {
    this.#idleDeadline = Date.now() + LINGER_MS + this.#limits.idleTimeoutMs;
    this.#writes.then(() => {
      if (this.#destroyed) return;
      if (this.#clientDone) return this.destroy();
      this.#client.closeWrite().catch(() => this.destroy());
      this.#idleDeadline = Date.now() + LINGER_MS;
    });
  }

  async #toUpstream(bytes: Uint8Array) {
    if (bytes.length > 0) await writeAll(this.#upstream, bytes);
  }

  /** Queues `bytes` for the client behind earlier writes; resolves once written. */
  #toClient(bytes: Uint8Array): Promise<void> {
    const write = this.#writes.then(async () => {
      if (this.#destroyed) return;
      this.#writeDeadline = Date.now() + this.#limits.idleTimeoutMs;
      await writeAll(this.#client, bytes);
      this.#writeDeadline = Infinity;
    });
    this.#writes = write.catch(() => this.destroy());
    return write;
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array) {
  let at = 0;
  while (at < bytes.length) at += await conn.write(bytes.subarray(at));
}

/** Reads and drops what a refused client still sends, for up to `ms`. */
async function drain(conn: Deno.Conn, ms: number) {
  const buffer = new Uint8Array(4096);
  const timer = setTimeout(() => closeQuietly(conn), ms);
  try {
    while ((await conn.read(buffer)) !== null) { /* dropped */ }
  } catch {
    // Closed by the timer, or reset by the client.
  } finally {
    clearTimeout(timer);
  }
}

function closeQuietly(resource: { close(): void }) {
  try {
    resource.close();
  } catch {
    // Already closed.
  }
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  405: "Method Not Allowed",
  408: "Request Timeout",
  411: "Length Required",
  431: "Request Header Fields Too Large",
  503: "Service Unavailable",
  505: "HTTP Version Not Supported",
};

/** A complete `Connection: close` response with a plain-text `message`. */
export function plainResponse(
  status: number,
  message: string,
  headers: Record<string, string> = {},
): Uint8Array {
  const body = new TextEncoder().encode(message);
  let head = `HTTP/1.1 ${status} ${REASONS[status] ?? "Error"}\r\n` +
    `content-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\n` +
    `connection: close\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  const headBytes = new TextEncoder().encode(`${head}\r\n`);
  const out = new Uint8Array(headBytes.length + body.length);
  out.set(headBytes);
  out.set(body, headBytes.length);
  return out;
}
