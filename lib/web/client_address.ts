/**
 * Who is asking: the client's address and whether it reached us over TLS. Behind a
 * load balancer the TCP peer is the proxy, so `X-Forwarded-For` and
 * `X-Forwarded-Proto` are believed only from the proxies `TRUST_PROXY` names (a
 * client can send those headers too); the rules are Express's, through its
 * `proxy-addr` package.
 *
 * @module
 */
import proxyaddr from "proxy-addr";

/** A compiled trust rule: is the hop at `address` (index `i` from the peer) a proxy of ours? */
export type TrustProxy = (address: string, i: number) => boolean;

/** Compiles `TRUST_PROXY` entries; throws on an entry that is no address or range. */
export function compileTrust(entries: readonly string[]): TrustProxy {
  return proxyaddr.compile([...entries]);
}

/** The parts of a request the address rules read. */
export interface RequestOrigin {
  /** The TCP peer's address (undefined in in-process tests: then `127.0.0.1`). */
  peer?: string;
  headers: Headers;
}

/**
 * The client's address: the peer, or, when the peer is a trusted proxy, the nearest
 * untrusted address in `X-Forwarded-For`.
 */
export function clientAddress(origin: RequestOrigin, trust: TrustProxy): string {
  const peer = origin.peer ?? "127.0.0.1";
  const forwarded = origin.headers.get("x-forwarded-for");
  if (!forwarded) return peer;
  return proxyaddr(nodeShape(peer, forwarded), trust);
}

/**
 * True when the client's request came over TLS: the URL is https, or a trusted proxy
 * says so in `X-Forwarded-Proto` (its first value: the hop nearest the client).
 */
export function isSecureRequest(origin: RequestOrigin & { url: URL }, trust: TrustProxy): boolean {
  if (origin.url.protocol === "https:") return true;
  const proto = origin.headers.get("x-forwarded-proto");
  if (!proto || !trust(origin.peer ?? "127.0.0.1", 0)) return false;
  return proto.split(",")[0].trim().toLowerCase() === "https";
}

/** A request as the routes see it (the Fresh-convention layer's context fits). */
export interface ClientRequest {
  req: Request;
  url: URL;
  /** The TCP peer's address. */
  remoteAddr?: string;
}

/** What the routes need to know of the client: its address and whether it used TLS. */
export interface Client {
  address: string;
  secure: boolean;
}

/** {@linkcode clientAddress} and {@linkcode isSecureRequest} of a route's request. */
export function clientOf(ctx: ClientRequest, trust: TrustProxy): Client {
  const origin = { peer: ctx.remoteAddr, headers: ctx.req.headers, url: ctx.url };
  return { address: clientAddress(origin, trust), secure: isSecureRequest(origin, trust) };
}

/** The request as proxy-addr reads it (a Node `IncomingMessage`'s two fields). */
function nodeShape(peer: string, forwarded: string) {
  return {
    headers: { "x-forwarded-for": forwarded },
    connection: { remoteAddress: peer },
    socket: { remoteAddress: peer },
  } as unknown as Parameters<typeof proxyaddr>[0];
}
