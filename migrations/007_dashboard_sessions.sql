-- Dashboard sessions: one random secret per sign-in, held by the browser in the
-- HttpOnly cookie. Only its SHA-256 is stored, so a copy of this table signs no one in.
-- A session belongs to the DASHBOARD_TOKEN it was made under (`token_digest`, a
-- SHA-256 of the token): changing the token ends every session. Logout deletes the
-- row; `deno task sessions --revoke` deletes all of them.
create table if not exists dashboard_sessions (
  secret_sha256 bytea primary key check (length(secret_sha256) = 32),
  token_digest bytea not null check (length(token_digest) = 32),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  last_seen_at timestamptz not null default now(),
  client_address text not null,
  user_agent text not null default ''
);
create index if not exists dashboard_sessions_expires_at on dashboard_sessions (expires_at);
