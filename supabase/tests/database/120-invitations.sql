-- Sharing with consent (migration ..._trip_invitations): an invitation reveals nothing
-- about the address, only its holder sees and answers it, only acceptance makes a
-- member, and invitations expire, can be revoked and stop working when the inviter
-- loses the right to share. Tried as the attacker would, through the RPCs and direct SQL.
begin;
select plan(35);

select tests.create_user(u)
  from unnest(array['inv_owner', 'inv_admin', 'inv_guest', 'inv_other', 'inv_late']) u;
create temporary table ids (k text primary key, v bigint) on commit drop;
grant all on ids to authenticated;

select tests.authenticate_as('inv_owner');
insert into ids select 'trip', (public.create_trip(
  '{"name":"Urgent: verify your account","destination":"Oslo","start_date":"2027-03-01","end_date":"2027-03-04","budget":100}') ->> 'id')::bigint;

-- The answer does not depend on whether the address has an account.
create temporary table answers (k text, a jsonb) on commit drop;
grant all on answers to authenticated;
insert into answers select 'registered', public.invite_to_trip((select v from ids where k = 'trip'), 'Inv_Guest@test.local', 'edit');
insert into answers select 'unknown', public.invite_to_trip((select v from ids where k = 'trip'), 'nobody-here@test.local', 'edit');
insert into ids select 'guest_inv', (a ->> 'id')::bigint from answers where k = 'registered';
select is((select a - 'id' - 'email' - 'created_at' - 'updated_at' - 'expires_at' from answers where k = 'registered'),
          (select a - 'id' - 'email' - 'created_at' - 'updated_at' - 'expires_at' from answers where k = 'unknown'),
  'inviting a registered and an unknown address answers alike');
select ok((select not (a::text ~ tests.get_user_id('inv_guest')::text) from answers where k = 'registered'),
  'the answer never carries the invitee''s user id');
select is((select a ->> 'email' from answers where k = 'registered'), 'inv_guest@test.local', 'addresses are lower-cased');
select is((public.invite_to_trip((select v from ids where k = 'trip'), 'inv_guest@test.local', 'view') ->> 'id')::bigint,
          (select v from ids where k = 'guest_inv'), 'inviting a pending address again renews the same invitation');
select is(jsonb_array_length(public.list_trip_invitations((select v from ids where k = 'trip')) -> 'items'), 2,
  'the owner lists the trip''s invitations');

-- Before accepting: nothing of the trip.
select tests.authenticate_as('inv_guest');
select is(public.list_trips() -> 'items', '[]'::jsonb, 'a pending invitation does not put the trip in the invitee''s list');
select throws_ok($$ select public.get_trip((select v from ids where k = 'trip')) $$, 'P0002', 'trip not found',
  'nor lets them read it');
select is(public.list_my_invitations() #>> '{items,0,trip,name}', 'Urgent: verify your account',
  'the invitee sees the invitation with the trip''s name');
