-- Helpers every table or RPC uses: request validation, provenance, limits.
--
-- Argument validation for RPCs that take a JSON body: each helper reads one field,
-- checks its type and range, and raises SQLSTATE 22023 naming the field (in the
-- error's COLUMN) with a message a user can act on. The Edge Functions map 22023
-- to HTTP 422 with details.field.
create function private.invalid(p_field text, p_message text)
returns void
language plpgsql
volatile -- it raises: never let the planner constant-fold it
set search_path = ''
as $$
begin
  raise exception using errcode = '22023', message = p_field || ' ' || p_message, column = p_field;
end
$$;
comment on function private.invalid(text, text) is 'Raises 22023 "<field> <message>" naming the field.';
revoke all on function private.invalid(text, text) from public;
grant execute on function private.invalid(text, text) to authenticated, service_role;

create function private.reject_unknown_fields(p jsonb, p_allowed text[])
returns void
language plpgsql
stable
set search_path = ''
as $$
declare
  k text;
begin
  if p is null or jsonb_typeof(p) <> 'object' then
    raise exception using errcode = '22023', message = 'the body must be a JSON object';
  end if;
  for k in select jsonb_object_keys(p) loop
    if not k = any (p_allowed) then
      perform private.invalid(k, 'is not a known field');
    end if;
  end loop;
end
$$;
comment on function private.reject_unknown_fields(jsonb, text[]) is
  'Raises 22023 for a non-object body or any key outside p_allowed.';
revoke all on function private.reject_unknown_fields(jsonb, text[]) from public;
grant execute on function private.reject_unknown_fields(jsonb, text[]) to authenticated,
  service_role;

create function private.check_one_of(p_field text, p_value text, p_allowed text[])
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  if p_value is not null and not p_value = any (p_allowed) then
    perform private.invalid(p_field, 'must be one of ' || array_to_string(p_allowed, ', '));
  end if;
end
$$;
comment on function private.check_one_of(text, text, text[]) is
  'Raises 22023 "<field> must be one of ..." unless p_value is null or in p_allowed '
  '(for enum types: pg_catalog.enum_range(null::<type>)::text[]).';
revoke all on function private.check_one_of(text, text, text[]) from public;
grant execute on function private.check_one_of(text, text, text[]) to authenticated, service_role;

create function private.text_field(
  p jsonb, p_field text, p_required boolean, p_max integer, p_allowed text[] default null)
returns text
language plpgsql
stable
set search_path = ''
as $$
declare
  v jsonb := p -> p_field;
  s text;
begin
  if v is null or jsonb_typeof(v) = 'null' then
    if p_required then perform private.invalid(p_field, 'is required'); end if;
    return null;
  end if;
  if jsonb_typeof(v) <> 'string' then perform private.invalid(p_field, 'must be a string'); end if;
  s := v #>> '{}';
  if p_required and btrim(s) = '' then perform private.invalid(p_field, 'must not be empty'); end if;
  if char_length(s) > p_max then
    perform private.invalid(p_field, format('must be at most %s characters', p_max));
  end if;
  if p_allowed is not null then perform private.check_one_of(p_field, s, p_allowed); end if;
  return s;
end
$$;
comment on function private.text_field(jsonb, text, boolean, integer, text[]) is
  'Reads a string field: required/empty/length/enumeration checks.';
revoke all on function private.text_field(jsonb, text, boolean, integer, text[]) from public;
grant execute on function private.text_field(jsonb, text, boolean, integer, text[]) to
  authenticated, service_role;

create function private.date_field(p jsonb, p_field text, p_required boolean)
returns date
language plpgsql
stable
set search_path = ''
as $$
declare
  s text := private.text_field(p, p_field, p_required, 10);
begin
  if s is null then return null; end if;
  if s !~ '^\d{4}-\d{2}-\d{2}$' then
    perform private.invalid(p_field, 'must be a date as YYYY-MM-DD');
  end if;
  begin
    return s::date;
  exception when others then
    perform private.invalid(p_field, 'is not a valid calendar date');
  end;
  return null;
end
$$;
comment on function private.date_field(jsonb, text, boolean) is 'Reads a YYYY-MM-DD date field.';
revoke all on function private.date_field(jsonb, text, boolean) from public;
grant execute on function private.date_field(jsonb, text, boolean) to authenticated, service_role;

create function private.number_field(
  p jsonb, p_field text, p_required boolean, p_min numeric, p_max numeric,
  p_min_exclusive boolean default false, p_integer boolean default false)
returns numeric
language plpgsql
stable
set search_path = ''
as $$
declare
  v jsonb := p -> p_field;
  n numeric;
begin
  if v is null or jsonb_typeof(v) = 'null' then
    if p_required then perform private.invalid(p_field, 'is required'); end if;
    return null;
  end if;
  if jsonb_typeof(v) <> 'number' then perform private.invalid(p_field, 'must be a number'); end if;
  n := (v #>> '{}')::numeric;
  if p_integer and n <> trunc(n) then perform private.invalid(p_field, 'must be a whole number'); end if;
  if (p_min_exclusive and n <= p_min) or (not p_min_exclusive and n < p_min) then
    perform private.invalid(p_field,
      format('must be %s %s', case when p_min_exclusive then 'greater than' else 'at least' end, p_min));
  end if;
  if n > p_max then perform private.invalid(p_field, format('must be at most %s', p_max)); end if;
  return n;
end
$$;
comment on function private.number_field(jsonb, text, boolean, numeric, numeric, boolean, boolean) is
  'Reads a numeric field with bounds (optionally exclusive minimum, optionally integer).';
revoke all on function private.number_field(jsonb, text, boolean, numeric, numeric, boolean,
  boolean) from public;
grant execute on function private.number_field(jsonb, text, boolean, numeric, numeric, boolean,
  boolean) to authenticated, service_role;

create function private.object_field(p jsonb, p_field text)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  v jsonb := p -> p_field;
begin
  if v is null or jsonb_typeof(v) = 'null' then return null; end if;
  if jsonb_typeof(v) <> 'object' then perform private.invalid(p_field, 'must be a JSON object'); end if;
  return v;
end
$$;
comment on function private.object_field(jsonb, text) is 'Reads an optional JSON object field.';
revoke all on function private.object_field(jsonb, text) from public;
grant execute on function private.object_field(jsonb, text) to authenticated, service_role;

-- Who wrote a row and when is the database's to say, never the client's: otherwise,
-- through the Data API, a member could insert a note "by" another member, back-date a
-- message, or move a collaborator's added_by (the policies check only the trip). For
-- the API roles (anon, authenticated), every insert gets created_at (and updated_at) =
-- now() and an author column no policy checks = auth.uid(), and updates keep both as
-- they were (an owner column a policy pins to auth.uid() still refuses another id).
-- Jobs, seeds and the functions' admin client write as other roles and are left alone.
-- Each table the API roles write has a <table>_set_provenance trigger, named so that it
-- runs before <table>_set_updated_at (triggers fire in name order); owner columns that
-- a policy pins to auth.uid() keep that explicit refusal and pass no author column.
create function private.set_provenance()
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

-- Limits on what one user can pile up, each a 409 LIMIT_REACHED (SQLSTATE 54000)
-- naming the limit, so that no one user's rows can make another's requests slow (an
-- unbounded trip made one GET /trips/:id megabytes long). Each table's <table>_limit
-- trigger passes its grouping column and limit:
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
create function private.enforce_limit()
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
