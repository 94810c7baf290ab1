-- The per-user HNSW graphs: memory_vectors is partitioned by graph; graph 0 holds the
-- vectors of users searched exactly, graph n a large user's (several once every graph
-- is taken) with its own HNSW index. private.sync_memory_graphs() gives a user above the
-- exact limit a graph and Postgres moves their rows; a writer's rows go to their graph
-- by the column's default; match_memories walks the caller's partition, merges what of
-- theirs is still in graph 0, and falls back to the exact scan when a walk is short.
-- The limit is lowered to 3 rows here.
begin;
select plan(30);

insert into private.embedding_models (name) values ('m') on conflict do nothing;
set local memories.exact_max_rows = 3;
select tests.create_user(u) from unnest(array['ann_a', 'ann_b', 'ann_c', 'ann_d']) u;

create function pg_temp.axis(i integer) returns extensions.vector language sql immutable as $$
  select (array_fill(0, array[i - 1]) || array[1] || array_fill(0, array[512 - i]))::real[]::extensions.vector
$$;
grant execute on function pg_temp.axis(integer) to authenticated;
-- Scans of a graph's HNSW index by this transaction: which path match_memories took.
create function pg_temp.graph_scans(g integer) returns bigint language sql security definer as $$
  select coalesce(sum(pg_catalog.pg_stat_get_xact_numscans(c.oid)), 0)::bigint from pg_class c
   where c.relname = 'memory_vectors_' || g || '_hnsw'
$$;
grant execute on function pg_temp.graph_scans(integer) to authenticated;
create function pg_temp.graph_of(u text) returns smallint language sql security definer as $$
  select r.graph from private.memory_graph_users r where r.user_id = tests.get_user_id(u)
$$;
grant execute on function pg_temp.graph_of(text) to authenticated;
create function pg_temp.rows_in(g integer, u text) returns bigint language sql security definer as $$
  select count(*) from public.memory_vectors v where v.graph = g and v.user_id = tests.get_user_id(u)
$$;
grant execute on function pg_temp.rows_in(integer, text) to authenticated;

-- The layout: Postgres partitions; no trigger routes or copies a vector.
select is((select c.relkind::text from pg_class c where c.oid = 'public.memory_vectors'::regclass), 'p',
  'memory_vectors is a partitioned table');
select is((select count(*)::int from pg_trigger t where t.tgrelid = 'public.memory_vectors'::regclass
             and not t.tgisinternal), 0, 'with no trigger of its own');
select is((select count(*)::int from pg_index i where i.indrelid = 'private.memory_vectors_0'::regclass
             and i.indexrelid::regclass::text like '%hnsw%'), 0, 'graph 0 has no HNSW index: exact search');

select tests.authenticate_as('ann_a');
select is((select count(*)::int from public.insert_memories('m',
    array['a1', 'a2', 'a3', 'a4', 'a5'], array['fact', 'fact', 'fact', 'fact', 'fact'],
    array['{}', '{}', '{}', '{}', '{}']::jsonb[],
    array[pg_temp.axis(1), pg_temp.axis(2), pg_temp.axis(3), pg_temp.axis(4), pg_temp.axis(5)])),
  5, 'ann_a stores 5 memories (above the lowered limit of 3)');
select is(pg_temp.rows_in(0, 'ann_a'), 5::bigint, 'before the sync: in graph 0');
select is((select array_agg(content) from public.match_memories(pg_temp.axis(2), 1, null, null, null, 'm')),
  array['a2'], 'and found by the exact scan');
select throws_ok($$ insert into public.memory_vectors (id, user_id, graph, embedding)
    select id, user_id, 7, pg_temp.axis(1) from public.memory_embeddings where content_text = 'a1' $$,
  '42501', null, 'a client cannot choose a graph');

select tests.clear_authentication();
select is((tests.sync_memory_graphs() ->> 'users_registered')::int, 1, 'the sync registers ann_a');
select ok(pg_temp.graph_of('ann_a') >= 1, 'in a graph of its own');
select is(pg_temp.rows_in(pg_temp.graph_of('ann_a'), 'ann_a'), 5::bigint, 'every row moved there by Postgres');
select is(pg_temp.rows_in(0, 'ann_a'), 0::bigint, 'none left in graph 0');
select ok(to_regclass('private.memory_vectors_' || pg_temp.graph_of('ann_a') || '_hnsw') is not null,
  'the new graph has its HNSW index');
select ok(not has_table_privilege('authenticated', ('private.memory_vectors_' || pg_temp.graph_of('ann_a'))::regclass, 'select'),
  'the partition itself is out of the API''s reach');

select tests.authenticate_as('ann_a');
select is((select array_agg(content) from public.match_memories(pg_temp.axis(4), 1, null, null, null, 'm')),
  array['a4'], 'after the sync: the nearest row');
