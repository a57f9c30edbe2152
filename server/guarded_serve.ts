/**
 * `Deno.serve` behind the connection guard: the real server on a unix socket in a
 * private temporary folder (only this user can connect, so the guard's peer header can
 * be believed), the guard on the public port, in this thread or in a Web Worker, and
 * the handler given the client's TCP address as `info.remoteAddr`, as plain
 * `Deno.serve` would.
 *
 * @module
 */
import {
  type ConnectionGuardOptions,
  type GuardStats,
  PEER_HEADER,
  startConnectionGuard,
} from "./conn_guard.ts";
import { startGuardWorker } from "./guard_worker.ts";

/** Options for {@linkcode serveGuarded}: the guard's, less the upstream it makes itself. */
export interface GuardedServeOptions extends Omit<ConnectionGuardOptions, "upstream"> {
  /**
   * Run the guard in a worker: the module at `url` calls `runGuardWorker` (e.g.
   * `server/guard_worker_entry.ts`) and receives `data`; `isSharedPeer` cannot cross
   * to a worker, the module builds it from `data`. Default: this thread.
   */
  worker?: { url: URL; data?: unknown };
  /**
   * Called when the guard's worker fails after it started: the public port is then no
   * longer served, so a process should exit and let its supervisor start it again.
   * Default: the failure is only logged.
   */
  onWorkerFailure?: (error: Error) => void;
}

/** A running guarded server. */
export interface GuardedServer {
  /** The public address. */
  readonly addr: Deno.NetAddr;
  /** What the guard refused so far. */
  stats(): Promise<GuardStats>;
  /** Stops accepting, finishes in-flight requests, closes every connection. */
  shutdown(): Promise<void>;
}

/** Serves `handler` behind the guard on `options.hostname:options.port`. */
export async function serveGuarded(
  options: GuardedServeOptions,
  handler: Deno.ServeHandler<Deno.NetAddr>,
): Promise<GuardedServer> {
  const { worker, isSharedPeer, onWorkerFailure, ...limits } = options;
  const dir = await Deno.makeTempDir({ prefix: "conn_guard_" });
  const path = `${dir}/server.sock`;
  const server = Deno.serve({ path, onListen: () => {} }, withPeerAddress(handler));
  let guard: {
    addr: Deno.NetAddr;
    stats(): GuardStats | Promise<GuardStats>;
    stopAccepting(): void | Promise<void>;
    close(): Promise<void>;
  };
  try {
    guard = worker
      ? await startGuardWorker(worker.url, { ...limits, upstream: path }, worker.data, {
        onFailure: onWorkerFailure,
      })
      : startConnectionGuard({ ...limits, isSharedPeer, upstream: path });
  } catch (error) {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  }
  let shutdown: Promise<void> | undefined;
  return {
    addr: guard.addr,
    stats: async () => await guard.stats(),
    shutdown() {
      shutdown ??= (async () => {
        await guard.stopAccepting();
        await server.shutdown();
        await guard.close();
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      })();
      return shutdown;
    },
  };
}

/**
 * Wraps a handler for the server behind the guard: `info.remoteAddr` becomes the
 * client's TCP address from {@linkcode PEER_HEADER} (a request without it did not come
 * through the guard and is refused).
 */
export function withPeerAddress(
  handler: Deno.ServeHandler<Deno.NetAddr>,
): Deno.ServeHandler<Deno.UnixAddr> {
  return function servePeer(req, info) {
    const peer = req.headers.get(PEER_HEADER) ?? "";
    const colon = peer.lastIndexOf(":");
    if (colon <= 0) {
      return new Response(`Bad request: no "${PEER_HEADER}" header from the guard`, {
        status: 400,
      });
    }
    const remoteAddr: Deno.NetAddr = {
      transport: "tcp",
      hostname: peer.slice(0, colon),
      port: Number(peer.slice(colon + 1)),
    };
    return handler(req, {
      remoteAddr,
      get completed() {
        return info.completed;
      },
    });
  };
}
