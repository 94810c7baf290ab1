-- Graphs at or above private.memory_ivfflat_min_rows() are IVFFlat indexes with
-- sqrt(rows) lists, recorded in private.memory_graph_indexes; the hourly
-- private.refresh_memory_graph_indexes() builds a graph's index again once it no longer
-- fits (HNSW grown to the IVFFlat size, IVFFlat doubled or halved), and the walk reads
-- an IVFFlat graph with its iterative scan. Limits lowered here: exact up to 3 rows,
-- IVFFlat from 10.
begin;
select plan(30);

-- The embedding models these tests store memories under (private.embedding_models).
insert into private.embedding_models (name) values ('m'), ('m2'), ('other-model') on conflict do nothing;

set local memories.exact_max_rows = 3;
set local memories.ivfflat_min_rows = 10;
select tests.create_user(u) from unnest(array['ivf_a', 'ivf_b', 'ivf_c', 'ivf_d']) u;

create function pg_temp.axis(i integer) returns extensions.vector language sql immutable as $$
  select (array_fill(0, array[i - 1]) || array[1] || array_fill(0, array[512 - i]))::real[]::extensions.vector
$$;
grant execute on function pg_temp.axis(integer) to authenticated;
-- A user's graph and its index record, as the operator sees them.
create function pg_temp.graph_of(u text) returns smallint language sql security definer as $$
  select a.graph from private.memory_ann_users a where a.user_id = tests.get_user_id(u) and a.model = 'm'
$$;
grant execute on function pg_temp.graph_of(text) to authenticated;
create function pg_temp.index_of(u text) returns text language sql security definer as $$
  select i.method || coalesce(' ' || i.lists, '') || ' for ' || i.built_rows
    from private.memory_graph_indexes i where i.graph = pg_temp.graph_of(u)
$$;
-- The indexes a user's graph table has, by kind, other than its primary key.
create function pg_temp.index_kinds(u text) returns text[] language sql security definer as $$
  select array_agg(a.amname::text || ':' || c.relname order by c.relname)
    from pg_index i join pg_class c on c.oid = i.indexrelid join pg_am a on a.oid = c.relam
   where i.indrelid = ('private.memory_graph_' || pg_temp.graph_of(u))::regclass and not i.indisprimary
$$;
-- Scans of a user's graph's IVFFlat index by this transaction.
create function pg_temp.ivfflat_scans(u text) returns bigint language sql security definer as $$
  select coalesce(sum(pg_catalog.pg_stat_get_xact_numscans(c.oid)), 0)::bigint from pg_class c
   where c.relname = 'memory_graph_' || pg_temp.graph_of(u) || '_ivfflat'
$$;
grant execute on function pg_temp.ivfflat_scans(text) to authenticated;

-- ivf_a: 100 rows, 98 facts and 2 preferences; bulk loaded, then the graphs rebuilt.
insert into public.memory_embeddings (user_id, content_text, content_type, model, embedding)
select tests.get_user_id('ivf_a'), 'a' || i, (case when i in (17, 83) then 'preference' else 'fact' end)::public.memory_content_type,
       'm', pg_temp.axis(i)
  from generate_series(1, 100) i;
-- ivf_b: 5 rows, an HNSW graph.
insert into public.memory_embeddings (user_id, content_text, content_type, model, embedding)
select tests.get_user_id('ivf_b'), 'b' || i, 'fact', 'm', pg_temp.axis(i) from generate_series(1, 5) i;
select is(private.rebuild_memory_graphs() - 'seconds',
  '{"pairs_registered": 2, "rows_indexed": 105}'::jsonb, 'the rebuild registers both pairs');
select is(pg_temp.index_of('ivf_a'), 'ivfflat 10 for 100',
  'a graph of 100 rows (at or above the IVFFlat size) gets IVFFlat, sqrt(100) = 10 lists');
select is(pg_temp.index_kinds('ivf_a'), array['ivfflat:memory_graph_' || pg_temp.graph_of('ivf_a') || '_ivfflat'],
  'and no other index');