select is(public.list_my_invitations() #>> '{items,0,permission_level}', 'view', 'at the renewed level');
select is((select count(*)::int from public.trip_invitations), 1, 'and reads their own invitation row directly');

-- Someone else cannot see, accept or decline it.
select tests.authenticate_as('inv_other');
select is(public.list_my_invitations() -> 'items', '[]'::jsonb, 'another user has no invitations');
select is((select count(*)::int from public.trip_invitations), 0, 'and reads no invitation row');
select throws_ok($$ select public.respond_to_trip_invitation((select v from ids where k = 'guest_inv'), true) $$,
  'P0002', 'invitation not found', 'and cannot accept someone else''s invitation');
-- A token that claims the guest's email does not make the holder the guest.
select set_config('request.jwt.claims',
  (current_setting('request.jwt.claims')::jsonb || '{"email": "inv_guest@test.local"}')::text, true);
select throws_ok($$ select public.respond_to_trip_invitation((select v from ids where k = 'guest_inv'), true) $$,
  'P0002', 'invitation not found', 'a forged email claim does not either');

-- Accepting makes a member at the invited level, added by the inviter.
select tests.authenticate_as('inv_guest');
select is(public.respond_to_trip_invitation((select v from ids where k = 'guest_inv'), true) ->> 'status', 'accepted',
  'the invitee accepts');
select is(public.get_trip((select v from ids where k = 'trip')) ->> 'my_permission', 'view', 'and now views the trip');
select is((select added_by from public.trip_collaborators where user_id = tests.get_user_id('inv_guest')),
  tests.get_user_id('inv_owner'), 'added by the inviter');
select throws_ok($$ select public.respond_to_trip_invitation((select v from ids where k = 'guest_inv'), false) $$,
  '55000', 'the invitation was already accepted', 'an answered invitation cannot be answered again');

-- Declining, revoking, expiry.
select tests.authenticate_as('inv_owner');
insert into ids select 'other_inv', (public.invite_to_trip((select v from ids where k = 'trip'), 'inv_other@test.local', 'view') ->> 'id')::bigint;
select tests.authenticate_as('inv_other');
select is(public.respond_to_trip_invitation((select v from ids where k = 'other_inv'), false) ->> 'status', 'declined',
  'an invitee may decline');
select throws_ok($$ select public.get_trip((select v from ids where k = 'trip')) $$, 'P0002', 'trip not found',
  'and stays out');

select tests.authenticate_as('inv_owner');
insert into ids select 'late_inv', (public.invite_to_trip((select v from ids where k = 'trip'), 'inv_late@test.local', 'view') ->> 'id')::bigint;
select lives_ok($$ select public.revoke_trip_invitation((select v from ids where k = 'trip'), (select v from ids where k = 'late_inv')) $$,
  'the owner revokes an invitation');
select tests.authenticate_as('inv_late');
select throws_ok($$ select public.respond_to_trip_invitation((select v from ids where k = 'late_inv'), true) $$,
  '55000', 'the invitation was already revoked', 'a revoked invitation cannot be accepted');

select tests.authenticate_as('inv_owner');
insert into ids select 'late_inv2', (public.invite_to_trip((select v from ids where k = 'trip'), 'inv_late@test.local', 'view') ->> 'id')::bigint;
reset role;
update public.trip_invitations set expires_at = now() - interval '1 second' where id = (select v from ids where k = 'late_inv2');
select tests.authenticate_as('inv_late');
select is(public.list_my_invitations() -> 'items', '[]'::jsonb, 'an expired invitation is no longer listed');
select throws_ok($$ select public.respond_to_trip_invitation((select v from ids where k = 'late_inv2'), true) $$,
  '55000', 'the invitation has expired', 'nor accepted');

-- An invitation stops working when its sender can no longer share the trip.
select tests.authenticate_as('inv_owner');
select tests.share_trip((select v from ids where k = 'trip'), 'inv_admin', 'admin');
select tests.authenticate_as('inv_admin');
insert into ids select 'demoted_inv', (public.invite_to_trip((select v from ids where k = 'trip'), 'inv_late@test.local', 'edit') ->> 'id')::bigint;
select tests.authenticate_as('inv_owner');
select public.update_trip_collaborator((select v from ids where k = 'trip'), tests.get_user_id('inv_admin'), 'view');
select tests.authenticate_as('inv_late');
select is(public.respond_to_trip_invitation((select v from ids where k = 'demoted_inv'), true)
            - 'id' - 'trip_id' - 'responded_at',
  '{"status":"revoked","permission_level":"edit","refused":"the invitation is no longer valid: whoever sent it can no longer share this trip"}'::jsonb,
  'an invitation from a demoted admin no longer admits anyone');
select is((select count(*)::int from public.trip_collaborators
            where trip_id = (select v from ids where k = 'trip') and user_id = tests.get_user_id('inv_late')),
  0, 'the refused invitee did not join');
-- The refusal is kept: no pending ghost that comes back when the inviter is promoted again.
select tests.authenticate_as('inv_owner');
select public.update_trip_collaborator((select v from ids where k = 'trip'), tests.get_user_id('inv_admin'), 'admin');
select tests.authenticate_as('inv_late');
select is(public.list_my_invitations() -> 'items', '[]'::jsonb, 'the refused invitation stays revoked');
select throws_ok($$ select public.respond_to_trip_invitation((select v from ids where k = 'demoted_inv'), true) $$,
  '55000', 'the invitation was already revoked', 'and cannot be accepted after the promotion');

-- Only someone who could revoke a pending invitation can change its level or inviter.
select tests.authenticate_as('inv_owner');
insert into ids select 'admin_inv', (public.invite_to_trip((select v from ids where k = 'trip'), 'boss@test.local', 'admin') ->> 'id')::bigint;
select tests.authenticate_as('inv_admin');
select throws_ok($$ select public.invite_to_trip((select v from ids where k = 'trip'), 'boss@test.local', 'view') $$,
  '42501', 'only the owner can change an invitation to admin',
  'an admin cannot take over the owner''s admin invitation by inviting again');
select throws_ok($$ select public.revoke_trip_invitation((select v from ids where k = 'trip'), (select v from ids where k = 'admin_inv')) $$,
  '42501', 'only the owner can revoke an admin invitation', 'nor revoke it');
reset role;
select is((select (permission_level::text, invited_by = tests.get_user_id('inv_owner'), status::text)::text
             from public.trip_invitations where id = (select v from ids where k = 'admin_inv')),
  '(admin,t,pending)', 'the owner''s admin invitation is as the owner left it');

-- One normal form for addresses: ASCII case folds, lookalike characters do not.
select tests.authenticate_as('inv_owner');
insert into ids select 'kate_inv', (public.invite_to_trip((select v from ids where k = 'trip'), '  Kate@Test.LOCAL ', 'view') ->> 'id')::bigint;
select is((select email from public.trip_invitations where id = (select v from ids where k = 'kate_inv')),
  'kate@test.local', 'an address is trimmed and lower-cased in ASCII');
select is(public.invite_to_trip((select v from ids where k = 'trip'), E'\u212Aate@test.local', 'view') ->> 'email',
  E'\u212Aate@test.local', 'a Kelvin sign is not folded to k');
select tests.create_user('kate');
select tests.authenticate_as('kate');
select is((select array_agg((i ->> 'id')::bigint) from jsonb_array_elements(public.list_my_invitations() -> 'items') i),
  array[(select v from ids where k = 'kate_inv')],
  'kate@test.local sees the invitation to her address, not the lookalike''s');

-- An anonymous session holds no confirmed address, so it answers no invitation.
select tests.authenticate_as('inv_owner');
insert into ids select 'anon_inv', (public.invite_to_trip((select v from ids where k = 'trip'), 'inv_other@test.local', 'view') ->> 'id')::bigint;
reset role;
update auth.users set is_anonymous = true where id = tests.get_user_id('inv_other');
select tests.authenticate_as('inv_other');
select throws_ok($$ select public.respond_to_trip_invitation((select v from ids where k = 'anon_inv'), true) $$,
  'P0002', 'invitation not found', 'an anonymous user cannot accept an invitation to the address they once had');

select * from finish();
rollback;
