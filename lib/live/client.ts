/**
 * The browser side of `/api/live`: one WebSocket that reconnects with exponential
 * backoff (with jitter, so a restarted server is not hit by every tab at once) and
 * tells the dashboard when it (re)connected, so it can resynchronize.
 *
 * @module
 */
import type { LiveMessage } from "./protocol.ts";

/** What the connection reports. */
export interface LiveClientHandlers {
  /** A `hello` arrived on a new connection. */
  onHello(message: Extract<LiveMessage, { type: "hello" }>): void;
  /** An update arrived. */
  onUpdate(message: Extract<LiveMessage, { type: "update" }>): void;
  /** The server may have missed notifications: refetch the summary. */
  onResync?(): void;
  /** Ingest status (lag, rate), pushed every few seconds. */
  onStatus?(status: { lag: number | null; eventsPerSecond: number | null }): void;
  /** The connection opened or closed. */
  onState(state: "live" | "connecting" | "offline"): void;
}

/** Options for {@linkcode connectLive}. */
export interface LiveClientOptions {
  /** First retry delay in ms; default 250. Doubles up to `maxDelayMs`. */
  initialDelayMs?: number;
  /** Longest retry delay; default 5,000. */
  maxDelayMs?: number;
}

/** Opens the live socket; returns a function that closes it for good. */
export function connectLive(
  handlers: LiveClientHandlers,
  options: LiveClientOptions = {},
): () => void {
  const initial = options.initialDelayMs ?? 250;
  const max = options.maxDelayMs ?? 5_000;
  let attempt = 0;
  let socket: WebSocket | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  function open() {
    if (stopped) return;
    handlers.onState("connecting");
    const url = new URL("/api/live", location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(url);
    socket.onmessage = (event) => {
      let message: LiveMessage;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message.type === "hello") {
        attempt = 0;
        handlers.onState("live");
        handlers.onHello(message);
      } else if (message.type === "update") {
        handlers.onUpdate(message);
      } else if (message.type === "status") {
        handlers.onStatus?.(message);
      } else if (message.type === "resync") {
        handlers.onResync?.();
      }
    };
    socket.onclose = () => {
      socket = undefined;
      if (stopped) return;
      handlers.onState(attempt > 2 ? "offline" : "connecting");
      const delay = Math.min(max, initial * 2 ** attempt) * (0.75 + Math.random() * 0.5);
      attempt++;
      timer = setTimeout(open, delay);
    };
  }

  open();
  return () => {
    stopped = true;
    clearTimeout(timer);
    socket?.close();
  };
}
