-- Live trip updates (migration ..._trip_live_updates): each change of a trip, its child
-- rows and its members is a broadcast on the private Realtime topic trip:<id>, and the
-- policy on realtime.messages admits exactly the trip's current members. These are
-- SQL-level checks of what the Realtime server asks the database when a client joins a
-- private channel (it sets realtime.topic and reads realtime.messages as the user); the
-- server itself does not run here.
begin;
select plan(12);

select tests.create_user(u) from unnest(array['rt_owner', 'rt_member', 'rt_stranger']) u;
create temporary table ids (k text primary key, v bigint) on commit drop;
grant all on ids to authenticated;

select tests.authenticate_as('rt_owner');
insert into ids select 'trip', (public.create_trip(
  '{"name":"Live","destination":"Oslo","start_date":"2027-03-01","end_date":"2027-03-04","budget":100}') ->> 'id')::bigint;
select tests.share_trip((select v from ids where k = 'trip'), 'rt_member', 'edit');

create function pg_temp.topic() returns text language sql as $$
  select 'trip:' || (select v from ids where k = 'trip') $$;
grant execute on function pg_temp.topic() to authenticated;

-- What Realtime does on join: the topic in the session, then a read as the user.
create function pg_temp.visible() returns bigint language sql as $$
  select count(*) from realtime.messages where topic = pg_temp.topic() $$;
grant execute on function pg_temp.visible() to authenticated;

-- Each change produces its message.
reset role;
select is((select array_agg(payload ->> 'table' || ' ' || event order by payload ->> 'table')
             from realtime.messages where topic = pg_temp.topic()),
  array['trip_collaborators INSERT', 'trips INSERT'], 'creating and sharing a trip are broadcast');
select tests.authenticate_as('rt_member');
select public.create_trip_child((select v from ids where k = 'trip'), 'flights',
  '{"origin":"OSL","destination":"BGO","departure_time":"2027-03-01T08:00:00Z","arrival_time":"2027-03-01T09:00:00Z","price":80}');
select public.update_trip((select v from ids where k = 'trip'), '{"name":"Live, renamed"}');
reset role;
select is((select payload #>> '{record,name}' from realtime.messages
            where topic = pg_temp.topic() and payload ->> 'table' = 'trips' and event = 'UPDATE'),
  'Live, renamed', 'a member''s edit of the trip is broadcast with the new row');
select is((select count(*)::int from realtime.messages
            where topic = pg_temp.topic() and payload ->> 'table' = 'flights' and event = 'INSERT'),
  1, 'a new flight is broadcast');
select is((select bool_and(private and extension = 'broadcast') from realtime.messages
            where topic = pg_temp.topic()), true, 'on a private broadcast topic');

-- Who may receive.
select tests.authenticate_as('rt_owner');
select set_config('realtime.topic', pg_temp.topic(), true);
select ok(pg_temp.visible() >= 4, 'the owner receives the trip''s topic');
select tests.authenticate_as('rt_member');
select set_config('realtime.topic', pg_temp.topic(), true);
select ok(pg_temp.visible() >= 4, 'a member receives it');
select tests.authenticate_as('rt_stranger');
select set_config('realtime.topic', pg_temp.topic(), true);
select is(pg_temp.visible(), 0::bigint, 'a stranger receives nothing');
select set_config('realtime.topic', 'trip:x' || pg_temp.topic(), true);
select is((select count(*) from realtime.messages), 0::bigint, 'nor under a malformed topic');
select throws_ok($$ insert into realtime.messages (topic, extension, payload, event)
                   values (pg_temp.topic(), 'broadcast', '{}', 'INSERT') $$,
  '42501', null, 'and nobody sends on a trip topic from a client');

-- A removed member is out, and the removal is broadcast to those who stay.
select tests.authenticate_as('rt_owner');
select public.remove_trip_collaborator((select v from ids where k = 'trip'), tests.get_user_id('rt_member'));
select tests.authenticate_as('rt_member');
select set_config('realtime.topic', pg_temp.topic(), true);
select is(pg_temp.visible(), 0::bigint, 'a removed member receives nothing any more');
reset role;
select is((select count(*)::int from realtime.messages
            where topic = pg_temp.topic() and payload ->> 'table' = 'trip_collaborators' and event = 'DELETE'),
  1, 'the removal is broadcast');
select is((select count(*)::int from pg_trigger t join pg_class c on c.oid = t.tgrelid
            where t.tgname like '%\_broadcast' and c.relnamespace = 'public'::regnamespace), 10,
  'every trip table broadcasts its changes');

select * from finish();
rollback;
