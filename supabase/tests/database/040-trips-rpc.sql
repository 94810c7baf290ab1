-- The trips API RPCs as the callers use them: validation raising 22023 with the
-- field named, invisible trips as P0002 (404), visible-but-forbidden as 42501 (403),
-- sharing rules, listing with filters and cursors.
begin;
select plan(44);

select tests.create_user(u) from unnest(array['rpc_owner', 'rpc_admin', 'rpc_editor', 'rpc_viewer', 'rpc_stranger', 'rpc_new']) u;

select tests.authenticate_as('rpc_owner');
create temporary table ids (k text primary key, v bigint) on commit drop;
grant all on ids to authenticated;
insert into ids values ('trip', (public.create_trip(
  '{"name":" Kyoto ","destination":"Kyoto","start_date":"2027-04-01","end_date":"2027-04-05","budget":1200.5,"travelers":2}'
) ->> 'id')::bigint);
select is((public.get_trip((select v from ids where k = 'trip')) ->> 'name'), 'Kyoto', 'create_trip trims and stores the name');
select is((public.get_trip((select v from ids where k = 'trip')) ->> 'my_permission'), 'owner', 'the creator is the owner');

-- Validation: 22023 with a message naming the field.
select throws_ok($$ select public.create_trip('{"destination":"X","start_date":"2027-01-01","end_date":"2027-01-02","budget":1}') $$,
  '22023', 'name is required', 'missing name');
select throws_ok($$ select public.create_trip('{"name":"X","destination":"X","start_date":"2027-02-30","end_date":"2027-03-02","budget":1}') $$,
  '22023', 'start_date is not a valid calendar date', 'impossible date');
select throws_ok($$ select public.create_trip('{"name":"X","destination":"X","start_date":"01/02/2027","end_date":"2027-03-02","budget":1}') $$,
  '22023', 'start_date must be a date as YYYY-MM-DD', 'date format');
select throws_ok($$ select public.create_trip('{"name":"X","destination":"X","start_date":"2027-03-03","end_date":"2027-03-02","budget":1}') $$,
  '22023', 'end_date must not be before start_date', 'end before start');
select throws_ok($$ select public.create_trip('{"name":"X","destination":"X","start_date":"2027-03-01","end_date":"2027-03-02","budget":0}') $$,
  '22023', 'budget must be greater than 0', 'zero budget');
select throws_ok($$ select public.create_trip('{"name":"X","destination":"X","start_date":"2027-03-01","end_date":"2027-03-02","budget":"100"}') $$,
  '22023', 'budget must be a number', 'budget as a string');
select throws_ok($$ select public.create_trip('{"name":"X","destination":"X","start_date":"2027-03-01","end_date":"2027-03-02","budget":1.234}') $$,
  '22023', 'budget must have at most 2 decimals', 'budget precision');
select throws_ok($$ select public.create_trip('{"name":"X","destination":"X","start_date":"2027-03-01","end_date":"2027-03-02","budget":1000000000000}') $$,
  '22023', 'budget must be at most 999999999999.99', 'budget one cent past numeric(14,2) names the field');
select lives_ok($$ select public.create_trip('{"name":"X","destination":"X","start_date":"2027-03-01","end_date":"2027-03-02","budget":999999999999.99}') $$,
  'the largest budget numeric(14,2) holds is accepted');
select throws_ok($$ select public.create_trip('{"name":"X","destination":"X","start_date":"2027-03-01","end_date":"2027-03-02","budget":1,"travelers":1.5}') $$,
  '22023', 'travelers must be a whole number', 'fractional travelers');
select throws_ok($$ select public.create_trip('{"name":"X","destination":"X","start_date":"2027-03-01","end_date":"2027-03-02","budget":1,"travelers":0}') $$,
  '22023', 'travelers must be at least 1', 'zero travelers');
