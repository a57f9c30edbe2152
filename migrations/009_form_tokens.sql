-- The shop's used order-form tokens: each form token places one order, across every
-- web process. The first order placed with a nonce is kept (order_id, product) so a
-- second submission can point to it. Rows are pruned after expires_at (the token
-- itself expires then).
create table if not exists consumed_form_tokens (
  nonce text primary key,
  order_id uuid not null,
  product text not null,
  expires_at timestamptz not null
);
create index if not exists consumed_form_tokens_expires_at on consumed_form_tokens (expires_at);
