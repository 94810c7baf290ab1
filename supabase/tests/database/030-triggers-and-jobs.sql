-- Triggers (updated_at, chat activity, profiles), job functions with their
-- counts, the pg_cron schedule, the monitoring views' access, and the HNSW plan.
-- (NOTIFY payloads are checked by tests/notify_test.ts, which can LISTEN.)
begin;
select plan(52);

select tests.create_user('trg_owner');

-- updated_at: every table that has the column has the trigger, and it advances.
select is(
  (select count(*)::int from information_schema.columns c
    where c.table_schema = 'public' and c.column_name = 'updated_at'
      and c.table_name in (select tablename from pg_tables where schemaname = 'public')
      and not exists (
        select 1 from pg_trigger t
         where t.tgrelid = format('public.%I', c.table_name)::regclass
           and t.tgname = c.table_name || '_set_updated_at')),
  0,
  'every public table with updated_at has its set_updated_at trigger'
);

insert into public.trips (id, user_id, name, destination, start_date, end_date, budget, created_at, updated_at)
overriding system value
values (900001, tests.get_user_id('trg_owner'), 'Old', 'Rome', '2027-01-01', '2027-01-02', 1,
        '2020-01-01', '2020-01-01');
update public.trips set name = 'New' where id = 900001;
select is((select updated_at from public.trips where id = 900001), now(), 'trips.updated_at advances on update');
select is((select created_at from public.trips where id = 900001), '2020-01-01'::timestamptz, 'created_at stays');

insert into public.flights (id, trip_id, origin, destination, departure_time, arrival_time, price, updated_at)
overriding system value
values (900001, 900001, 'FCO', 'CDG', '2027-01-01 08:00+00', '2027-01-01 10:00+00', 1, '2020-01-01');
update public.flights set price = 2 where id = 900001;
select is((select updated_at from public.flights where id = 900001), now(), 'flights.updated_at advances');

insert into public.accommodations (id, trip_id, name, check_in_date, check_out_date, total_price, updated_at)
overriding system value
values (900001, 900001, 'H', '2027-01-01', '2027-01-02', 1, '2020-01-01');
update public.accommodations set rating = 3 where id = 900001;
select is((select updated_at from public.accommodations where id = 900001), now(), 'accommodations.updated_at advances');

update public.users set name = 'Renamed', updated_at = '2020-01-01' where id = tests.get_user_id('trg_owner');
select is((select updated_at from public.users where id = tests.get_user_id('trg_owner')), now(),
          'users.updated_at advances (an explicit old value is overwritten)');

-- Profiles follow auth.users.
insert into auth.users (id, email, raw_user_meta_data)
values ('00000000-0000-4000-8000-0000000000aa', 'Profile.Test@Example.com', '{"name": "Pro File"}');
select is((select email::text from public.users where id = '00000000-0000-4000-8000-0000000000aa'),
          'Profile.Test@Example.com', 'a new auth user gets a profile with the email');
select is((select name from public.users where id = '00000000-0000-4000-8000-0000000000aa'),
          'Pro File', 'the profile takes the name from the sign-up metadata');
update auth.users set email = 'new.address@example.com' where id = '00000000-0000-4000-8000-0000000000aa';
select is((select email::text from public.users where id = '00000000-0000-4000-8000-0000000000aa'),
          'new.address@example.com', 'an email change reaches the profile');
insert into auth.users (id, email) values ('00000000-0000-4000-8000-0000000000ab', null);
select is((select count(*)::int from public.users where id = '00000000-0000-4000-8000-0000000000ab'), 0,
          'a user without email (anonymous, phone) gets no profile yet');
delete from auth.users where id = '00000000-0000-4000-8000-0000000000aa';
select is((select count(*)::int from public.users where id = '00000000-0000-4000-8000-0000000000aa'), 0,
          'deleting the auth user deletes the profile');

-- Chat activity.
insert into public.chat_sessions (id, user_id, is_active, last_message_at, updated_at)
values ('00000000-0000-4000-8000-0000000000c1', tests.get_user_id('trg_owner'), false, null, '2020-01-01');
insert into public.chat_messages (session_id, role, content, created_at)
values ('00000000-0000-4000-8000-0000000000c1', 'user', 'hello', '2027-05-05 10:00+00');
select is((select last_message_at from public.chat_sessions where id = '00000000-0000-4000-8000-0000000000c1'),
          '2027-05-05 10:00+00'::timestamptz, 'a new message sets last_message_at');
select ok((select not is_active from public.chat_sessions where id = '00000000-0000-4000-8000-0000000000c1'),
          'a new message does not reactivate an expired session');
insert into public.chat_messages (session_id, role, content, created_at)
values ('00000000-0000-4000-8000-0000000000c1', 'assistant', 'late import', '2027-05-01 10:00+00');
select is((select last_message_at from public.chat_sessions where id = '00000000-0000-4000-8000-0000000000c1'),
          '2027-05-05 10:00+00'::timestamptz, 'an older message does not move last_message_at back');

