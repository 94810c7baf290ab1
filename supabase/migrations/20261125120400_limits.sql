-- Limits on what one user can pile up, each a 409 LIMIT_REACHED (SQLSTATE 54000)
-- naming the limit. A trip accepted any number of child rows: 1,500 itinerary items
-- of 4.9 KB made one GET /trips/:id 8 MB and slowed every other user of the process.
--
--   rows of each kind per trip        500  (flights, accommodations, transportation,
--                                            itinerary items, notes, saved options,
--                                            comparisons, attachments)
--   collaborators per trip             50
--   memories per user and model   200,000  (above the per-user benchmark's heaviest user)
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

do $$
declare
  t record;
begin
  for t in
    select * from (values
      ('flights', 'trip_id', 500, ''), ('accommodations', 'trip_id', 500, ''),
      ('transportation', 'trip_id', 500, ''), ('itinerary_items', 'trip_id', 500, ''),
      ('trip_notes', 'trip_id', 500, ''), ('saved_options', 'trip_id', 500, ''),
      ('trip_comparisons', 'trip_id', 500, ''), ('file_attachments', 'trip_id', 500, ''),
      ('trip_collaborators', 'trip_id', 50, ''),
      ('memory_embeddings', 'user_id', 200000, 'model'),
      ('chat_sessions', 'user_id', 5000, '')
    ) v(tbl, grouping, max_rows, split)
  loop
    execute format(
      'create trigger %I after insert on public.%I referencing new table as new_rows '
      'for each statement execute function private.enforce_limit(%L, %L, %L)',
      t.tbl || '_limit', t.tbl, t.grouping, t.max_rows, t.split);
    execute format('comment on trigger %I on public.%I is %L', t.tbl || '_limit', t.tbl,
      format('At most %s rows per %s (private.enforce_limit).', t.max_rows, t.grouping));
  end loop;
end
$$;
