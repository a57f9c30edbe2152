-- Raw events in monthly partitions of event_time (UTC months), so retention drops a
-- whole month with DROP TABLE (O(1), no dead rows, no vacuum) and each month's indexes
-- stay the size of one month: ingest of the current month no longer walks an index
-- spread over years of keys (issue 13, point 4; docs/retention.md).
--
-- Exactly-once: a unique index of a partitioned table must contain the partition key,
-- so the key is (order_id, event_time). A redelivered message and a reloaded file row
-- are the same bytes, hence the same order_id and the same event_time: they land in the
-- same partition and conflict there, so they are still absorbed. What this gives up:
-- two different events that share an order_id but not the time are both kept (before,
-- the second was dropped); the contract makes order_id an event's identity, so only a
-- producer that reuses ids could tell, and the rollups still count exactly what
-- `events` holds. A global order_id table would keep that check, but its index is the
-- one that grew without bound (file ids are random v4), which this migration removes.
--
-- Existing databases: the old table is renamed, its rows are copied into the new one
-- and it is dropped, all inside this migration's transaction, so a failure leaves the
-- old table as it was. The copy holds an exclusive lock on events while it runs
-- (about a minute per few million rows here): stop the workers, or accept the pause.

alter table events rename to events_unpartitioned;
alter index events_pkey rename to events_unpartitioned_pkey;
alter index events_event_time rename to events_unpartitioned_event_time;
alter index events_user_id rename to events_unpartitioned_user_id;

create table events (
  order_id uuid not null,
  user_id uuid not null,
  page_id uuid not null,
  product text not null
    check (product in ('accessories', 'clothes', 'electronics', 'sneakers', 'sports_nutrition')),
  site_version text not null check (site_version in ('desktop', 'mobile')),
  event_time timestamptz not null,
  title text not null check (title in ('banner_show', 'banner_click', 'order')),
  target smallint not null check (target in (0, 1)),
  ingested_at timestamptz not null default now(),
  primary key (order_id, event_time)
) partition by range (event_time);
create index events_event_time on events using brin (event_time);
create index events_user_id on events (user_id) include (event_time);

-- Months whose partition retention dropped. Their events are neither stored nor
-- counted again (a redelivery or a reload of them was counted when first stored); the
-- rollups keep their counts forever.
create table events_retired_months (
  month date primary key check (month = date_trunc('month', month)),
  -- pg_class.reltuples at the drop: an estimate (counting would read the month).
  rows_estimate bigint not null,
  retired_at timestamptz not null default now()
);

-- The partition of a UTC month: events_pYYYYMM.
create function events_partition_name(month date) returns text
language sql immutable as $$ select 'events_p' || to_char(month, 'YYYYMM') $$;

-- Creates the partitions of `months` (any day of the month) that do not exist yet and
-- returns the months among them that are retired (no partition is made for those).
-- An advisory lock serializes creators; callers run it outside their batch
-- transaction, since creating a partition locks the parent table.
create function events_ensure_partitions(months date[]) returns setof date
language plpgsql as $$
declare
  m date;
begin
  perform pg_advisory_xact_lock(7301947114);
  for m in select distinct date_trunc('month', d)::date from unnest(months) as d order by 1 loop
    if exists (select 1 from events_retired_months r where r.month = m) then
      return next m;
    elsif to_regclass(events_partition_name(m)) is null then
      execute format(
        'create table %I partition of events for values from (%L) to (%L)',
        events_partition_name(m),
        (m::timestamp at time zone 'UTC'),
        ((m + interval '1 month')::timestamp at time zone 'UTC'));
    end if;
  end loop;
end $$;

-- Last month, this month and the next exist from the start, so live traffic (and
-- late events just past a month's end) never waits on DDL.
select events_ensure_partitions(array[
  ((now() at time zone 'UTC') - interval '1 month')::date,
  (now() at time zone 'UTC')::date,
  ((now() at time zone 'UTC') + interval '1 month')::date
]);
select events_ensure_partitions(array(
  select distinct date_trunc('month', event_time at time zone 'UTC')::date
  from events_unpartitioned));
insert into events select * from events_unpartitioned;
drop table events_unpartitioned;