-- Job functions, run directly, with their counts. Fixed data first.
delete from public.price_history;
delete from public.search_history;
update public.chat_sessions set is_active = false;
insert into public.price_history (entity_type, entity_ref, price, created_at)
values ('flight', 'a', 1, now() - interval '2 years'), ('flight', 'b', 1, now() - interval '13 months'),
       ('flight', 'c', 1, now() - interval '11 months');
select is(public.cleanup_old_price_history(), 2, 'cleanup_old_price_history deletes rows older than a year');
select is((select count(*)::int from public.price_history), 1, 'newer price history stays');

insert into public.chat_sessions (user_id, is_active, last_message_at)
values (tests.get_user_id('trg_owner'), true, now() - interval '25 hours'),
       (tests.get_user_id('trg_owner'), true, now() - interval '1 hour');
insert into public.chat_sessions (user_id, is_active, last_message_at, updated_at)
values (tests.get_user_id('trg_owner'), true, null, now() - interval '30 hours');
select is(public.expire_inactive_chat_sessions(), 2, 'sessions idle over 24 h (by last message or update) expire');
select is((select count(*)::int from public.chat_sessions where is_active), 1, 'the recent session stays active');

insert into public.search_history (user_id, search_type, search_params, created_at)
values (tests.get_user_id('trg_owner'), 'flight', '{}', now() - interval '100 days'),
       (tests.get_user_id('trg_owner'), 'flight', '{}', now() - interval '1 day');
select is(public.cleanup_old_search_history(), 1, 'searches older than 90 days are pruned');

-- The scheduled wrappers report what they did.
insert into public.search_history (user_id, search_type, search_params, created_at)
values (tests.get_user_id('trg_owner'), 'flight', '{}', now() - interval '200 days');
insert into public.chat_sessions (user_id, is_active, last_message_at)
values (tests.get_user_id('trg_owner'), true, now() - interval '2 days');
select is(public.daily_cleanup_job(), '{"expired_chat_sessions": 1, "deleted_search_history": 1}'::jsonb,
          'daily_cleanup_job returns its counts');
select is(public.daily_cleanup_job(), '{"expired_chat_sessions": 0, "deleted_search_history": 0}'::jsonb,
          'daily_cleanup_job run again finds nothing to do');

insert into public.chat_sessions (user_id, is_active, updated_at)
values (tests.get_user_id('trg_owner'), false, now() - interval '100 days');
select is(public.weekly_maintenance_job(), '{"analyzed_tables": 4, "deleted_chat_sessions": 1}'::jsonb,
          'weekly_maintenance_job deletes long-inactive sessions and analyzes');

insert into public.price_history (entity_type, entity_ref, price, created_at)
values ('flight', 'old', 1, now() - interval '400 days');
select is(public.monthly_cleanup_job(), '{"deleted_price_history": 1}'::jsonb,
          'monthly_cleanup_job returns its count');

-- pg_cron schedule at the guide's times.
select is((select schedule from cron.job where jobname = 'daily-cleanup'), '0 2 * * *', 'daily job at 02:00 UTC');
select is((select schedule from cron.job where jobname = 'weekly-maintenance'), '0 3 * * 0', 'weekly job Sundays 03:00 UTC');
select is((select schedule from cron.job where jobname = 'monthly-cleanup'), '0 4 1 * *', 'monthly job on the 1st, 04:00 UTC');
select is((select command from cron.job where jobname = 'daily-cleanup'), 'select public.daily_cleanup_job()', 'daily job calls daily_cleanup_job');

-- Jobs and monitoring views are for the backend only.
select ok(not has_function_privilege('authenticated', 'public.daily_cleanup_job()', 'execute'), 'users cannot run jobs');
select ok(not has_function_privilege('anon', 'public.monthly_cleanup_job()', 'execute'), 'anon cannot run jobs');
select ok(has_function_privilege('service_role', 'public.weekly_maintenance_job()', 'execute'), 'service_role can run jobs');
select ok(not has_table_privilege('authenticated', 'monitoring.slow_queries', 'select'), 'users cannot read slow_queries');
select ok(not has_table_privilege('anon', 'monitoring.table_sizes', 'select'), 'anon cannot read table_sizes');
select ok(has_table_privilege('service_role', 'monitoring.slow_queries', 'select'), 'service_role reads slow_queries');
select ok(has_table_privilege('service_role', 'monitoring.table_sizes', 'select'), 'service_role reads table_sizes');
select has_column('monitoring', 'slow_queries', 'mean_exec_time', 'slow_queries uses the PG13+ column names');
select is((select reloptions from pg_class where oid = 'monitoring.slow_queries'::regclass), array['security_invoker=true'],
          'slow_queries is security_invoker');
