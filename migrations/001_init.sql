-- Bookkeeping shared by every later migration. Later migrations add the events,
-- rollups and offsets tables.
create table if not exists app_metadata (
  key text primary key,
  value text not null,
  updated_at timestamptz not null default now()
);
insert into app_metadata (key, value) values ('schema_created_at', now()::text)
on conflict (key) do nothing;
