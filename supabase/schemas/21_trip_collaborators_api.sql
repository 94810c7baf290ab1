-- RPCs for a trip's members: list, change level, remove (or leave); adding a member
-- is an invitation (07_trip_invitations.sql). Security invoker: RLS on
-- trip_collaborators enforces the rules; the checks here give each refusal its own
-- status and message.
create function private.collaborator_json(c public.trip_collaborators)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'trip_id', c.trip_id, 'user_id', c.user_id,
    'email', (select u.email from public.users u where u.id = c.user_id),
    'permission_level', c.permission_level, 'added_by', c.added_by,
    'created_at', c.created_at, 'updated_at', c.updated_at)
$$;
comment on function private.collaborator_json(public.trip_collaborators) is
  'A collaborator as the API returns it.';
revoke all on function private.collaborator_json(public.trip_collaborators) from public;
grant execute on function private.collaborator_json(public.trip_collaborators) to authenticated,
  service_role;

create function private.check_permission_level(p_level text)
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  perform private.check_one_of('permission_level', coalesce(p_level, ''),
    pg_catalog.enum_range(null::public.trip_permission_level)::text[]);
end
$$;
comment on function private.check_permission_level(text) is
  'Raises 22023 unless a value of public.trip_permission_level.';
revoke all on function private.check_permission_level(text) from public;
grant execute on function private.check_permission_level(text) to authenticated, service_role;

create function public.list_trip_collaborators(p_trip_id bigint)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  if not private.can_view_trip(p_trip_id) then
    raise exception using errcode = 'P0002', message = 'trip not found';
  end if;
  return jsonb_build_object('items', coalesce((
    select jsonb_agg(private.collaborator_json(c) order by c.created_at, c.id)
      from public.trip_collaborators c where c.trip_id = p_trip_id), '[]'::jsonb),
    'next_cursor', null);
end
$$;
comment on function public.list_trip_collaborators(bigint) is
  'GET /trips/:id/collaborators: everyone the trip is shared with.';
revoke all on function public.list_trip_collaborators(bigint) from public;
grant execute on function public.list_trip_collaborators(bigint) to authenticated;

create function public.update_trip_collaborator(
  p_trip_id bigint, p_user_id uuid, p_permission_level text)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  perm text := private.trip_permission(p_trip_id);
  current_level text;
  c public.trip_collaborators;
begin
  if perm is null then
    raise exception using errcode = 'P0002', message = 'trip not found';
  end if;
  perform private.check_permission_level(p_permission_level);
  select x.permission_level into current_level
    from public.trip_collaborators x where x.trip_id = p_trip_id and x.user_id = p_user_id;
  if current_level is null then
    raise exception using errcode = 'P0002', message = 'collaborator not found';
  end if;
  if perm not in ('owner', 'admin') then
    raise exception using errcode = '42501', message = 'only the owner or an admin can change access';
  end if;
  if perm <> 'owner' then
    if p_user_id = (select auth.uid()) then
      raise exception using errcode = '42501', message = 'you cannot change your own access level';
    elsif p_permission_level = 'admin' then
      raise exception using errcode = '42501', message = 'only the owner can grant admin';
    elsif current_level = 'admin' then
      raise exception using errcode = '42501', message = 'only the owner can change an admin';
    end if;
  end if;
  update public.trip_collaborators x set permission_level = p_permission_level::public.trip_permission_level
   where x.trip_id = p_trip_id and x.user_id = p_user_id
  returning * into c;
  return private.collaborator_json(c);
end
$$;
comment on function public.update_trip_collaborator(bigint, uuid, text) is
  'PATCH /trips/:id/collaborators/:userId: changes a collaborator''s level.';
revoke all on function public.update_trip_collaborator(bigint, uuid, text) from public;
grant execute on function public.update_trip_collaborator(bigint, uuid, text) to authenticated;

create function public.remove_trip_collaborator(p_trip_id bigint, p_user_id uuid)
returns void
language plpgsql
set search_path = ''
as $$
declare
  perm text := private.trip_permission(p_trip_id);
  current_level text;
begin
  if perm is null then
    raise exception using errcode = 'P0002', message = 'trip not found';
  end if;
  select x.permission_level into current_level
    from public.trip_collaborators x where x.trip_id = p_trip_id and x.user_id = p_user_id;
  if current_level is null then
    raise exception using errcode = 'P0002', message = 'collaborator not found';
  end if;
  if p_user_id <> (select auth.uid()) then
    if perm not in ('owner', 'admin') then
      raise exception using errcode = '42501', message = 'only the owner or an admin can remove others';
    elsif perm <> 'owner' and current_level = 'admin' then
      raise exception using errcode = '42501', message = 'only the owner can remove an admin';
    end if;
  end if;
  delete from public.trip_collaborators x where x.trip_id = p_trip_id and x.user_id = p_user_id;
end
$$;
comment on function public.remove_trip_collaborator(bigint, uuid) is
  'DELETE /trips/:id/collaborators/:userId: removes a collaborator; anyone may remove themselves.';
revoke all on function public.remove_trip_collaborator(bigint, uuid) from public;
grant execute on function public.remove_trip_collaborator(bigint, uuid) to authenticated;
