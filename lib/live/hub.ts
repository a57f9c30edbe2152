/**
 * The web process's live fan-out: one `LISTEN` on the topic's channel (postgres.js
 * keeps it on a dedicated connection and re-listens after a reconnect), and every
 * open dashboard socket fed from it. A quiet hub sends a notification on at once
 * (after a few milliseconds to gather a burst); a busy one sends at most one message
 * per `flushMs`, with everything received meanwhile coalesced (deltas of a key summed),
 * so a worker committing many batches a second costs each tab two messages a second.
 *
 * @module
 */
import type { Sql } from "../db/client.ts";
import { liveChannel } from "./notify.ts";
import {
  decodeLiveUpdate,
  type DeltaTuple,
  type LiveMessage,
  TICKER_LENGTH,
  type TickerEvent,
} from "./protocol.ts";

/** Options for {@linkcode createLiveHub}. */
export interface LiveHubOptions {
  sql: Sql;
  /** The events topic (the channel is `liveChannel(topic)`). */
  topic: string;
  /** Least time between two messages in ms; default 500. */
  flushMs?: number;
  /** Sockets with more than this many bytes unsent are closed (they resync); default 1 MiB. */
  maxBufferedBytes?: number;
  /** Reads the ingest status pushed to sockets every `statusMs` while any is open. */
  status?: () => Promise<{ lag: number | null; eventsPerSecond: number | null }>;
  /** Status interval in ms; default 2,000. */
  statusMs?: number;
  /** Open sockets in all before new ones are refused; default 512 (`LIVE_MAX_SOCKETS`). */
  maxSockets?: number;
  /** Open sockets from one client address; default 16 (`LIVE_MAX_SOCKETS_PER_ADDRESS`). */
  maxSocketsPerAddress?: number;
}

/** The hub of one web process. */
export interface LiveHub {
  /** Random id of this process's hub. */
  readonly instance: string;
  /** Notifications received so far. */
  readonly seq: number;
  /** Open sockets. */
  readonly size: number;
  /** Starts listening; resolves once the LISTEN is active. */
  start(): Promise<void>;
  /** Stops listening and closes every socket with 1012 (service restart). */
  stop(): Promise<void>;
  /**
   * Why a new socket from `address` is refused (the caps are reached), or undefined:
   * asked before upgrading, so the client gets a 503 with the reason.
   */
  refusal(address: string): string | undefined;
  /** Adds an upgraded socket from `address`; it is removed when it closes. */
  attach(socket: WebSocket, address?: string): void;
}

const HEARTBEAT_MS = 25_000;
/** After a quiet spell, how long to wait for the rest of a burst (the worker's other partitions). */
const GATHER_MS = 10;