select throws_ok($$ select public.create_trip('{"name":"X","destination":"X","start_date":"2027-03-01","end_date":"2027-03-02","budget":1,"status":"dreaming"}') $$,
  '22023', 'status must be one of planning, booked, completed, canceled', 'unknown status');
select throws_ok($$ select public.create_trip('{"name":"X","destination":"X","start_date":"2027-03-01","end_date":"2027-03-02","budget":1,"trip_type":"space"}') $$,
  '22023', 'trip_type must be one of leisure, business, family, solo, other', 'unknown trip type');
select throws_ok($$ select public.create_trip('{"name":"X","destination":"X","start_date":"2027-03-01","end_date":"2027-03-02","budget":1,"currency":"euro"}') $$,
  '22023', 'currency must be a 3-letter ISO 4217 code such as EUR', 'bad currency');
select throws_ok($$ select public.create_trip('{"name":"X","destination":"X","start_date":"2027-03-01","end_date":"2027-03-02","budget":1,"user_id":"00000000-0000-0000-0000-000000000000"}') $$,
  '22023', 'user_id is not a known field', 'owner cannot be chosen');
select throws_ok($$ select public.create_trip('[1, 2]') $$, '22023', 'the body must be a JSON object', 'body not an object');
select throws_ok($$ select public.create_trip(jsonb_build_object('name', repeat('x', 201), 'destination', 'X', 'start_date', '2027-03-01', 'end_date', '2027-03-02', 'budget', 1)) $$,
  '22023', 'name must be at most 200 characters', 'name too long');
select throws_ok($$ select public.update_trip((select v from ids where k = 'trip'), '{}') $$,
  '22023', 'the body names no field to change', 'empty patch');
select throws_ok($$ select public.update_trip((select v from ids where k = 'trip'), '{"end_date":"2027-03-01"}') $$,
  '22023', 'end_date would put end_date before start_date', 'patch that breaks the date order');
select throws_ok($$ select public.update_trip((select v from ids where k = 'trip'), '{"name":null}') $$,
  '22023', 'name must not be null', 'required field patched to null');

-- Partial update keeps other fields; nullable fields can be cleared.
select is(public.update_trip((select v from ids where k = 'trip'), '{"description":"cherry blossoms"}') ->> 'budget',
          '1200.50', 'a patch leaves other fields alone');
select is(public.update_trip((select v from ids where k = 'trip'), '{"description":null}') -> 'description',
          'null'::jsonb, 'a nullable field can be cleared');

-- Sharing, by invitation (120-invitations holds the invitation rules).
select lives_ok($$ select public.invite_to_trip((select v from ids where k = 'trip'), 'RPC_ADMIN@test.local', 'admin') $$,
  'the owner invites an admin (email is case-insensitive)');
select lives_ok($$ select tests.share_trip((select v from ids where k = 'trip'), 'rpc_viewer', 'view') $$,
  'the owner shares read-only');
select throws_ok($$ select public.invite_to_trip((select v from ids where k = 'trip'), 'rpc_viewer@test.local', 'edit') $$,
  '22023', 'email belongs to someone who already has access to this trip', 'inviting a member again');
select lives_ok($$ select public.invite_to_trip((select v from ids where k = 'trip'), 'nobody@test.local', 'view') $$,
  'an address without an account is invited like any other');
select throws_ok($$ select public.invite_to_trip((select v from ids where k = 'trip'), 'rpc_owner@test.local', 'view') $$,
  '22023', 'email belongs to someone who already has access to this trip', 'inviting yourself');
select throws_ok($$ select public.invite_to_trip((select v from ids where k = 'trip'), 'rpc_new@test.local', 'owner') $$,
  '22023', 'permission_level must be one of view, edit, admin', 'unknown level');

select tests.authenticate_as('rpc_admin');
select public.respond_to_trip_invitation((public.list_my_invitations() -> 'items' -> 0 ->> 'id')::bigint, true);
select lives_ok($$ select tests.share_trip((select v from ids where k = 'trip'), 'rpc_editor', 'edit') $$,
  'an admin shares with edit');
