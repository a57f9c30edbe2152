/**
 * The URL a request was sent to, as the client saw it. Behind the connection guard the
 * server listens on a unix socket, and Deno gives such requests an `http+unix:` URL,
 * whose origin is opaque (`"null"`): same-origin checks and redirects would compare
 * nonsense. The guard's public listener speaks plain HTTP, so the scheme is `http:`
 * (TLS, when any, ends at a proxy: see `X-Forwarded-Proto` and `TRUST_PROXY`).
 *
 * @module
 */

/** `req.url` parsed, with the unix-socket scheme the guard's upstream gets read as `http:`. */
export function requestUrl(req: Request): URL {
  const raw = req.url;
  return new URL(raw.startsWith("http+unix:") ? `http:${raw.slice("http+unix:".length)}` : raw);
}
