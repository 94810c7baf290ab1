-- Sharing with consent: trip invitations.
--
-- Adding someone by email made the trip appear in their list at once (a phishing
-- vector), answered 201 or 404 by whether the address had an account and returned its
-- user id. Now an owner or admin invites an address; the answer is the same whether or
-- not anyone has it. Only the person who holds that confirmed address sees the
-- invitation, and only their acceptance makes them a member. Invitations expire (14
-- days) and can be revoked; re-inviting a pending address renews it. Nothing else adds
-- a collaborator: the direct-add RPC, its email lookup and the insert policy go.
--
-- * The RPC bodies are SECURITY DEFINER functions in `private` (a schema the Data API
--   does not expose), each with its explicit permission check; `public` has SECURITY
--   INVOKER functions of the same signatures that call them (a definer in `public` is
--   what Supabase's Security Advisor warns on, lints 0028/0029).
-- * Only someone who could revoke a pending invitation can change its level or inviter
--   (an admin cannot take over an invitation the owner made).
-- * A refused acceptance leaves a consistent state: when the inviter can no longer
--   share, the invitation is marked revoked and the answer says so (raising would roll
--   the mark back and leave a pending ghost). The function answers 409 for it.
-- * The pending limit holds under concurrency: invitations to one trip are made one at
--   a time (a transaction-scoped advisory lock per trip).
-- * One normal form for addresses, private.email_key: trimmed and lower-cased in ASCII
--   only (collation "C"), as Supabase Auth's own comparison of addresses is. A Unicode
--   lower() maps U+212A KELVIN SIGN to "k": lookalike addresses must stay different.
create type public.invitation_status as enum ('pending', 'accepted', 'declined', 'revoked');
comment on type public.invitation_status is
  'Where an invitation stands; a pending one past expires_at is reported as expired.';

create function private.email_key(p_email text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select lower(btrim(p_email) collate "C")
$$;
comment on function private.email_key(text) is
  'The normal form addresses are stored and compared in: trimmed, lower-cased in ASCII only '
  '(no Unicode case folding: a lookalike character stays itself).';
revoke all on function private.email_key(text) from public;
grant execute on function private.email_key(text) to authenticated, service_role;

create table public.trip_invitations (
  id bigint generated always as identity primary key,
  trip_id bigint not null references public.trips (id) on delete cascade,
  email text not null,
  permission_level public.trip_permission_level not null default 'view',
  invited_by uuid not null references public.users (id) on delete cascade,
  status public.invitation_status not null default 'pending',
  expires_at timestamptz not null default now() + interval '14 days',
  responded_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint trip_invitations_email_normalized
    check (email = private.email_key(email) and char_length(email) <= 320
           and email ~ '^[^\s@]+@[^\s@]+$')
);
comment on table public.trip_invitations is
  'Invitations to share a trip, by email. Read by the trip''s owner and admins and by the '
  'holder of the address; written only through the invitation RPCs.';
comment on column public.trip_invitations.email is
  'The invited address in its normal form (private.email_key).';
comment on column public.trip_invitations.invited_by is
  'Who invited; becomes the collaborator''s added_by on acceptance.';
comment on column public.trip_invitations.expires_at is 'After this a pending invitation can no longer be accepted.';
comment on column public.trip_invitations.responded_at is 'When the invitee accepted or declined, or it was revoked.';

create unique index trip_invitations_one_pending on public.trip_invitations (trip_id, email)
  where status = 'pending';
comment on index public.trip_invitations_one_pending is
  'One pending invitation per address and trip: inviting again renews it.';
create index trip_invitations_pending_by_email on public.trip_invitations (email)
  where status = 'pending';
comment on index public.trip_invitations_pending_by_email is 'An invitee''s pending invitations.';
create index trip_invitations_invited_by on public.trip_invitations (invited_by);
comment on index public.trip_invitations_invited_by is 'Foreign key: users deleted cascade.';

create trigger trip_invitations_set_updated_at before update on public.trip_invitations
  for each row execute function private.set_updated_at();
comment on trigger trip_invitations_set_updated_at on public.trip_invitations is
  'Keeps updated_at current.';

alter table public.trip_invitations enable row level security;
grant select on public.trip_invitations to authenticated;
grant all on public.trip_invitations to service_role;

-- The caller's own address, if Supabase Auth has confirmed it: an invitation is for
-- whoever proved they hold the address, not for whoever typed it into a profile.
create function private.caller_email()
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select private.email_key(u.email) from auth.users u
   where u.id = (select auth.uid())
     and u.email_confirmed_at is not null
     and not coalesce(u.is_anonymous, false)
$$;
comment on function private.caller_email() is
  'The caller''s confirmed email address in its normal form (null for anonymous users).';
revoke all on function private.caller_email() from public;
grant execute on function private.caller_email() to authenticated, service_role;

create policy "trip_invitations: read as trip admin or as the invitee" on public.trip_invitations
  for select to authenticated
  using (private.can_admin_trip(trip_id) or email = (select private.caller_email()));

create function private.invitation_json(i public.trip_invitations)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'id', i.id, 'trip_id', i.trip_id, 'email', i.email,
    'permission_level', i.permission_level, 'invited_by', i.invited_by,
    'status', case when i.status = 'pending' and i.expires_at <= now() then 'expired'
                   else i.status::text end,
    'expires_at', i.expires_at, 'responded_at', i.responded_at,
    'created_at', i.created_at, 'updated_at', i.updated_at)
$$;
comment on function private.invitation_json(public.trip_invitations) is
  'An invitation as the API returns it to the trip''s admins.';
revoke all on function private.invitation_json(public.trip_invitations) from public;
grant execute on function private.invitation_json(public.trip_invitations) to authenticated, service_role;

create function public.list_trip_invitations(p_trip_id bigint)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  perm text := private.trip_permission(p_trip_id);
begin
  if perm is null then
    raise exception using errcode = 'P0002', message = 'trip not found';
  end if;
  if perm not in ('owner', 'admin') then
    raise exception using errcode = '42501', message = 'only the owner or an admin can see invitations';
  end if;
  return jsonb_build_object('items', coalesce((
    select jsonb_agg(private.invitation_json(i) order by i.created_at desc, i.id desc)
      from public.trip_invitations i where i.trip_id = p_trip_id), '[]'::jsonb),
    'next_cursor', null);
end
$$;
comment on function public.list_trip_invitations(bigint) is
  'GET /trips/:id/invitations: the trip''s invitations (at most 100 pending, answered ones '
  'for 30 days), newest first; owner and admins only.';

-- Definer: the caller cannot write invitations directly; every rule is checked here.
create function private.invite_to_trip(
  p_trip_id bigint, p_email text, p_permission_level text default 'view')
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  perm text := private.trip_permission(p_trip_id);
  address text := private.email_key(p_email);
  inv public.trip_invitations;
begin
  if perm is null then
    raise exception using errcode = 'P0002', message = 'trip not found';
  end if;
  if address is null or address !~ '^[^\s@]+@[^\s@]+$' or char_length(address) > 320 then
    perform private.invalid('email', 'must be an email address');
  end if;
  perform private.check_permission_level(p_permission_level);
  if private.is_anonymous() then
    raise exception using errcode = '42501', message = 'anonymous users cannot share trips',
      hint = 'Sign up with an email address to share trips.';
  end if;
  if perm not in ('owner', 'admin') then
    raise exception using errcode = '42501', message = 'only the owner or an admin can share this trip';
  end if;
  if p_permission_level = 'admin' and perm <> 'owner' then
    raise exception using errcode = '42501', message = 'only the owner can grant admin';
  end if;
  -- One invitation change per trip at a time: the pending count below stays true.
  perform pg_catalog.pg_advisory_xact_lock(
    pg_catalog.hashtextextended('trip-invitations:' || p_trip_id::text, 0));
  -- Members' addresses are already visible to an admin, so naming them reveals nothing.
  if exists (select 1 from public.trips t join public.users u on u.id = t.user_id
              where t.id = p_trip_id and private.email_key(u.email) = address)
     or exists (select 1 from public.trip_collaborators c join public.users u on u.id = c.user_id
                 where c.trip_id = p_trip_id and private.email_key(u.email) = address) then
    perform private.invalid('email', 'belongs to someone who already has access to this trip');
  end if;
  select * into inv from public.trip_invitations x
   where x.trip_id = p_trip_id and x.email = address and x.status = 'pending'
   for update;
  -- Renewing a pending invitation changes its level and inviter: only for someone who
  -- could revoke it.
  if inv.id is not null and inv.permission_level = 'admin' and perm <> 'owner' then
    raise exception using errcode = '42501',
      message = 'only the owner can change an invitation to admin';
  end if;
  if inv.id is null and (select count(*) from public.trip_invitations x
       where x.trip_id = p_trip_id and x.status = 'pending' and x.expires_at > now()) >= 100 then
    raise exception using errcode = '54000', message = 'a trip can have at most 100 pending invitations',
      hint = 'Revoke some invitations before sending more.';
  end if;
  -- Answered invitations older than 30 days are history nobody reads: pruned here,
  -- per trip, so the table stays bounded without a job.
  delete from public.trip_invitations x
   where x.trip_id = p_trip_id
     and (x.status <> 'pending' or x.expires_at <= now())
     and x.updated_at < now() - interval '30 days';
  if inv.id is not null then
    update public.trip_invitations x
       set permission_level = p_permission_level::public.trip_permission_level,
           invited_by = (select auth.uid()),
           expires_at = now() + interval '14 days'
     where x.id = inv.id
    returning * into inv;
  else
    insert into public.trip_invitations (trip_id, email, permission_level, invited_by)
    values (p_trip_id, address, p_permission_level::public.trip_permission_level, (select auth.uid()))
    returning * into inv;
  end if;
  return private.invitation_json(inv);
end
$$;
comment on function private.invite_to_trip(bigint, text, text) is
  'For public.invite_to_trip: invites an address (same answer whether or not it has an '
  'account); inviting a pending address again renews it, if the caller could revoke it. '
  'One change per trip at a time.';

create function private.revoke_trip_invitation(p_trip_id bigint, p_invitation_id bigint)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  perm text := private.trip_permission(p_trip_id);
  inv public.trip_invitations;
begin
  if perm is null then
    raise exception using errcode = 'P0002', message = 'trip not found';
  end if;
  if perm not in ('owner', 'admin') then
    raise exception using errcode = '42501', message = 'only the owner or an admin can revoke invitations';
  end if;
  select * into inv from public.trip_invitations x
   where x.id = p_invitation_id and x.trip_id = p_trip_id for update;
  if inv.id is null then
    raise exception using errcode = 'P0002', message = 'invitation not found';
  end if;
  if inv.permission_level = 'admin' and perm <> 'owner' then
    raise exception using errcode = '42501', message = 'only the owner can revoke an admin invitation';
  end if;
  if inv.status <> 'pending' then
    raise exception using errcode = '55000', message = 'the invitation was already ' || inv.status::text;
  end if;
  update public.trip_invitations x set status = 'revoked', responded_at = now() where x.id = inv.id;
end
$$;
comment on function private.revoke_trip_invitation(bigint, bigint) is
  'For public.revoke_trip_invitation: withdraws a pending invitation (an admin invitation: '
  'the owner only).';

-- Definer: the invitee is not a member yet, so the trip and the inviter are out of
-- their reach under RLS; what an invitation shows of them is chosen here.
create function private.list_my_invitations()
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object('items', coalesce(jsonb_agg(jsonb_build_object(
      'id', i.id, 'permission_level', i.permission_level,
      'expires_at', i.expires_at, 'created_at', i.created_at,
      'trip', jsonb_build_object('id', t.id, 'name', t.name, 'destination', t.destination,
                                 'start_date', t.start_date, 'end_date', t.end_date),
      'invited_by', jsonb_build_object('name', u.name, 'email', u.email))
    order by i.created_at desc, i.id desc), '[]'::jsonb), 'next_cursor', null)
    from public.trip_invitations i
    join public.trips t on t.id = i.trip_id
    join public.users u on u.id = i.invited_by
   where i.email = private.caller_email()
     and i.status = 'pending' and i.expires_at > now()
$$;
comment on function private.list_my_invitations() is
  'For public.list_my_invitations: the caller''s pending invitations, with the trip''s name '
  'and dates and who invited them.';

create function private.respond_to_trip_invitation(p_invitation_id bigint, p_accept boolean)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  me uuid := (select auth.uid());
  inv public.trip_invitations;
  inviter_may_grant boolean;
begin
  if p_accept is null then
    perform private.invalid('accept', 'must be true or false');
  end if;
  select * into inv from public.trip_invitations x
   where x.id = p_invitation_id and x.email = private.caller_email() for update;
  -- Another address's invitation is as unknown as one that does not exist.
  if inv.id is null then
    raise exception using errcode = 'P0002', message = 'invitation not found';
  end if;
  if inv.status <> 'pending' then
    raise exception using errcode = '55000', message = 'the invitation was already ' || inv.status::text;
  end if;
  if inv.expires_at <= now() then
    raise exception using errcode = '55000', message = 'the invitation has expired',
      hint = 'Ask for a new invitation.';
  end if;
  if p_accept then
    -- The inviter must still be able to grant this level.
    select (t.user_id = inv.invited_by)
           or exists (select 1 from public.trip_collaborators c
                       where c.trip_id = inv.trip_id and c.user_id = inv.invited_by
                         and c.permission_level = 'admin' and inv.permission_level <> 'admin')
      into inviter_may_grant
      from public.trips t where t.id = inv.trip_id;
    if not coalesce(inviter_may_grant, false) then
      -- Kept revoked (committed with the answer): it can never come back as pending.
      update public.trip_invitations x set status = 'revoked', responded_at = now()
       where x.id = inv.id
      returning * into inv;
      return jsonb_build_object('id', inv.id, 'trip_id', inv.trip_id, 'status', inv.status,
        'permission_level', inv.permission_level, 'responded_at', inv.responded_at,
        'refused', 'the invitation is no longer valid: whoever sent it can no longer share this trip');
    end if;
    if not exists (select 1 from public.trips t where t.id = inv.trip_id and t.user_id = me) then
      insert into public.trip_collaborators (trip_id, user_id, added_by, permission_level)
      values (inv.trip_id, me, inv.invited_by, inv.permission_level)
      on conflict (trip_id, user_id) do nothing;
    end if;
  end if;
  update public.trip_invitations x
     set status = case when p_accept then 'accepted' else 'declined' end::public.invitation_status,
         responded_at = now()
   where x.id = inv.id
  returning * into inv;
  return jsonb_build_object('id', inv.id, 'trip_id', inv.trip_id, 'status', inv.status,
    'permission_level', inv.permission_level, 'responded_at', inv.responded_at);
end
$$;
comment on function private.respond_to_trip_invitation(bigint, boolean) is
  'For public.respond_to_trip_invitation: the holder of the invited address joins the trip at '
  'the invited level, or declines. When the inviter can no longer share, the invitation is '
  'revoked and the answer carries `refused` (status revoked).';

revoke all on function private.invite_to_trip(bigint, text, text),
  private.revoke_trip_invitation(bigint, bigint), private.list_my_invitations(),
  private.respond_to_trip_invitation(bigint, boolean) from public;
grant execute on function private.invite_to_trip(bigint, text, text),
  private.revoke_trip_invitation(bigint, bigint), private.list_my_invitations(),
  private.respond_to_trip_invitation(bigint, boolean) to authenticated, service_role;

-- The API: the same signatures, run as the caller.
create function public.invite_to_trip(
  p_trip_id bigint, p_email text, p_permission_level text default 'view')
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select private.invite_to_trip(p_trip_id, p_email, p_permission_level)
$$;
comment on function public.invite_to_trip(bigint, text, text) is
  'POST /trips/:id/invitations: invites an address (same answer whether or not it has an '
  'account); inviting a pending address again renews the invitation. Runs as the caller; '
  'private.invite_to_trip checks every rule.';

create function public.revoke_trip_invitation(p_trip_id bigint, p_invitation_id bigint)
returns void
language sql
security invoker
set search_path = ''
as $$
  select private.revoke_trip_invitation(p_trip_id, p_invitation_id)
$$;
comment on function public.revoke_trip_invitation(bigint, bigint) is
  'DELETE /trips/:id/invitations/:invitationId: withdraws a pending invitation. Runs as the '
  'caller; private.revoke_trip_invitation checks every rule.';

create function public.list_my_invitations()
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select private.list_my_invitations()
$$;
comment on function public.list_my_invitations() is
  'GET /trips/invitations: the caller''s pending invitations, with the trip''s name and '
  'dates and who invited them. Runs as the caller.';

create function public.respond_to_trip_invitation(p_invitation_id bigint, p_accept boolean)
returns jsonb
language sql
security invoker
set search_path = ''
as $$
  select private.respond_to_trip_invitation(p_invitation_id, p_accept)
$$;
comment on function public.respond_to_trip_invitation(bigint, boolean) is
  'POST /trips/invitations/:id/accept|decline: joins the trip at the invited level, or '
  'declines; a refused acceptance answers status revoked with `refused`. Runs as the caller.';

revoke all on function public.invite_to_trip(bigint, text, text),
  public.revoke_trip_invitation(bigint, bigint), public.list_my_invitations(),
  public.respond_to_trip_invitation(bigint, boolean) from public, anon;
grant execute on function public.invite_to_trip(bigint, text, text),
  public.revoke_trip_invitation(bigint, bigint), public.list_my_invitations(),
  public.respond_to_trip_invitation(bigint, boolean) to authenticated, service_role;

revoke all on function public.list_trip_invitations(bigint) from public, anon;
grant execute on function public.list_trip_invitations(bigint) to authenticated, service_role;

-- Acceptance is the only way in.
drop function public.add_trip_collaborator(bigint, text, text);
drop function private.user_id_for_sharing(bigint, text);
drop policy "trip_collaborators: add as owner or admin, not anonymously" on public.trip_collaborators;
revoke insert on public.trip_collaborators from authenticated;
