/**
 * Where a browser request came from, by the browser's own headers: `Origin` and the
 * fetch metadata `Sec-Fetch-Site`. One rule for the shop's forms and beacon, sign-out
 * and the dashboard's WebSocket. Browser-safe.
 *
 * @module
 */

/** The host the request was sent to: its `Host` header (behind a proxy the URL may differ). */
function hostOf(req: Request): string {
  return req.headers.get("host") ?? new URL(req.url).host;
}

/** True when `origin` (an `Origin` header) is an http(s) origin of the host the request was sent to. */
export function isSameOrigin(req: Request, origin: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  return (parsed.protocol === "http:" || parsed.protocol === "https:") &&
    parsed.host === hostOf(req);
}

/** Options for {@linkcode crossSiteReason}. */
export interface CrossSiteOptions {
  /** Refuse a request without `Origin` (the beacon's fetch always sends one); default false. */
  requireOrigin?: boolean;
  /** Accept `Sec-Fetch-Site: none` (a URL the visitor typed or bookmarked); default true. */
  allowTyped?: boolean;
}

/**
 * Why `req` came from another site (`Sec-Fetch-Site is "cross-site"`,
 * `Origin "https://evil.example"`, `Origin missing`), or undefined when the browser
 * says it is this site's own. A client that sends neither header is not a browser the
 * check can protect, and passes (tokens and SameSite cookies guard the rest).
 */
export function crossSiteReason(req: Request, options: CrossSiteOptions = {}): string | undefined {
  const site = req.headers.get("sec-fetch-site");
  const allowed = options.allowTyped === false ? ["same-origin"] : ["same-origin", "none"];
  if (site && !allowed.includes(site)) return `Sec-Fetch-Site is "${site}"`;
  const origin = req.headers.get("origin");
  if (origin === null) return options.requireOrigin ? "Origin missing" : undefined;
  return isSameOrigin(req, origin) ? undefined : `Origin "${origin}"`;
}