select is((select reloptions from pg_class where oid = 'monitoring.table_sizes'::regclass), array['security_invoker=true'],
          'table_sizes is security_invoker');
select ok((select count(*) > 0 from monitoring.table_sizes where tablename = 'trips'), 'table_sizes lists trips');
select ok(not exists (select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
                       where n.nspname = 'public' and c.relname in ('slow_queries', 'table_sizes')),
          'no monitoring view is left in the exposed public schema');
select ok(not has_schema_privilege('authenticated', 'monitoring', 'usage')
          and not has_schema_privilege('anon', 'monitoring', 'usage'), 'API roles cannot enter monitoring');
select ok(not has_table_privilege('authenticated', 'extensions.pg_stat_statements', 'select')
          and not has_table_privilege('anon', 'extensions.pg_stat_statements', 'select'),
          'API roles cannot read pg_stat_statements');
select ok(not has_function_privilege('authenticated', 'extensions.pg_stat_statements(boolean)', 'execute')
          and not has_function_privilege('anon', 'extensions.pg_stat_statements(boolean)', 'execute'),
          'nor call the function behind it');
select ok(has_table_privilege('service_role', 'extensions.pg_stat_statements', 'select'),
          'service_role still reads pg_stat_statements');
set local role authenticated;
select throws_ok($$ select count(*) from extensions.pg_stat_statements $$, '42501', null,
  'the attack: authenticated selecting from pg_stat_statements is refused');
-- Table statistics: how many rows other users just wrote.
select throws_ok($$ select n_live_tup from pg_catalog.pg_stat_user_tables where relname = 'api_keys' $$,
  '42501', null, 'authenticated cannot read table statistics');
select throws_ok($$ select pg_catalog.pg_stat_get_tuples_inserted('public.memory_embeddings'::regclass) $$,
  '42501', null, 'nor call the functions behind them');
select throws_ok($$ select idx_scan from pg_catalog.pg_stat_user_indexes limit 1 $$,
  '42501', null, 'nor read index statistics');
reset role;
select ok(not has_table_privilege('anon', 'pg_catalog.pg_statio_user_tables', 'select'),
  'anon cannot read I/O statistics either');
select ok(has_table_privilege('service_role', 'pg_catalog.pg_stat_user_tables', 'select')
          and has_function_privilege('service_role', 'pg_catalog.pg_stat_get_live_tuples(oid)', 'execute'),
  'service_role keeps them');

-- The vector indexes (a partition of memory_vectors per graph): HNSW with cosine ops,
-- built by the sync, used by an ORDER BY <=> LIMIT query of that partition.
set local memories.exact_max_rows = 100;
with m as (
  insert into public.memory_embeddings (user_id, content_text, content_type)
  select tests.get_user_id('trg_owner'), 'memory ' || g, 'fact' from generate_series(1, 200) g
  returning id, user_id, content_text)
insert into public.memory_vectors (id, user_id, embedding)
select m.id, m.user_id,
       (select array_agg(sin(substr(m.content_text, 8)::int * d)) from generate_series(1, 512) d)::extensions.vector
  from m;
select tests.sync_memory_graphs();
-- As match_memories plans its walk: the partition's HNSW scan is then the only plan.
set local enable_sort = off;
create temporary table trg_graph on commit drop as
select graph from private.memory_graph_users where user_id = tests.get_user_id('trg_owner');
select is(
  (select am.amname || ' ' || opc.opcname
     from pg_index i
     join pg_class c on c.oid = i.indexrelid
     join pg_am am on am.oid = c.relam
     join pg_opclass opc on opc.oid = i.indclass[0]
    where c.relname = 'memory_vectors_' || (select graph from trg_graph) || '_hnsw'),
  'hnsw halfvec_cosine_ops',
  'a graph''s partition has an HNSW index with halfvec_cosine_ops (cosine, half precision)'
);
set local enable_seqscan = off;
create temporary table plan_lines (line text) on commit drop;
do $$
declare
  l text;
begin
  for l in execute 'explain select id from public.memory_vectors where graph = '
    || (select graph from trg_graph) || ' order by embedding operator(extensions.<=>) '
    || quote_literal((select array_agg(cos(d)) from generate_series(1, 512) d)::extensions.vector::text)
    || '::extensions.halfvec limit 10'
  loop
    insert into plan_lines values (l);
  end loop;
end
$$;
select ok(exists (select 1 from plan_lines where line like '%memory_vectors_' || (select graph from trg_graph) || '_hnsw %'),
          'a nearest-neighbour query of the graph uses its HNSW index (the one partition left)');
select is((select content_hash from public.memory_embeddings where content_text = 'memory 1' limit 1),
          encode(sha256(convert_to('memory 1', 'UTF8')), 'hex'), 'content_hash is the SHA-256 of the text');

select * from finish();
rollback;
