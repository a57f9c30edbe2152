/**
 * Dashboard sessions, stored server-side (migration 007): a sign-in makes a random
 * 256-bit secret that only the browser's cookie holds; the table keeps its SHA-256,
 * when it was made, expires and was last seen, the client's address and user agent, and
 * a digest of the `DASHBOARD_TOKEN` it was made under, so a new token ends every
 * session. Logout deletes one row, {@linkcode SessionStore.revokeAll} all of them.
 *
 * Found sessions are cached in the process for {@linkcode SESSION_CACHE_MS}, so a
 * dashboard's requests do not each query Postgres: a session deleted by another process
 * (another web server, `deno task sessions --revoke`) stops working here within that
 * time; one deleted by this process stops at once.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHash, randomBytes } from "node:crypto";
import type { Sql } from "../db/client.ts";

/** How long a session lasts after sign-in: 7 days. */
export const SESSION_TTL_SECONDS = 7 * 24 * 3600;
/** How long a found session is trusted without asking Postgres again: 5 s. */
export const SESSION_CACHE_MS = 5_000;

// base64url of 32 bytes: what the cookie must look like before anything is looked up.
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const MAX_USER_AGENT = 256;
const MAX_ADDRESS = 64;

/** A live session, as stored. */
export interface Session {
  createdAt: Date;
  expiresAt: Date;
  lastSeenAt: Date;
  clientAddress: string;
  userAgent: string;
}

/** A stored session as listed by `deno task sessions`. */
export interface StoredSession extends Session {
  /** The first hex digits of the secret's SHA-256 (enough to tell sessions apart). */
  id: string;
  /** Whether it was made under the token given to {@linkcode SessionStore.list}. */
  currentToken: boolean;
}

/** Who signed in: recorded with the session. */
export interface SessionClient {
  address: string;
  userAgent: string;
}

/** Options for {@linkcode createSessionStore}. */
export interface SessionStoreOptions {
  /** Default {@linkcode SESSION_TTL_SECONDS}. */
  ttlSeconds?: number;
  /** Default {@linkcode SESSION_CACHE_MS}; 0 asks Postgres every time. */
  cacheMs?: number;
  /** Sessions cached at most; default 1,000. */
  maxCached?: number;
}

/** The sessions table behind one process's cache. */
export interface SessionStore {
  /** Session lifetime, seconds (the cookie's `Max-Age`). */
  readonly ttlSeconds: number;
  /** Starts a session under the token whose digest is `tokenDigest`; returns its secret. */
  create(tokenDigest: Uint8Array, client: SessionClient): Promise<string>;
  /** The live session for `secret` under `tokenDigest`, or undefined. */
  find(secret: string, tokenDigest: Uint8Array): Promise<Session | undefined>;
  /** Ends the session for `secret`; true when there was one. */
  delete(secret: string): Promise<boolean>;
  /** Ends every session; returns how many there were. */
  revokeAll(): Promise<number>;
  /** Every unexpired session, newest first. */
  list(tokenDigest?: Uint8Array): Promise<StoredSession[]>;
}

/** A SHA-256 digest. */
export function sha256(value: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(value).digest());
}

/** Creates the store over `sql`; see {@linkcode SessionStoreOptions} for the defaults. */
export function createSessionStore(sql: Sql, options: SessionStoreOptions = {}): SessionStore {
  const ttlSeconds = options.ttlSeconds ?? SESSION_TTL_SECONDS;
  const cacheMs = options.cacheMs ?? SESSION_CACHE_MS;
  const maxCached = options.maxCached ?? 1_000;
  const cache = new Map<string, { session: Session; digest: string; until: number }>();
  const key = (secret: string) => Buffer.from(sha256(secret)).toString("hex");

  return {
    ttlSeconds,
    async create(tokenDigest, client) {
      const secret = randomBytes(32).toString("base64url");
      await sql`delete from dashboard_sessions where expires_at < now()`;
      await sql`
        insert into dashboard_sessions
          (secret_sha256, token_digest, expires_at, client_address, user_agent)
        values (${sha256(secret)}, ${tokenDigest},
          now() + make_interval(secs => ${ttlSeconds}),
          ${client.address.slice(0, MAX_ADDRESS)}, ${client.userAgent.slice(0, MAX_USER_AGENT)})`;
      return secret;
    },
    async find(secret, tokenDigest) {
      if (!SECRET_PATTERN.test(secret)) return undefined;
      const id = key(secret);
      const digest = Buffer.from(tokenDigest).toString("hex");
      const cached = cache.get(id);
      if (cached && cached.until > Date.now() && cached.digest === digest) {
        if (cached.session.expiresAt.getTime() > Date.now()) return cached.session;
      }
      cache.delete(id);
      // Looking it up and marking it seen is one statement: one round trip.
      const [row] = await sql`
        update dashboard_sessions set last_seen_at = now()
        where secret_sha256 = ${sha256(secret)} and token_digest = ${tokenDigest}
          and expires_at > now()
        returning created_at, expires_at, last_seen_at, client_address, user_agent`;
      if (!row) return undefined;
      const session = toSession(row);
      if (cacheMs > 0) {
        cache.set(id, { session, digest, until: Date.now() + cacheMs });
        if (cache.size > maxCached) cache.delete(cache.keys().next().value!);
      }
      return session;
    },
    async delete(secret) {
      if (!SECRET_PATTERN.test(secret)) return false;
      cache.delete(key(secret));
      const rows = await sql`
        delete from dashboard_sessions where secret_sha256 = ${sha256(secret)} returning 1`;
      return rows.length > 0;
    },
    async revokeAll() {
      cache.clear();
      const rows = await sql`delete from dashboard_sessions returning 1`;
      return rows.length;
    },
    async list(tokenDigest) {
      const rows = await sql`
        select encode(secret_sha256, 'hex') as id, token_digest, created_at, expires_at,
          last_seen_at, client_address, user_agent
        from dashboard_sessions where expires_at > now() order by created_at desc`;
      return rows.map((row) => ({
        ...toSession(row),
        id: (row.id as string).slice(0, 12),
        currentToken: tokenDigest !== undefined &&
          Buffer.from(row.token_digest as Uint8Array).equals(Buffer.from(tokenDigest)),
      }));
    },
  };
}

function toSession(row: Record<string, unknown>): Session {
  return {
    createdAt: row.created_at as Date,
    expiresAt: row.expires_at as Date,
    lastSeenAt: row.last_seen_at as Date,
    clientAddress: row.client_address as string,
    userAgent: row.user_agent as string,
  };
}
