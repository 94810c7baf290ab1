-- Who wrote a row and when is the database's to say, never the client's. Through the
-- Data API a member could insert a note "by" another member, back-date a message, or
-- move a collaborator's added_by; the policies checked only the trip. Now, for the
-- API roles (anon, authenticated), every insert gets created_at (and updated_at) =
-- now() and an author column no policy checks = auth.uid(), and updates keep both as
-- they were (an owner column a policy pins to auth.uid() still refuses another id).
-- Jobs, seeds and the functions' admin client write as other roles and are left alone.

create or replace function private.set_provenance()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  -- The column that names the row's author (user_id, added_by), or none.
  author text := tg_argv[0];
  row_now jsonb := to_jsonb(new);
  stamped jsonb;
begin
  if current_user not in ('anon', 'authenticated') then
    return new;
  end if;
  if tg_op = 'INSERT' then
    stamped := jsonb_build_object('created_at', now());
    if row_now ? 'updated_at' then stamped := stamped || jsonb_build_object('updated_at', now()); end if;
    if row_now ? 'last_message_at' then stamped := stamped || jsonb_build_object('last_message_at', null); end if;
    if author is not null then stamped := stamped || jsonb_build_object(author, auth.uid()); end if;
  else
    stamped := jsonb_build_object('created_at', to_jsonb(old) -> 'created_at');
    if author is not null then stamped := stamped || jsonb_build_object(author, to_jsonb(old) -> author); end if;
  end if;
  return jsonb_populate_record(new, stamped);
end
$$;
comment on function private.set_provenance() is
  'BEFORE INSERT/UPDATE trigger (argument: the author column or none): for anon and '
  'authenticated, inserts get created_at/updated_at = now() and author = auth.uid(); updates '
  'keep created_at and the author.';
revoke all on function private.set_provenance() from public;

-- One trigger per table the API roles can write, named so that it runs before
-- <table>_set_updated_at (triggers fire in name order).
do $$
declare
  t record;
begin
  for t in
    -- Owner columns that a policy already pins to auth.uid() (trips, chat_sessions,
    -- memories, memory_embeddings, search_history, api_keys) keep that explicit refusal:
    -- only their dates are stamped. Author columns that no policy checks are set here.
    select * from (values
      ('trips', null), ('trip_collaborators', 'added_by'),
      ('flights', null), ('accommodations', null), ('transportation', null), ('itinerary_items', null),
      ('trip_notes', 'user_id'), ('saved_options', 'user_id'), ('trip_comparisons', 'user_id'),
      ('file_attachments', 'user_id'), ('search_history', null), ('chat_sessions', null),
      ('chat_messages', null), ('memories', null), ('memory_embeddings', null), ('api_keys', null)
    ) v(tbl, author)
  loop
    execute format(
      'create trigger %I before insert or update on public.%I for each row '
      'execute function private.set_provenance(%s)',
      t.tbl || '_set_provenance', t.tbl, coalesce(quote_literal(t.author), ''));
    execute format(
      'comment on trigger %I on public.%I is %L',
      t.tbl || '_set_provenance', t.tbl,
      'created_at and the author column are set by the database for API roles (private.set_provenance).');
  end loop;
end
$$;

-- A chat session may point only at a trip its owner can see.
drop policy "chat_sessions: own rows" on public.chat_sessions;
create policy "chat_sessions: own rows, about visible trips" on public.chat_sessions
  for all to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()) and (trip_id is null or private.can_view_trip(trip_id)));

-- Storage's convention: a user's files live under their own id, so a path says
-- nothing about another user's files (the unique key could, for any path). Rows
-- written before this migration are not re-checked (not valid).
alter table public.file_attachments
  add constraint file_attachments_storage_path_owner
  check (split_part(storage_path, '/', 1) = user_id::text) not valid;
comment on constraint file_attachments_storage_path_owner on public.file_attachments is
  'storage_path starts with the uploader''s user id: <user_id>/...';
