-- The shop's consumed ad impressions: each signed impression id is accepted once for
-- its viewability beacon (banner_show) and once for its click (banner_click), across
-- every web process. Rows are pruned after expires_at (the id itself expires then).
create table if not exists consumed_impressions (
  nonce text not null,
  kind text not null check (kind in ('show', 'click')),
  expires_at timestamptz not null,
  primary key (nonce, kind)
);
create index if not exists consumed_impressions_expires_at on consumed_impressions (expires_at);
