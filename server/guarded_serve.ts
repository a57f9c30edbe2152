/**
 * `Deno.serve` behind the connection guard: the real server on a unix socket in a
 * private temporary folder (only this user can connect, so the guard's peer header can
 * be believed), the guard on the public port, and the handler given the client's TCP
 * address as `info.remoteAddr`, as plain `Deno.serve` would.
 *
 * @module
 */
import {
  type ConnectionGuard,
  type ConnectionGuardOptions,
  PEER_HEADER,
  startConnectionGuard,
} from "./conn_guard.ts";

/** Options for {@linkcode serveGuarded}: the guard's, less the upstream it makes itself. */
export type GuardedServeOptions = Omit<ConnectionGuardOptions, "upstream">;

/** A running guarded server. */
export interface GuardedServer {
  /** The public address. */
  readonly addr: Deno.NetAddr;
  readonly guard: ConnectionGuard;
  /** Stops accepting, finishes in-flight requests, closes every connection. */
  shutdown(): Promise<void>;
}

/** Serves `handler` behind the guard on `options.hostname:options.port`. */
export async function serveGuarded(
  options: GuardedServeOptions,
  handler: Deno.ServeHandler<Deno.NetAddr>,
): Promise<GuardedServer> {
  const dir = await Deno.makeTempDir({ prefix: "conn_guard_" });
  const path = `${dir}/server.sock`;
  const server = Deno.serve({ path, onListen: () => {} }, withPeerAddress(handler));
  let guard: ConnectionGuard;
  try {
    guard = startConnectionGuard({ ...options, upstream: path });
  } catch (error) {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  }
  return {
    addr: guard.addr,
    guard,
    async shutdown() {
      guard.stopAccepting();
      await server.shutdown();
      await guard.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
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