select is(pg_temp.index_of('ivf_b'), 'hnsw for 5', 'a graph of 5 rows gets HNSW');

-- The walk through IVFFlat, as the user.
select tests.authenticate_as('ivf_a');
set local enable_seqscan = off;
set local enable_sort = off;
select is(
  (select array_agg(content) from public.match_memories(pg_temp.axis(42), 1, null, null, null, 'm')),
  array['a42'], 'the nearest row is found');
select ok(pg_temp.ivfflat_scans('ivf_a') > 0, 'through the IVFFlat index');
select is(private.walk_my_memory_graph(pg_temp.axis(17)::extensions.halfvec(512), 2, 'preference', null, 'm'),
  (select array_agg(id order by content_text) from public.memory_embeddings where content_type = 'preference'),
  'a filtered walk reads further lists until it has k rows that pass (2 preferences of 100), nearest first');
select is(
  (select array_agg(content order by similarity desc, content) from public.match_memories(
     pg_temp.axis(83), 2, null, 'preference', null, 'm')),
  array['a83', 'a17'], 'and match_memories returns them');
select is(cardinality(private.walk_my_memory_graph(pg_temp.axis(5)::extensions.halfvec(512), 100, null, null, 'm')), 100,
  'a walk for k = 100 returns all 100 rows');
reset enable_seqscan;
reset enable_sort;
select tests.authenticate_as('ivf_c');
select is(private.walk_my_memory_graph(pg_temp.axis(5)::extensions.halfvec(512), 2, null, null, 'm'), null,
  'another user, without a graph, walks nothing');
select is((select count(*)::int from public.match_memories(pg_temp.axis(5), 10, null, null, null, 'm')), 0,
  'and finds none of ivf_a''s rows');
select throws_ok($$ select * from private.memory_graph_indexes $$, '42501', null,
  'a client cannot read the index records');
select throws_ok($$ select private.refresh_memory_graph_indexes() $$, '42501', null,
  'nor rebuild an index');
select tests.clear_authentication();

-- Nothing to rebuild while every index fits.
select is(private.refresh_memory_graph_indexes(), '{"rebuilt": []}'::jsonb, 'every index fits: nothing rebuilt');
select throws_ok($$ select private.refresh_memory_graph_indexes(0) $$, '22023',
  'max_graphs must be a positive number of graphs', 'max_graphs is checked');

