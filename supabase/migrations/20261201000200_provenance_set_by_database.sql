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
-- <table>_set_updated_at (triggers fire in name order). Owner columns that a policy
-- already pins to auth.uid() (trips, chat_sessions, memory_embeddings, search_history,
-- api_keys) keep that explicit refusal: only their dates are stamped. Author columns
-- that no policy checks are set here.
create trigger trips_set_provenance
  before insert or update on public.trips
  for each row execute function private.set_provenance();
comment on trigger trips_set_provenance on public.trips is
  'created_at and the author column are set by the database for API roles (private.set_provenance).';

create trigger trip_collaborators_set_provenance
  before insert or update on public.trip_collaborators
  for each row execute function private.set_provenance('added_by');
comment on trigger trip_collaborators_set_provenance on public.trip_collaborators is
  'created_at and the author column are set by the database for API roles (private.set_provenance).';

create trigger flights_set_provenance
  before insert or update on public.flights
  for each row execute function private.set_provenance();
comment on trigger flights_set_provenance on public.flights is
  'created_at and the author column are set by the database for API roles (private.set_provenance).';

create trigger accommodations_set_provenance
  before insert or update on public.accommodations
  for each row execute function private.set_provenance();
comment on trigger accommodations_set_provenance on public.accommodations is
  'created_at and the author column are set by the database for API roles (private.set_provenance).';

create trigger transportation_set_provenance
  before insert or update on public.transportation
  for each row execute function private.set_provenance();
comment on trigger transportation_set_provenance on public.transportation is
  'created_at and the author column are set by the database for API roles (private.set_provenance).';

create trigger itinerary_items_set_provenance
  before insert or update on public.itinerary_items
  for each row execute function private.set_provenance();
comment on trigger itinerary_items_set_provenance on public.itinerary_items is
  'created_at and the author column are set by the database for API roles (private.set_provenance).';

create trigger trip_notes_set_provenance
  before insert or update on public.trip_notes
  for each row execute function private.set_provenance('user_id');
comment on trigger trip_notes_set_provenance on public.trip_notes is
  'created_at and the author column are set by the database for API roles (private.set_provenance).';

create trigger saved_options_set_provenance
  before insert or update on public.saved_options
  for each row execute function private.set_provenance('user_id');
comment on trigger saved_options_set_provenance on public.saved_options is
  'created_at and the author column are set by the database for API roles (private.set_provenance).';

create trigger trip_comparisons_set_provenance
  before insert or update on public.trip_comparisons
  for each row execute function private.set_provenance('user_id');
comment on trigger trip_comparisons_set_provenance on public.trip_comparisons is
  'created_at and the author column are set by the database for API roles (private.set_provenance).';

create trigger file_attachments_set_provenance
  before insert or update on public.file_attachments
  for each row execute function private.set_provenance('user_id');
comment on trigger file_attachments_set_provenance on public.file_attachments is
  'created_at and the author column are set by the database for API roles (private.set_provenance).';

create trigger search_history_set_provenance
  before insert or update on public.search_history
  for each row execute function private.set_provenance();
comment on trigger search_history_set_provenance on public.search_history is
  'created_at and the author column are set by the database for API roles (private.set_provenance).';

create trigger chat_sessions_set_provenance
  before insert or update on public.chat_sessions
  for each row execute function private.set_provenance();
comment on trigger chat_sessions_set_provenance on public.chat_sessions is
  'created_at and the author column are set by the database for API roles (private.set_provenance).';

create trigger chat_messages_set_provenance
  before insert or update on public.chat_messages
  for each row execute function private.set_provenance();
comment on trigger chat_messages_set_provenance on public.chat_messages is
  'created_at and the author column are set by the database for API roles (private.set_provenance).';

create trigger memory_embeddings_set_provenance
  before insert or update on public.memory_embeddings
  for each row execute function private.set_provenance();
comment on trigger memory_embeddings_set_provenance on public.memory_embeddings is
  'created_at and the author column are set by the database for API roles (private.set_provenance).';

create trigger api_keys_set_provenance
  before insert or update on public.api_keys
  for each row execute function private.set_provenance();
comment on trigger api_keys_set_provenance on public.api_keys is
  'created_at and the author column are set by the database for API roles (private.set_provenance).';

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