/** Creates the hub (not yet listening). */
export function createLiveHub(options: LiveHubOptions): LiveHub {
  const flushMs = options.flushMs ?? 500;
  const maxBuffered = options.maxBufferedBytes ?? 1 << 20;
  const maxSockets = options.maxSockets ?? 512;
  const maxPerAddress = options.maxSocketsPerAddress ?? 16;
  const instance = crypto.randomUUID().slice(0, 8);
  const sockets = new Set<WebSocket>();
  /** Every attached socket (open or opening) by client address, for the caps. */
  const attached = new Map<WebSocket, string>();
  const perAddress = new Map<string, number>();
  const pending = new Map<string, DeltaTuple>();
  let pendingEvents: TickerEvent[] = [];
  let pendingAt = 0;
  let truncated = false;
  let seq = 0;
  let lastFlush = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let statusTimer: ReturnType<typeof setInterval> | undefined;
  let statusBusy = false;
  let stopped = false;
  let unlisten: (() => Promise<void>) | undefined;
  let listens = 0;
  const channel = liveChannel(options.topic);

  function broadcast(message: LiveMessage) {
    const text = JSON.stringify(message);
    for (const socket of sockets) send(socket, text);
  }

  async function listen() {
    const listener = await options.sql.listen(channel, onNotify, () => {
      // Called again by postgres.js after it re-listened on a new connection (it keeps
      // retrying while Postgres refuses): whatever was notified in between is lost, so
      // every open dashboard refetches.
      if (++listens > 1) broadcast({ type: "resync" });
    });
    unlisten = listener.unlisten;
  }

  function send(socket: WebSocket, text: string) {
    if (socket.readyState !== WebSocket.OPEN) return;
    if (socket.bufferedAmount > maxBuffered) {
      // A client this far behind cannot catch up by deltas; it resyncs on reconnect.
      socket.close(1013, "Too far behind");
      return;
    }
    socket.send(text);
  }

  function flush() {
    timer = undefined;
    lastFlush = Date.now();
    if (pending.size === 0 && pendingEvents.length === 0 && !truncated) return;
    const message: LiveMessage = {
      type: "update",
      instance,
      seq,
      d: [...pending.values()],
      e: pendingEvents,
      at: pendingAt,
      ...(truncated ? { truncated } : {}),
    };
    pending.clear();
    pendingEvents = [];
    truncated = false;
    broadcast(message);
  }

  function onNotify(payload: string) {
    const update = decodeLiveUpdate(payload);
    if (!update) return;
    seq++;
    for (const delta of update.d) {
      const key = `${delta[0]}|${delta[1]}|${delta[2]}|${delta[3]}`;
      const existing = pending.get(key);
      if (existing) existing[4] += delta[4];
      else pending.set(key, [...delta]);
    }
    pendingEvents = [...update.e, ...pendingEvents].slice(0, TICKER_LENGTH);
    pendingAt = Math.max(pendingAt, update.at);
    truncated ||= update.truncated === true;
    timer ??= setTimeout(flush, Math.max(GATHER_MS, lastFlush + flushMs - Date.now()));
  }

  return {
    instance,
    get seq() {
      return seq;
    },
    get size() {
      return sockets.size;
    },
    async start() {
      await listen();
      heartbeat = setInterval(() => {
        for (const socket of sockets) send(socket, '{"type":"ping"}');
      }, HEARTBEAT_MS);
      const status = options.status;
      if (status) {
        statusTimer = setInterval(async () => {
          if (sockets.size === 0 || statusBusy) return;
          statusBusy = true;
          try {
            const text = JSON.stringify({ type: "status", ...await status() });
            for (const socket of sockets) send(socket, text);
          } catch {
            // The database is briefly unreachable: the next round tries again.
          } finally {
            statusBusy = false;
          }
        }, options.statusMs ?? 2_000);
      }
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      clearInterval(heartbeat);
      clearInterval(statusTimer);
      timer = heartbeat = statusTimer = undefined;
      for (const socket of sockets) {
        if (socket.readyState <= WebSocket.OPEN) socket.close(1012, "Server restarting");
      }
      sockets.clear();
      attached.clear();
      perAddress.clear();
      await unlisten?.().catch(() => {});
      unlisten = undefined;
    },
    refusal(address: string) {
      if (attached.size >= maxSockets) {
        return `Service unavailable: ${maxSockets} live dashboards are open, the limit; retry later`;
      }
      if ((perAddress.get(address) ?? 0) >= maxPerAddress) {
        return `Service unavailable: ${maxPerAddress} live dashboards are open from "${address}", the limit; close one or retry later`;
      }
      return undefined;
    },
    attach(socket: WebSocket, address = "unknown") {
      attached.set(socket, address);
      perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
      const detach = () => {
        sockets.delete(socket);
        if (!attached.delete(socket)) return;
        const left = (perAddress.get(address) ?? 1) - 1;
        if (left > 0) perAddress.set(address, left);
        else perAddress.delete(address);
      };
      const hello = () => {
        if (stopped) {
          // Upgraded on a kept-alive connection while the server shuts down.
          socket.close(1012, "Server restarting");
          return;
        }
        sockets.add(socket);
        send(socket, JSON.stringify({ type: "hello", instance, seq } satisfies LiveMessage));
      };
      if (socket.readyState === WebSocket.OPEN) hello();
      else socket.addEventListener("open", hello, { once: true });
      socket.addEventListener("close", detach, { once: true });
      socket.addEventListener("error", detach, { once: true });
    },
  };
}
