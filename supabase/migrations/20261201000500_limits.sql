-- Limits on what one user can pile up, each a 409 LIMIT_REACHED (SQLSTATE 54000)
-- naming the limit. A trip accepted any number of child rows: 1,500 itinerary items
-- of 4.9 KB made one GET /trips/:id 8 MB and slowed every other user of the process.
--
--   rows of each kind per trip        500  (flights, accommodations, transportation,
--                                            itinerary items, notes, saved options,
--                                            comparisons, attachments)
--   collaborators per trip             50
--   memories per user             200,000  (all models together; above the per-user
--                                            benchmark's heaviest user)
--   chat sessions per user          5,000
--   API keys per user and service      50  (enforced by the api-keys function; the API
--                                            roles cannot insert keys directly)
--
-- Checked once per statement (a statement-level trigger over the inserted rows), so a
-- batch of 256 memories costs one count, not 256. Concurrent inserts into the same
-- trip or by the same user can overshoot by what is in flight at once; the limits are
-- bounds against abuse, not quotas to the row.

create or replace function private.enforce_limit()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  -- tg_argv: the column that groups rows (trip_id, user_id), the limit, and the
  -- column that further splits the group (model), or none.
  grouping text := tg_argv[0];
  max_rows integer := tg_argv[1]::integer;
  split text := nullif(tg_argv[2], '');
  over record;
begin
  -- Only the groups this statement added to; an index on the grouping column(s)
  -- makes each count an index scan that stops one row past the limit.
  execute format(
    'select g.k, g.s from (select distinct %1$I as k, %2$s as s from new_rows) g '
    'where (select count(*) from (select 1 from %3$I.%4$I t where t.%1$I = g.k %5$s '
    'limit %6$s) c) > %7$s limit 1',
    grouping, coalesce(quote_ident(split), 'null::text'), tg_table_schema, tg_table_name,
    case when split is null then '' else format('and t.%1$I = g.s', split) end,
    max_rows + 1, max_rows)
    into over;
  if over.k is not null then -- (a record is "not null" only when every field is)
    raise exception using
      errcode = '54000',
      message = format('%s: at most %s per %s', replace(tg_table_name, '_', ' '), max_rows,
                       case grouping when 'trip_id' then 'trip' else 'user' end),
      hint = 'Delete some before adding more.';
  end if;
  return null;
end
$$;
comment on function private.enforce_limit() is
  'AFTER INSERT statement trigger (arguments: grouping column, limit, optional split column): '
  'raises 54000 when a group the statement added to holds more rows than the limit. Security '
  'definer: it counts rows the inserting user may not see (a trip''s rows added by others).';
revoke all on function private.enforce_limit() from public;

create trigger flights_limit
  after insert on public.flights referencing new table as new_rows
  for each statement execute function private.enforce_limit('trip_id', '500', '');
comment on trigger flights_limit on public.flights is 'At most 500 rows per trip_id (private.enforce_limit).';

create trigger accommodations_limit
  after insert on public.accommodations referencing new table as new_rows
  for each statement execute function private.enforce_limit('trip_id', '500', '');
comment on trigger accommodations_limit on public.accommodations is 'At most 500 rows per trip_id (private.enforce_limit).';

create trigger transportation_limit
  after insert on public.transportation referencing new table as new_rows
  for each statement execute function private.enforce_limit('trip_id', '500', '');
comment on trigger transportation_limit on public.transportation is 'At most 500 rows per trip_id (private.enforce_limit).';

create trigger itinerary_items_limit
  after insert on public.itinerary_items referencing new table as new_rows
  for each statement execute function private.enforce_limit('trip_id', '500', '');
comment on trigger itinerary_items_limit on public.itinerary_items is 'At most 500 rows per trip_id (private.enforce_limit).';

create trigger trip_notes_limit
  after insert on public.trip_notes referencing new table as new_rows
  for each statement execute function private.enforce_limit('trip_id', '500', '');
comment on trigger trip_notes_limit on public.trip_notes is 'At most 500 rows per trip_id (private.enforce_limit).';

create trigger saved_options_limit
  after insert on public.saved_options referencing new table as new_rows
  for each statement execute function private.enforce_limit('trip_id', '500', '');
comment on trigger saved_options_limit on public.saved_options is 'At most 500 rows per trip_id (private.enforce_limit).';

create trigger trip_comparisons_limit
  after insert on public.trip_comparisons referencing new table as new_rows
  for each statement execute function private.enforce_limit('trip_id', '500', '');
comment on trigger trip_comparisons_limit on public.trip_comparisons is 'At most 500 rows per trip_id (private.enforce_limit).';

create trigger file_attachments_limit
  after insert on public.file_attachments referencing new table as new_rows
  for each statement execute function private.enforce_limit('trip_id', '500', '');
comment on trigger file_attachments_limit on public.file_attachments is 'At most 500 rows per trip_id (private.enforce_limit).';

create trigger trip_collaborators_limit
  after insert on public.trip_collaborators referencing new table as new_rows
  for each statement execute function private.enforce_limit('trip_id', '50', '');
comment on trigger trip_collaborators_limit on public.trip_collaborators is 'At most 50 rows per trip_id (private.enforce_limit).';

create trigger memory_embeddings_limit after insert on public.memory_embeddings
  referencing new table as new_rows
  for each statement execute function private.enforce_limit('user_id', '200000', '');
comment on trigger memory_embeddings_limit on public.memory_embeddings is
  'At most 200000 rows per user_id, all models together (private.enforce_limit).';

create trigger chat_sessions_limit
  after insert on public.chat_sessions referencing new table as new_rows
  for each statement execute function private.enforce_limit('user_id', '5000', '');
comment on trigger chat_sessions_limit on public.chat_sessions is 'At most 5000 rows per user_id (private.enforce_limit).';
