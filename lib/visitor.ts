/**
 * Who is visiting: the `user_id` cookie (a random 32-hex id, HttpOnly, SameSite=Lax,
 * one year) and the site version the User-Agent implies.
 *
 * @module
 */
import { newId, type SiteVersion } from "./event.ts";

/** The cookie that carries the visitor's `user_id`. */
export const VISITOR_COOKIE = "user_id";

const ONE_YEAR_SECONDS = 365 * 24 * 60 * 60;
const HEX32 = /^[0-9a-f]{32}$/;

/** The visitor of one request. */
export interface Visitor {
  /** 32 lower-case hex digits. */
  userId: string;
  /** True when the request carried no valid cookie (a fresh id was made). */
  isNew: boolean;
  siteVersion: SiteVersion;
}

/** Reads a cookie's value from a `Cookie` header, or undefined. */
export function readCookie(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The visitor id in the request's cookie, when present and well formed. */
export function visitorId(req: Request): string | undefined {
  const value = readCookie(req.headers.get("cookie"), VISITOR_COOKIE);
  return value && HEX32.test(value) ? value : undefined;
}

/** The request's visitor: the cookie's id, or a fresh one (see {@linkcode visitorCookie}). */
export function visitorOf(req: Request): Visitor {
  const existing = visitorId(req);
  return {
    userId: existing ?? newId(),
    isNew: existing === undefined,
    siteVersion: siteVersionOf(req.headers.get("user-agent")),
  };
}

/** The `Set-Cookie` value that stores `userId` for a year. */
export function visitorCookie(userId: string, secure = false): string {
  return `${VISITOR_COOKIE}=${userId}; Path=/; Max-Age=${ONE_YEAR_SECONDS}; HttpOnly; SameSite=Lax${
    secure ? "; Secure" : ""
  }`;
}

/** Headers to add to a response so a new visitor keeps its id (`Secure` over TLS). */
export function visitorHeaders(visitor: Visitor, secure: boolean): Record<string, string> {
  return visitor.isNew ? { "set-cookie": visitorCookie(visitor.userId, secure) } : {};
}

// Phones and small tablets announce themselves with one of these tokens (the common
// rule of thumb, as in MDN's "Browser detection using the user agent").
const MOBILE_UA = /Mobi|Android|iPhone|iPod|iPad|Windows Phone|IEMobile|Opera Mini|BlackBerry/i;

/** `mobile` for phone and tablet User-Agents, else `desktop` (also when absent). */
export function siteVersionOf(userAgent: string | null | undefined): SiteVersion {
  return userAgent && MOBILE_UA.test(userAgent) ? "mobile" : "desktop";
}
