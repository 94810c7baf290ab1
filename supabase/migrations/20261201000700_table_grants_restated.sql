-- Every table's grants to the API roles, restated from nothing. A hosted project (and
-- `supabase start`) grants anon and authenticated ALL on each table the postgres role
-- creates in public; the baseline added its grants on top of that default instead of
-- replacing it, so on the platform `authenticated` could also update trips.user_id or
-- read api_keys.encrypted_value. Column lists below are the whole of what the API
-- roles may touch; anon gets nothing (every route needs a signed-in user), and no
-- API role uses a sequence (identity columns need none).

revoke all on all tables in schema public from anon, authenticated;
revoke all on all sequences in schema public from anon, authenticated;

-- Trip children: members read; editors write (RLS); provenance columns are set by
-- triggers whatever the client sends.
grant select, insert, update, delete on
  public.accommodations, public.flights, public.itinerary_items, public.transportation,
  public.trip_notes, public.saved_options, public.trip_comparisons, public.file_attachments,
  public.chat_sessions
  to authenticated;

-- Written and removed; edited only in the columns granted below, if any.
grant select, insert, delete on
  public.chat_messages, public.search_history, public.trips, public.trip_collaborators,
  public.user_preferences
  to authenticated;
grant update (name, start_date, end_date, destination, budget, currency, travelers, status,
  trip_type, flexibility, description) on public.trips to authenticated;
grant update (permission_level) on public.trip_collaborators to authenticated;
grant update (preferences) on public.user_preferences to authenticated;

-- Profiles: readable (RLS: own and trip companions), only the name is editable.
grant select on public.users to authenticated;
grant update (name) on public.users to authenticated;

-- Provider keys: never the ciphertext; only switching off and expiry are editable.
grant select (id, user_id, service_name, key_name, encryption_key_id, value_mask, is_active,
  expires_at, last_used_at, last_validated_at, usage_count, created_at, updated_at)
  on public.api_keys to authenticated;
grant update (is_active, expires_at) on public.api_keys to authenticated;
grant delete on public.api_keys to authenticated;

-- Embeddings: written by the memories function under RLS; only labels are editable.
grant select, insert, delete on public.memory_embeddings to authenticated;
grant update (content_type, metadata) on public.memory_embeddings to authenticated;

-- Shared price observations: read only.
grant select on public.price_history to authenticated;
