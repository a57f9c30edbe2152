/**
 * `DASHBOARD_TOKEN`: when set, the dashboard, its API and its WebSocket require the
 * token, as a bearer header or as the HttpOnly session cookie the login form sets; the
 * shop stays public. The cookie holds a digest of the token, not the token, and every
 * comparison is constant-time.
 *
 * @module
 */
import { timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";

/** The session cookie's name. */
export const SESSION_COOKIE = "dashboard_session";

/** Paths that require the token (exact, or as a prefix followed by `/` or `.`). */
export const PROTECTED_PATHS = [
  "/dashboard",
  "/api/summary",
  "/api/export",
  "/api/live",
  "/api/explore",
];

/** Options for {@linkcode dashboardAuth}. */
export interface DashboardAuthOptions {
  /** The token; undefined disables the check. */
  token?: string;
  /** Paths to protect; default {@linkcode PROTECTED_PATHS}. */
  paths?: string[];
}

/** Whether `pathname` is one of `paths` or below one. */
export function isProtected(pathname: string, paths: string[] = PROTECTED_PATHS): boolean {
  return paths.some((path) =>
    pathname === path || pathname.startsWith(`${path}/`) || pathname.startsWith(`${path}.`)
  );
}

/** The session cookie's value for `token`: a SHA-256 digest, hex. */
export async function sessionValue(token: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(`dashboard-session:${token}`),
  );
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Compares two strings in time independent of where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = new TextEncoder().encode(a);
  const right = new TextEncoder().encode(b);
  // Compare equal-length buffers so the length check leaks nothing about the content.
  const length = Math.max(left.length, right.length, 1);
  const x = new Uint8Array(length);
  const y = new Uint8Array(length);
  x.set(left);
  y.set(right);
  return timingSafeEqual(x, y) && left.length === right.length;
}

/** Reads one cookie from a `Cookie` header. */
export function readCookie(header: string | null | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Whether `req` carries the token (bearer header) or the session cookie for it. */
export async function isAuthorized(req: Request, token: string): Promise<boolean> {
  const authorization = req.headers.get("authorization");
  const bearer = /^Bearer\s+(.+)$/i.exec(authorization ?? "")?.[1];
  if (bearer !== undefined) return constantTimeEqual(bearer.trim(), token);
  const cookie = readCookie(req.headers.get("cookie"), SESSION_COOKIE);
  return cookie !== undefined && constantTimeEqual(cookie, await sessionValue(token));
}

/**
 * Hono middleware: without a valid token, a page request is redirected to
 * `/login?next=…`, anything else (API, WebSocket upgrade) gets 401.
 */
export function dashboardAuth(options: DashboardAuthOptions): MiddlewareHandler {
  const { token } = options;
  const paths = options.paths ?? PROTECTED_PATHS;
  return async function requireDashboardToken(c, next) {
    if (!token) return next();
    const url = new URL(c.req.url);
    if (!isProtected(url.pathname, paths)) return next();
    if (await isAuthorized(c.req.raw, token)) return next();
    const wantsPage = c.req.method === "GET" && !url.pathname.startsWith("/api/") &&
      (c.req.header("accept") ?? "").includes("text/html");
    if (wantsPage) {
      const next = encodeURIComponent(url.pathname + url.search);
      return new Response(null, { status: 303, headers: { location: `/login?next=${next}` } });
    }
    return new Response("Unauthorized: this needs the dashboard token", {
      status: 401,
      headers: {
        "content-type": "text/plain; charset=utf-8",
        "www-authenticate": 'Bearer realm="dashboard"',
      },
    });
  };
}
