-- Argument validation for RPCs that take a JSON body: each helper reads one field,
-- checks its type and range, and raises SQLSTATE 22023 naming the field (in the
-- error's COLUMN) with a message a user can act on. The Edge Functions map 22023
-- to HTTP 422 with details.field.

create or replace function private.invalid(p_field text, p_message text)
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

create or replace function private.reject_unknown_fields(p jsonb, p_allowed text[])
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

create or replace function private.check_one_of(p_field text, p_value text, p_allowed text[])
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

create or replace function private.text_field(
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

create or replace function private.date_field(p jsonb, p_field text, p_required boolean)
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

create or replace function private.number_field(
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

create or replace function private.object_field(p jsonb, p_field text)
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

revoke all on all functions in schema private from public;
grant execute on function
  private.invalid(text, text), private.check_one_of(text, text, text[]),
  private.reject_unknown_fields(jsonb, text[]),
  private.text_field(jsonb, text, boolean, integer, text[]), private.date_field(jsonb, text, boolean),
  private.number_field(jsonb, text, boolean, numeric, numeric, boolean, boolean),
  private.object_field(jsonb, text)
  to authenticated, service_role;
