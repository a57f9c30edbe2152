-- The public schema (README, "Schema"): raw events plus ClickHouse-style partial
-- aggregates. Ids are stored as uuid (16 bytes; `replace(order_id::text, '-', '')`
-- gives the contract's 32 hex digits): half the size of text in the unique index that
-- makes ingestion idempotent.

create table events (
  order_id uuid primary key,
  user_id uuid not null,
  page_id uuid not null,
  product text not null
    check (product in ('accessories', 'clothes', 'electronics', 'sneakers', 'sports_nutrition')),
  site_version text not null check (site_version in ('desktop', 'mobile')),
  event_time timestamptz not null,
  title text not null check (title in ('banner_show', 'banner_click', 'order')),
  target smallint not null check (target in (0, 1)),
  ingested_at timestamptz not null default now()
);
-- Time-range scans (stats --from/--to, the original's scan-based queries).
create index events_event_time on events using brin (event_time);

-- Partial aggregates: a key may have several rows; the true count is sum(n) per key.
-- Writers only append; the merge folds a key's rows into one (like SummingMergeTree).
create table rollup_daily (
  day date not null,
  product text not null,
  site_version text not null,
  title text not null,
  n bigint not null
);
create index rollup_daily_key on rollup_daily (day, product, site_version, title);

create table rollup_hourly (
  hour timestamptz not null,
  product text not null,
  site_version text not null,
  title text not null,
  n bigint not null
);
create index rollup_hourly_key on rollup_hourly (hour, product, site_version, title);

-- Kept for the last 48 hours only (the live charts).
create table rollup_minute (
  minute timestamptz not null,
  product text not null,
  site_version text not null,
  title text not null,
  n bigint not null
);
create index rollup_minute_key on rollup_minute (minute, product, site_version, title);

-- The next offset of each partition, written in the same transaction as the events
-- it covers (lag and audit; Kafka's committed offsets stay the source for resuming).
create table ingest_offsets (
  topic text not null,
  partition integer not null,
  next_offset bigint not null,
  updated_at timestamptz not null default now(),
  primary key (topic, partition)
);

-- Messages the worker could not accept, with the reason (also sent to <topic>.dlq).
create table rejected_events (
  id bigint generated always as identity primary key,
  topic text not null,
  partition integer not null,
  "offset" bigint not null,
  reason text not null,
  raw bytea,
  rejected_at timestamptz not null default now(),
  unique (topic, partition, "offset")
);