select ok(pg_temp.graph_scans(pg_temp.graph_of('ann_a')) > 0, 'found by a walk of ann_a''s graph');
select is((select count(*)::int from public.insert_memories('m', array['a6'], array['fact'],
    array['{}']::jsonb[], array[pg_temp.axis(6)])), 1, 'a new memory');
select is(pg_temp.rows_in(pg_temp.graph_of('ann_a'), 'ann_a'), 6::bigint, 'goes straight to the writer''s graph');
-- Deleted rows make the walk short: the exact scan answers, never fewer than there are.
update public.memory_embeddings set deleted_at = now() where content_text in ('a1', 'a2');
select is((select count(*)::int from public.match_memories(pg_temp.axis(1), 5, null, null, null, 'm')),
  4, 'k = 5 with 2 of 6 deleted: the 4 live ones, never short');
select tests.clear_authentication();
-- A vector the service role wrote is in graph 0 until the sync: search still finds it.
with m as (insert into public.memory_embeddings (user_id, content_text, content_type, model)
           values (tests.get_user_id('ann_a'), 'a7', 'fact', 'm') returning id, user_id)
insert into public.memory_vectors (id, user_id, embedding) select id, user_id, pg_temp.axis(7) from m;
select is(pg_temp.rows_in(0, 'ann_a'), 1::bigint, 'the service role''s row is in graph 0');
select tests.authenticate_as('ann_a');
select is((select array_agg(content) from public.match_memories(pg_temp.axis(7), 1, null, null, null, 'm')),
  array['a7'], 'and found with the walk''s rows');

-- A small user stays exact and never sees another's rows.
select tests.authenticate_as('ann_b');
select is((select count(*)::int from public.insert_memories('m', array['b1', 'b2'], array['fact', 'fact'],
    array['{}', '{}']::jsonb[], array[pg_temp.axis(1), pg_temp.axis(2)])), 2, 'ann_b stores 2');
select is((select array_agg(content order by content) from public.match_memories(pg_temp.axis(1), 10, null, null, null, 'm')),
  array['b1', 'b2'], 'ann_b finds only its own');

-- Every graph taken: the next user shares the least-loaded one, and sees only its rows.
select tests.clear_authentication();
set local memories.graph_count = 1;
select tests.authenticate_as('ann_c');
select is((select count(*)::int from public.insert_memories('m', array['c1', 'c2', 'c3', 'c4'],
    array['fact', 'fact', 'fact', 'fact'], array['{}', '{}', '{}', '{}']::jsonb[],
    array[pg_temp.axis(1), pg_temp.axis(2), pg_temp.axis(3), pg_temp.axis(4)])), 4, 'ann_c stores 4');
select tests.clear_authentication();
select tests.sync_memory_graphs();
select is(pg_temp.graph_of('ann_c'), pg_temp.graph_of('ann_a'), 'ann_c shares ann_a''s graph');
select tests.authenticate_as('ann_c');
select is((select array_agg(content order by content) from public.match_memories(pg_temp.axis(1), 4, null, null, null, 'm')),
  array['c1', 'c2', 'c3', 'c4'], 'and finds exactly its own rows in it');

-- The graph emptied (its users' memories gone), then given to a new user: refilled in
-- bulk, its HNSW index built again, not one insert into the graph per row.
select tests.clear_authentication();
delete from public.memory_embeddings
 where user_id in (tests.get_user_id('ann_a'), tests.get_user_id('ann_c'));
select is(pg_temp.rows_in(pg_temp.graph_of('ann_a'), 'ann_a') + pg_temp.rows_in(pg_temp.graph_of('ann_a'), 'ann_c'),
  0::bigint, 'the shared graph is empty');
select tests.authenticate_as('ann_d');
select is((select count(*)::int from public.insert_memories('m', array['d1', 'd2', 'd3', 'd4', 'd5'],
    array['fact', 'fact', 'fact', 'fact', 'fact'], array['{}', '{}', '{}', '{}', '{}']::jsonb[],
    array[pg_temp.axis(1), pg_temp.axis(2), pg_temp.axis(3), pg_temp.axis(4), pg_temp.axis(5)])), 5, 'ann_d stores 5');
select tests.clear_authentication();
select is(tests.sync_memory_graphs() - 'users_registered' - 'graphs_built',
  '{"graphs_refilled": 1, "rows_moved": 5}'::jsonb, 'ann_d gets the emptied graph, refilled at once');
select is(pg_temp.rows_in(pg_temp.graph_of('ann_d'), 'ann_d'), 5::bigint, 'every row of ann_d in it');
select ok(to_regclass('private.memory_vectors_' || pg_temp.graph_of('ann_d') || '_hnsw') is not null,
  'with its HNSW index built again');

select * from finish();
rollback;