select throws_ok($$ select public.invite_to_trip((select v from ids where k = 'trip'), 'rpc_new@test.local', 'admin') $$,
  '42501', 'only the owner can grant admin', 'an admin cannot grant admin');
select throws_ok($$ select public.update_trip_collaborator((select v from ids where k = 'trip'), tests.get_user_id('rpc_admin'), 'view') $$,
  '42501', 'you cannot change your own access level', 'an admin cannot change their own level');
select is(public.update_trip_collaborator((select v from ids where k = 'trip'), tests.get_user_id('rpc_viewer'), 'edit') ->> 'permission_level',
  'edit', 'an admin promotes a viewer to edit');
select lives_ok($$ select public.update_trip_collaborator((select v from ids where k = 'trip'), tests.get_user_id('rpc_viewer'), 'view') $$,
  'and back to view');
select throws_ok($$ select public.delete_trip((select v from ids where k = 'trip')) $$,
  '42501', 'only the owner can delete a trip', 'an admin cannot delete the trip');

select tests.authenticate_as('rpc_editor');
select is(public.update_trip((select v from ids where k = 'trip'), '{"status":"booked"}') ->> 'status', 'booked', 'an editor updates the trip');
select throws_ok($$ select public.invite_to_trip((select v from ids where k = 'trip'), 'rpc_new@test.local', 'view') $$,
  '42501', 'only the owner or an admin can share this trip', 'an editor cannot share');

select tests.authenticate_as('rpc_viewer');
select throws_ok($$ select public.update_trip((select v from ids where k = 'trip'), '{"name":"Mine now"}') $$,
  '42501', 'you can view this trip but not change it', 'a viewer cannot update (403, not 404)');
select lives_ok($$ select public.remove_trip_collaborator((select v from ids where k = 'trip'), tests.get_user_id('rpc_viewer')) $$,
  'a viewer may leave the trip');
select throws_ok($$ select public.get_trip((select v from ids where k = 'trip')) $$,
  'P0002', 'trip not found', 'after leaving, the trip is invisible (404)');

select tests.authenticate_as('rpc_stranger');
select throws_ok($$ select public.update_trip((select v from ids where k = 'trip'), '{"name":"x"}') $$,
  'P0002', 'trip not found', 'a stranger gets not found, not forbidden');
select is(public.list_trips() -> 'items', '[]'::jsonb, 'a stranger lists nothing');

-- Listing: filters and a stable cursor over pages.
select tests.authenticate_as('rpc_owner');
select public.create_trip(jsonb_build_object('name', 'Trip ' || g, 'destination', case when g % 2 = 0 then 'Paris' else 'Lyon' end,
  'start_date', (date '2027-06-01' + g)::text, 'end_date', (date '2027-06-02' + g)::text, 'budget', 100))
  from generate_series(1, 7) g;
select is(
  (with recursive pages(n, cur, ids) as (
     select 1, public.list_trips(p_destination => 'par', p_sort => 'start_date', p_limit => 2) ->> 'next_cursor',
            (select array_agg((x ->> 'id')::bigint) from jsonb_array_elements(public.list_trips(p_destination => 'par', p_sort => 'start_date', p_limit => 2) -> 'items') x)
     union all
     select n + 1, public.list_trips(p_destination => 'par', p_sort => 'start_date', p_limit => 2, p_cursor => cur) ->> 'next_cursor',
            ids || (select array_agg((x ->> 'id')::bigint) from jsonb_array_elements(public.list_trips(p_destination => 'par', p_sort => 'start_date', p_limit => 2, p_cursor => cur) -> 'items') x)
       from pages where cur is not null)
   select ids from pages where cur is null),
  (select array_agg(id order by start_date, id) from public.trips where destination = 'Paris'),
  'paging with the cursor returns every matching trip once, in order'
);

select * from finish();
rollback;