-- ivf_b grows to 12 rows (a registered pair's rows go straight into its graph): its
-- graph is IVFFlat-sized now.
insert into public.memory_embeddings (user_id, content_text, content_type, model, embedding)
select tests.get_user_id('ivf_b'), 'b' || i, 'fact', 'm', pg_temp.axis(i) from generate_series(6, 12) i;
select is(private.refresh_memory_graph_indexes() -> 'rebuilt',
  jsonb_build_array(jsonb_build_object('graph', pg_temp.graph_of('ivf_b'), 'rows', 12,
    'index', '{"method": "ivfflat", "lists": 3}'::jsonb)),
  'the HNSW graph that reached the IVFFlat size is built again as IVFFlat (3 lists)');
select is(pg_temp.index_kinds('ivf_b'), array['ivfflat:memory_graph_' || pg_temp.graph_of('ivf_b') || '_ivfflat'],
  'its HNSW index is gone');
select tests.authenticate_as('ivf_b');
select is(
  (select array_agg(content) from public.match_memories(pg_temp.axis(11), 1, null, null, null, 'm')),
  array['b11'], 'its walk finds a row added after registration');
select tests.clear_authentication();

-- ivf_c: 12 rows, registered by the sync with 7 of them still waiting.
insert into public.memory_embeddings (user_id, content_text, content_type, model, embedding)
select tests.get_user_id('ivf_c'), 'c' || i, 'fact', 'm', pg_temp.axis(i) from generate_series(1, 12) i;
select is(private.sync_memory_ann_index(5),
  '{"pairs_registered": 1, "rows_indexed": 5, "rows_pending": 7}'::jsonb, 'the sync registers ivf_c, 5 rows in');
select is(private.refresh_memory_graph_indexes(), '{"rebuilt": []}'::jsonb,
  'with rows still waiting for the graph, its index is left alone');
select is(private.sync_memory_ann_index() -> 'rows_pending', '0'::jsonb, 'the next sync puts the rest in');
select is(private.refresh_memory_graph_indexes() -> 'rebuilt' -> 0 -> 'index',
  '{"method": "ivfflat", "lists": 3}'::jsonb, 'then it is built as IVFFlat');

-- ivf_a doubles to 200 rows: a second IVFFlat build, more lists; one graph a run,
-- the largest first.
insert into public.memory_embeddings (user_id, content_text, content_type, model, embedding)
select tests.get_user_id('ivf_a'), 'a' || i, 'fact', 'm', pg_temp.axis(i - 100) from generate_series(101, 200) i;
select is(private.refresh_memory_graph_indexes() -> 'rebuilt' -> 0 -> 'index',
  '{"method": "ivfflat", "lists": 14}'::jsonb, 'its rows doubled: built again with sqrt(200) = 14 lists');
select is(pg_temp.index_of('ivf_a'), 'ivfflat 14 for 200', 'as recorded');

-- ivf_b shrinks below half the IVFFlat size: back to HNSW.
delete from public.memory_embeddings where user_id = tests.get_user_id('ivf_b') and content_text <> 'b1';
select is(private.refresh_memory_graph_indexes() -> 'rebuilt' -> 0 -> 'index',
  '{"method": "hnsw", "lists": null}'::jsonb, 'a graph below half the IVFFlat size is HNSW again');
select is(pg_temp.index_kinds('ivf_b'), array['hnsw:memory_graph_' || pg_temp.graph_of('ivf_b') || '_hnsw'],
  'with only its HNSW index');

-- ivf_a leaves (its user deleted): its IVFFlat graph is empty, and the least loaded. The
-- next pair to cross the exact limit is given it, with an index fitted to what it holds
-- (not the lists fitted to ivf_a's rows).
select set_config('tests.ivf_a_graph', pg_temp.graph_of('ivf_a')::text, true);
delete from auth.users where id = tests.get_user_id('ivf_a');
insert into public.memory_embeddings (user_id, content_text, content_type, model, embedding)
select tests.get_user_id('ivf_d'), 'd' || i, 'fact', 'm', pg_temp.axis(i + 300) from generate_series(1, 5) i;
select is(private.sync_memory_ann_index() - 'rows_pending',
  '{"pairs_registered": 1, "rows_indexed": 5}'::jsonb, 'the sync registers ivf_d, its 5 rows in');
select is(array[pg_temp.graph_of('ivf_d')::text, pg_temp.index_of('ivf_d')],
  array[current_setting('tests.ivf_a_graph'), 'hnsw for 0'],
  'ivf_d is given ivf_a''s emptied graph, indexed again as HNSW when it was given');
select tests.authenticate_as('ivf_d');
select is(
  (select array_agg(content) from public.match_memories(pg_temp.axis(304), 1, null, null, null, 'm')),
  array['d4'], 'and its walk finds its rows');
select tests.clear_authentication();

select ok(
  (select c.relrowsecurity
          and not has_table_privilege('authenticated', c.oid, 'select')
          and not has_table_privilege('anon', c.oid, 'select')
          and not has_table_privilege('service_role', c.oid, 'select')
     from pg_class c where c.oid = 'private.memory_graph_indexes'::regclass)
  and (select schedule = '17 * * * *' and command = 'select private.refresh_memory_graph_indexes()'
         from cron.job where jobname = 'memory-graph-indexes')
  and (select p.proconfig @> array['ivfflat.iterative_scan=relaxed_order'] from pg_proc p
        where p.oid = 'private.walk_my_memory_graph(extensions.halfvec, integer, text, jsonb, text)'::regprocedure),
  'the index records are private, the refresh runs hourly, and the walk resumes an IVFFlat scan');

select * from finish();
rollback;
