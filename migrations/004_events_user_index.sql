-- Top users over all events (deno task stats, the dashboard's explore panel): without
-- an index, counting 8.47M rows per user_id is a hash aggregate over ~4M keys that
-- spills to disk (~20 s here); with it, an index-only scan in user_id order feeds a
-- streaming GroupAggregate (~3-5 s). event_time is included so a --from/--to range can
-- be filtered inside the index. Load cost: see docs/benchmarks/bulk.md. Pages need no
-- index: there are few distinct page_ids, so their hash aggregate stays in memory.
create index if not exists events_user_id on events (user_id) include (event_time);
