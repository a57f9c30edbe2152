-- A reject is always recordable: `raw` keeps at most the first 64 KiB of the message's
-- value (a topic with a raised max.message.bytes can carry megabytes), and the whole
-- value is described by its size and SHA-256; `dlq_error` says why <topic>.dlq refused
-- the reject's copy for good (the row is then its only record; null when it was sent
-- or is being sent).
alter table rejected_events
  add column size bigint,
  add column sha256 text,
  add column dlq_error text;

-- Rows written before this migration hold the text "\x<hex digits>" of the whole value
-- (the worker passed "\x…" strings in a bytea[] parameter, where the backslash only
-- escaped the "x"): turn them back into the value's bytes.
update rejected_events
set raw = decode(encode(substring(raw from 3), 'escape'), 'hex')
where substring(raw from 1 for 2) = '\x5c78'::bytea
  and octet_length(raw) % 2 = 0
  and ltrim(encode(substring(raw from 3), 'escape'), '0123456789abcdef') = '';

-- Then describe the whole value and keep its first 64 KiB.
update rejected_events
set size = coalesce(octet_length(raw), 0), sha256 = encode(sha256(raw), 'hex');
update rejected_events set raw = substring(raw from 1 for 65536) where octet_length(raw) > 65536;

alter table rejected_events
  alter column size set not null,
  add constraint rejected_events_raw_bounded check (octet_length(raw) <= 65536),
  add constraint rejected_events_sha256_hex check (sha256 ~ '^[0-9a-f]{64}$');
