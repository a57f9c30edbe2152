/**
 * `DASHBOARD_TOKEN`: when set, the dashboard, its API, its WebSocket and the details of
 * `/healthz` require it, as a bearer header (API clients) or as the session a sign-in
 * at `/login` starts (browsers; see `dashboard_sessions.ts`). Which routes need it is
 * decided by where they live (`routes/(dashboard)/_middleware.ts`), not here: this
 * module only answers, for a plain `Request` and the client's address, whether it
 * carries the token, and signs in. Wrong guesses of the token (bearer or form) are
 * throttled per address; comparisons are constant-time.
 *
 * @module
 */
import { parseCookie, stringifySetCookie } from "cookie";
import { createGuessThrottle, type GuessThrottle } from "./guess_throttle.ts";
import type { Sql } from "../db/client.ts";
import { createSessionStore, type SessionClient, type SessionStore, sha256 } from "./sessions.ts";
import { constantTimeEqual } from "../shop/signing.ts";

/** The session cookie's name. */
export const SESSION_COOKIE = "dashboard_session";

/** One web process's view of the token: the token, its sessions and the guess throttle. */
export interface DashboardAuth {
  /** `DASHBOARD_TOKEN`; undefined leaves the dashboard open. */
  token?: string;
  /** SHA-256 of the token, stored with each session made under it. */
  tokenDigest: Uint8Array;
  sessions: SessionStore;
  guesses: GuessThrottle;
}

/** Options for {@linkcode createDashboardAuth}. */
export interface DashboardAuthOptions {
  token?: string;
  /** Default: sessions in `sql` with their defaults. */
  sessions?: SessionStore;
  /** Default: {@linkcode createGuessThrottle}'s defaults (10 at once, then 10 a minute). */
  guesses?: GuessThrottle;
}

/** Creates the process's auth state over `sql`. */
export function createDashboardAuth(sql: Sql, options: DashboardAuthOptions = {}): DashboardAuth {
  return {
    token: options.token,
    tokenDigest: sha256(`dashboard-token:${options.token ?? ""}`),
    sessions: options.sessions ?? createSessionStore(sql),
    guesses: options.guesses ?? createGuessThrottle(),
  };
}

/** Whether a request may see the dashboard, and if not, what to answer. */
export type AuthDecision =
  | { ok: true; via: "open" | "bearer" | "session" }
  | { ok: false; status: 401; reason: string }
  | { ok: false; status: 429; reason: string; retryAfterSeconds: number };

/** The session secret in `req`'s cookie, if any. */
export function sessionSecret(req: Request): string | undefined {
  return parseCookie(req.headers.get("cookie") ?? "")[SESSION_COOKIE];
}

/**
 * Decides whether `req`, from the client at `address`, carries the token: a bearer
 * header (compared after checking the address's guess budget), else the session cookie.
 */
export async function authorize(
  req: Request,
  auth: DashboardAuth,
  address: string,
): Promise<AuthDecision> {
  if (!auth.token) return { ok: true, via: "open" };
  // Only a Bearer header is a token attempt: another scheme (a Basic login of a proxy in
  // front) leaves the session cookie to decide.
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.get("authorization") ?? "")?.[1]?.trim();
  if (bearer !== undefined) {
    const wait = auth.guesses.retryAfter(address);
    if (wait > 0) return tooManyGuesses(wait);
    if (constantTimeEqual(bearer, auth.token)) return { ok: true, via: "bearer" };
    auth.guesses.failed(address);
    return { ok: false, status: 401, reason: "the bearer token is not the dashboard token" };
  }
  const secret = sessionSecret(req);
  if (secret === undefined) {
    return {
      ok: false,
      status: 401,
      reason: "sign in at /login, or send the token as Authorization: Bearer <token>",
    };
  }
  if (await auth.sessions.find(secret, auth.tokenDigest)) return { ok: true, via: "session" };
  return {
    ok: false,
    status: 401,
    reason: "the session ended (signed out, expired or revoked): sign in again at /login",
  };
}

/** What a sign-in attempt gives: the new session's secret, or why not. */
export type SignIn =
  | { ok: true; secret: string }
  | { ok: false; status: 401; reason: string }
  | { ok: false; status: 429; reason: string; retryAfterSeconds: number };

/**
 * Signs in with the `given` token: when it is right, starts a session and returns its
 * secret; a wrong one counts against the client's guess budget.
 */
export async function signIn(
  auth: DashboardAuth,
  given: string,
  client: SessionClient,
): Promise<SignIn> {
  if (!auth.token) throw new Error("Cannot sign in: DASHBOARD_TOKEN is not set");
  const wait = auth.guesses.retryAfter(client.address);
  if (wait > 0) return tooManyGuesses(wait);
  if (!constantTimeEqual(given, auth.token)) {
    auth.guesses.failed(client.address);
    return { ok: false, status: 401, reason: "That token is not right" };
  }
  return { ok: true, secret: await auth.sessions.create(auth.tokenDigest, client) };
}

/**
 * The `Set-Cookie` value for a session: HttpOnly (no script reads it), SameSite=Strict
 * (no other site's request carries it), `Secure` when the client came over TLS.
 */
export function sessionCookie(
  secret: string,
  options: { maxAgeSeconds: number; secure: boolean },
): string {
  return stringifySetCookie({
    name: SESSION_COOKIE,
    value: secret,
    httpOnly: true,
    sameSite: "strict",
    path: "/",
    maxAge: options.maxAgeSeconds,
    secure: options.secure,
  });
}

/** The `Set-Cookie` value that removes the session cookie. */
export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie("", { maxAgeSeconds: 0, secure });
}

function tooManyGuesses(seconds: number) {
  return {
    ok: false as const,
    status: 429 as const,
    reason: `Too many wrong tokens from this address: try again in ${seconds} s`,
    retryAfterSeconds: seconds,
  };
}
