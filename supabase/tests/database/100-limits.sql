-- Limits per trip and per user (migration ..._limits): the statement that crosses one
-- fails with 54000 naming it, whoever runs it; a statement that stays within passes.
begin;
select plan(6);

select tests.create_user('lim_owner');
create temporary table ids (k text primary key, v bigint) on commit drop;
grant all on ids to authenticated;
with t as (
  insert into public.trips (user_id, name, destination, start_date, end_date, budget)
  values (tests.get_user_id('lim_owner'), 'Full', 'Oslo', '2027-01-01', '2027-01-02', 1) returning id)
insert into ids select 'trip', id from t;

select lives_ok($$
  insert into public.itinerary_items (trip_id, title, item_date)
  select (select v from ids where k = 'trip'), 'item ' || i, '2027-01-01' from generate_series(1, 500) i $$,
  '500 itinerary items fit in a trip');
select throws_ok($$
  insert into public.itinerary_items (trip_id, title, item_date)
  values ((select v from ids where k = 'trip'), 'one too many', '2027-01-01') $$,
  '54000', 'itinerary items: at most 500 per trip', 'the 501st is refused');

-- The same through the RPC, as the owner: the function answers 409 LIMIT_REACHED.
select tests.authenticate_as('lim_owner');
select throws_ok(format($$ select public.create_trip_child(%s, 'itinerary_items',
  '{"title":"via rpc","item_date":"2027-01-01"}') $$, (select v from ids where k = 'trip')),
  '54000', 'itinerary items: at most 500 per trip', 'the RPC path hits the same limit');
select tests.clear_authentication();

select lives_ok($$
  insert into public.chat_sessions (user_id, title)
  select tests.get_user_id('lim_owner'), 's' || i from generate_series(1, 5000) i $$,
  '5,000 chat sessions fit');
select throws_ok($$ insert into public.chat_sessions (user_id, title)
  values (tests.get_user_id('lim_owner'), 'one too many') $$,
  '54000', 'chat sessions: at most 5000 per user', 'the 5,001st is refused');

select ok((select count(*) = 11 from pg_trigger where tgname like '%\_limit' and not tgisinternal),
  'eleven tables carry a limit');

select * from finish();
rollback;
