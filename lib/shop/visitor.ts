/**
 * Who is visiting: the `user_id` cookie, signed by the server, the site version the
 * User-Agent implies, and whether the User-Agent is a known bot.
 *
 * The cookie's value is `<user_id>.<signature>`: a random 32-hex id and an HMAC of it
 * with the shop's secret (lib/shop/signing.ts), HttpOnly, SameSite=Lax, one year. A value
 * the server did not sign (an unsigned id from before signing, a made-up id, a
 * listed visitor's id copied from the dashboard) is never read as a visitor: the
 * request gets a fresh id and a new cookie, so nobody can act as someone else.
 *
 * @module
 */
import { parseCookie, stringifySetCookie } from "cookie";
import { isbot } from "isbot";
import { newId, type SiteVersion } from "../core/event.ts";
import { sign, verify } from "./signing.ts";

/** The cookie that carries the visitor's `user_id`. */
export const VISITOR_COOKIE = "user_id";

const ONE_YEAR_SECONDS = 365 * 24 * 60 * 60;
/** `<32 hex id>.<32 hex signature>`: anything else is not looked at further. */
const COOKIE_VALUE = /^([0-9a-f]{32})\.([0-9a-f]{32})$/;

/** The visitor of one request. */
export interface Visitor {
  /** 32 lower-case hex digits. */
  userId: string;
  /** True when the request carried no valid signed cookie (a fresh id was made). */
  isNew: boolean;
  siteVersion: SiteVersion;
  /** True for a known bot or crawler, or no User-Agent at all: its actions count nothing. */
  isBot: boolean;
}

/** The cookie value that carries `userId`: the id and its signature. */
export function signVisitorId(secret: Uint8Array, userId: string): string {
  return `${userId}.${sign(secret, ["visitor", userId])}`;
}

/**
 * The visitor id in the request's cookie when this server signed it, else undefined
 * (no cookie, malformed, unsigned or forged).
 */
export function visitorId(secret: Uint8Array, req: Request): string | undefined {
  const value = parseCookie(req.headers.get("cookie") ?? "")[VISITOR_COOKIE];
  // Bounded before it is parsed: a valid value is exactly 65 characters.
  if (!value || value.length !== 65) return undefined;
  const match = COOKIE_VALUE.exec(value);
  if (!match || !verify(secret, ["visitor", match[1]], match[2])) return undefined;
  return match[1];
}

/** The request's visitor: the signed cookie's id, or a fresh one (see {@linkcode visitorHeaders}). */
export function visitorOf(secret: Uint8Array, req: Request): Visitor {
  const existing = visitorId(secret, req);
  const userAgent = req.headers.get("user-agent");
  return {
    userId: existing ?? newId(),
    isNew: existing === undefined,
    siteVersion: siteVersionOf(userAgent),
    isBot: isBotAgent(userAgent),
  };
}

/** The `Set-Cookie` value that stores `userId`, signed, for a year. */
export function visitorCookie(secret: Uint8Array, userId: string, secure = false): string {
  return stringifySetCookie({
    name: VISITOR_COOKIE,
    value: signVisitorId(secret, userId),
    path: "/",
    maxAge: ONE_YEAR_SECONDS,
    httpOnly: true,
    sameSite: "lax",
    secure,
  });
}

/** Headers to add to a response so a new visitor keeps its id (`Secure` over TLS). */
export function visitorHeaders(
  secret: Uint8Array,
  visitor: Visitor,
  secure: boolean,
): Record<string, string> {
  return visitor.isNew ? { "set-cookie": visitorCookie(secret, visitor.userId, secure) } : {};
}

// Phones and small tablets announce themselves with one of these tokens (the common
// rule of thumb, as in MDN's "Browser detection using the user agent").
const MOBILE_UA = /Mobi|Android|iPhone|iPod|iPad|Windows Phone|IEMobile|Opera Mini|BlackBerry/i;

/** `mobile` for phone and tablet User-Agents, else `desktop` (also when absent). */
export function siteVersionOf(userAgent: string | null | undefined): SiteVersion {
  return userAgent && MOBILE_UA.test(userAgent) ? "mobile" : "desktop";
}

/** Longest User-Agent looked at; browsers send under 300 characters. */
const MAX_USER_AGENT = 1024;

/**
 * True for crawlers, link previewers, monitors, HTTP libraries and headless browsers
 * (the `isbot` package's maintained list), for no User-Agent at all (every browser
 * sends one) and for one longer than any browser sends.
 */
export function isBotAgent(userAgent: string | null | undefined): boolean {
  if (!userAgent || userAgent.trim() === "" || userAgent.length > MAX_USER_AGENT) return true;
  return isbot(userAgent);
}
