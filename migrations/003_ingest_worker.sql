-- The ingest worker's bookkeeping: what /healthz and the dashboard show about ingestion.

-- The partition's end offset seen with the batch, so lag is readable from SQL too:
-- lag = high_watermark - next_offset (as of the last batch of that partition).
alter table ingest_offsets add column high_watermark bigint;

-- Rejects grouped by kind ("unknown product", "missing field", "not JSON", ...): the
-- reason without the quoted value, so `group by kind` stays small.
alter table rejected_events
  add column kind text generated always as (regexp_replace(reason, '\s*".*$', '')) stored;
create index rejected_events_topic_kind on rejected_events (topic, kind);

-- One row per running (or recently stopped) worker process, refreshed about once a
-- second outside the batch transactions.
create table ingest_workers (
  worker_id text primary key,
  topic text not null,
  group_id text not null,
  hostname text not null,
  pid integer not null,
  started_at timestamptz not null default now(),
  heartbeat_at timestamptz not null default now(),
  stopped_at timestamptz,
  batches_total bigint not null default 0,
  events_total bigint not null default 0,
  duplicates_total bigint not null default 0,
  rejected_total bigint not null default 0,
  -- Events stored per second over the last few seconds.
  events_per_second double precision not null default 0,
  -- When this worker last committed a batch that stored at least one event.
  last_stored_at timestamptz,
  -- The newest event_time among what it stored.
  newest_event_time timestamptz
);
create index ingest_workers_topic on ingest_workers (topic, heartbeat_at);
