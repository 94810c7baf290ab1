-- The per-user HNSW graphs: a (user, model) pair above the exact limit is registered
-- in a graph of its own (the least-loaded one once all are taken) by
-- private.sync_memory_ann_index() (or private.rebuild_memory_graphs() after a bulk
-- load); its rows carry that graph's number, set on insert and never taken from the
-- writer, and triggers keep a copy of each in the graph's private table; match_memories
-- walks the caller's own graph, only once every row of the caller is in it, and falls
-- back to the exact scan when a walk comes back short. The limit is lowered to 3 rows
-- and the number of graphs to 16 here.
begin;
select plan(53);

-- The embedding models these tests store memories under (private.embedding_models).
insert into private.embedding_models (name) values ('m'), ('m2'), ('other-model') on conflict do nothing;

set local memories.exact_max_rows = 3;
set local memories.graph_count = 16;
select tests.create_user(u) from unnest(array['ann_a', 'ann_b', 'ann_c', 'ann_d']) u;

create function pg_temp.axis(i integer) returns extensions.vector language sql immutable as $$
  select (array_fill(0, array[i - 1]) || array[1] || array_fill(0, array[512 - i]))::real[]::extensions.vector
$$;
grant execute on function pg_temp.axis(integer) to authenticated;
-- Scans of a graph's index (0: of all of them) by this transaction: which path
-- match_memories took, and through which graph. (Definer: statistics are the
-- operator's, not the API roles'.)
create function pg_temp.graph_scans(g integer default 0) returns bigint language sql security definer as $$
  select coalesce(sum(pg_catalog.pg_stat_get_xact_numscans(c.oid)), 0)::bigint from pg_class c
   where c.relname = 'memory_graph_' || g || '_hnsw'
      or (g = 0 and c.relname ~ '^memory_graph_[0-9]+_hnsw$')
$$;
grant execute on function pg_temp.graph_scans(integer) to authenticated;
-- A user's graph, as the operator sees it.
create function pg_temp.graph_of(u text) returns smallint language sql security definer as $$
  select a.graph from private.memory_ann_users a where a.user_id = tests.get_user_id(u) and a.model = 'm'
$$;
grant execute on function pg_temp.graph_of(text) to authenticated;
-- What a graph's table holds, by the rows' texts, as the operator sees it.
create function pg_temp.graph_rows(g integer) returns text[] language plpgsql security definer as $$
declare
  r text[];
begin
  execute format('select array_agg(e.content_text order by e.content_text) from private.%I g '
                 'join public.memory_embeddings e on e.id = g.id and e.embedding = g.embedding',
                 'memory_graph_' || g) into r;
  return r;
end
$$;

select tests.authenticate_as('ann_a');
select is((select count(*)::int from public.insert_memories('m',
    array['a1', 'a2', 'a3', 'a4', 'a5'], array['fact', 'fact', 'fact', 'fact', 'fact'],
    array['{}', '{}', '{}', '{}', '{}']::jsonb[],
    array[pg_temp.axis(1), pg_temp.axis(2), pg_temp.axis(3), pg_temp.axis(4), pg_temp.axis(5)])),
  5, 'ann_a stores 5 memories (above the lowered limit of 3)');
select is(
  (select array_agg(content) from public.match_memories(pg_temp.axis(2), 1, null, null, null, 'm')),
  array['a2'], 'before registration: the nearest row is found');
select is(pg_temp.graph_scans(), 0::bigint, 'before registration: exact search, no graph is walked');
select is((select count(*)::int from private.my_memory_graph('m')), 0,
  'before registration: the caller has no graph');
select throws_ok($$ update public.memory_embeddings set graph = 1 $$,
  '42501', null, 'a client cannot set a row''s graph');
select throws_ok($$ select private.sync_memory_ann_index() $$,
  '42501', null, 'nor run the sync');
select throws_ok($$ select private.rebuild_memory_graphs() $$,
  '42501', null, 'nor rebuild the graphs');

select tests.authenticate_as('ann_b');
select is((select count(*)::int from public.insert_memories('m', array['b1', 'b2'],
    array['fact', 'fact'], array['{}', '{}']::jsonb[], array[pg_temp.axis(1), pg_temp.axis(2)])),
  2, 'ann_b stores 2 memories (below the limit)');

select tests.clear_authentication();
select is(count(*)::int, 0, 'no row is in a graph before the sync')
  from public.memory_embeddings
 where user_id in (tests.get_user_id('ann_a'), tests.get_user_id('ann_b')) and graph is not null;
select throws_ok($$ select private.sync_memory_ann_index(0) $$,
  '22023', 'max_rows must be a positive number of rows', 'max_rows is checked');
select is(private.sync_memory_ann_index() ->> 'rows_pending', '0',
  'the sync registers the pairs above the limit and indexes all their rows');
select ok(pg_temp.graph_of('ann_a') between 1 and 16 and pg_temp.graph_of('ann_b') is null,
  'ann_a has a graph, ann_b (below the limit) has none');
select is(pg_temp.graph_rows(pg_temp.graph_of('ann_a')), array['a1', 'a2', 'a3', 'a4', 'a5'],
  'the graph''s table holds a copy of each of ann_a''s rows');
select is(
  (select array_agg(distinct coalesce(e.graph::text, 'none') || ':' || u.email order by coalesce(e.graph::text, 'none') || ':' || u.email)
     from public.memory_embeddings e join auth.users u on u.id = e.user_id
    where u.id in (tests.get_user_id('ann_a'), tests.get_user_id('ann_b'))),
  array[pg_temp.graph_of('ann_a') || ':ann_a@test.local', 'none:ann_b@test.local'],
  'every row of ann_a carries ann_a''s graph, ann_b''s none');

insert into public.memory_embeddings (user_id, content_text, content_type, model, embedding, graph)
select tests.get_user_id('ann_b'), 'b3', 'fact', 'm', pg_temp.axis(3), 7;
select is((select graph from public.memory_embeddings where content_text = 'b3'), null::smallint,
  'the graph is derived, not taken from the writer');

-- ann_c crosses the limit too: the least-loaded graph is one without ann_a.
select tests.authenticate_as('ann_c');
select is((select count(*)::int from public.insert_memories('m',
    array['c1', 'c2', 'c3', 'c4'], array['fact', 'fact', 'fact', 'fact'],
    array['{}', '{}', '{}', '{}']::jsonb[],
    array[pg_temp.axis(1), pg_temp.axis(2), pg_temp.axis(3), pg_temp.axis(4)])), 4,
  'ann_c stores 4 memories');
select tests.clear_authentication();
select is(private.sync_memory_ann_index() ->> 'pairs_registered', '1', 'the sync registers ann_c');
select isnt(pg_temp.graph_of('ann_c'), pg_temp.graph_of('ann_a'), 'ann_c gets a graph of its own');

select tests.authenticate_as('ann_a');
select is((select (graph, graph_rows)::text from private.my_memory_graph('m')),
  (pg_temp.graph_of('ann_a'), 5)::text, 'the caller reads its own graph and its size');
select tests.authenticate_as('ann_c');
select is((select (graph, graph_rows)::text from private.my_memory_graph('m')),
  (pg_temp.graph_of('ann_c'), 4)::text, 'another caller reads its own, not ann_a''s');

select tests.authenticate_as('ann_a');
-- Six rows are cheaper to sort than to walk a graph: steer the planner to the index
-- it takes by itself at scale, so the scan counts show which branch and graph ran.
set local enable_seqscan = off;
set local enable_sort = off;
select is((select count(*)::int from public.insert_memories('m', array['a6'], array['fact'],
    array['{}']::jsonb[], array[pg_temp.axis(6)])), 1, 'ann_a stores a 6th memory');
select is(
  (select array_agg(content) from public.match_memories(pg_temp.axis(6), 1, null, null, null, 'm')),
  array['a6'], 'after the sync: the new row is found (in the graph from its insert)');
select ok(pg_temp.graph_scans(pg_temp.graph_of('ann_a')) > 0
          and pg_temp.graph_scans(pg_temp.graph_of('ann_c')) = 0,
  'ann_a''s search walked ann_a''s graph, not ann_c''s');
select tests.authenticate_as('ann_c');
select is(
  (select array_agg(content order by content) from public.match_memories(pg_temp.axis(6), 4, null, null, null, 'm')),
  array['c1', 'c2', 'c3', 'c4'], 'ann_c finds only its own rows (ann_a''s nearest is not among them)');
select ok(pg_temp.graph_scans(pg_temp.graph_of('ann_c')) > 0, 'through ann_c''s graph');

-- A walk that gives up before k rows (here: one tuple visited at most) never answers
-- short: the exact scan answers instead, with the true top k.
select tests.authenticate_as('ann_a');
set local memories.max_scan_tuples = 1;
select is(
  (select array_agg(content) from public.match_memories(
     (select array_agg(case i when 6 then 1 when 3 then 0.5 when 2 then 0.25 when 1 then 0.1 else 0 end
                       order by i) from generate_series(1, 512) i)::real[]::extensions.vector,
     4, null, null, null, 'm')),
  array['a6', 'a3', 'a2', 'a1'], 'a walk stopped early: still k rows, the exact ones, in order');
select is(
  (select array_agg(content order by content) from public.match_memories(pg_temp.axis(2), 6, null, null, null, 'm')),
  array['a1', 'a2', 'a3', 'a4', 'a5', 'a6'], 'all of them when k is all of them');
reset memories.max_scan_tuples;
select is(
  (select array_agg(content) from public.match_memories(pg_temp.axis(3), 1, null, null, null, 'm')),
  array['a3'], 'an unhindered walk answers as before');
-- Alone in its graph, unfiltered: the walk is not resumable; deleted rows are skipped
-- and the next nearest take their place.
select tests.clear_authentication();
update public.memory_embeddings set deleted_at = now()
 where user_id = tests.get_user_id('ann_a') and content_text = 'a3';
select tests.authenticate_as('ann_a');
select is(
  (select array_agg(content) from public.match_memories(
     (select array_agg(case i when 6 then 1 when 3 then 0.5 when 2 then 0.25 when 1 then 0.1 else 0 end
                       order by i) from generate_series(1, 512) i)::real[]::extensions.vector,
     3, null, null, null, 'm')),
  array['a6', 'a2', 'a1'], 'a deleted row is not answered; the next nearest are');
select is(
  (select array_agg(content) from public.match_memories(
     (select array_agg(case i when 6 then 1 when 3 then 0.5 when 2 then 0.25 when 1 then 0.1 else 0 end
                       order by i) from generate_series(1, 512) i)::real[]::extensions.vector,
     3, null, 'fact', '{}', 'm')),
  array['a6', 'a2', 'a1'], 'with type and metadata filters (the resumable walk): the same');
reset enable_seqscan;
reset enable_sort;

-- The graph's table follows the rows: a new embedding replaces the copy, a deleted row
-- leaves it, and a client reaches none of it but through its own search.
select tests.clear_authentication();
update public.memory_embeddings set embedding = pg_temp.axis(7)::extensions.halfvec(512)
 where user_id = tests.get_user_id('ann_a') and content_text = 'a1';
delete from public.memory_embeddings
 where user_id = tests.get_user_id('ann_a') and content_text = 'a2';
select is(pg_temp.graph_rows(pg_temp.graph_of('ann_a')), array['a1', 'a3', 'a4', 'a5', 'a6'],
  'after an update of a1''s embedding and a delete of a2: the copies follow (a3 is soft-deleted only)');
select tests.authenticate_as('ann_a');
set local enable_seqscan = off;
set local enable_sort = off;
select is(
  (select array_agg(content) from public.match_memories(pg_temp.axis(7), 1, null, null, null, 'm')),
  array['a1'], 'the walk finds a1 by its new embedding');
select ok(pg_temp.graph_scans(pg_temp.graph_of('ann_a')) > 0, 'through the graph');
reset enable_seqscan;
reset enable_sort;
select throws_ok(format('select * from private.%I', 'memory_graph_' || pg_temp.graph_of('ann_a')),
  '42501', null, 'a client cannot read a graph''s table');
select is(cardinality(private.walk_my_memory_graph(pg_temp.axis(7)::extensions.halfvec(512), 2, null, null, 'm')), 2,
  'the walk function returns the caller''s own k ids');
select throws_ok($$ select private.walk_my_memory_graph(pg_temp.axis(7)::extensions.halfvec(512), 0, null, null, 'm') $$,
  '22023', 'match_count must be between 1 and 100', 'and checks k itself (it sets the walk''s width)');
select throws_ok($$ select private.walk_my_memory_graph(null, 2, null, null, 'm') $$,
  '22023', 'query must be a 512-dimension embedding', 'and the query (a null one ordered nothing)');
select tests.authenticate_as('ann_b');
select is(private.walk_my_memory_graph(pg_temp.axis(7)::extensions.halfvec(512), 2, null, null, 'm'), null,
  'and nothing to a caller without a graph, whoever else has one');
select tests.authenticate_as('ann_a');

-- After a bulk load: ann_d's rows arrive before it is registered; the rebuild
-- registers it and builds every graph from the table, its rows in its graph.
select tests.clear_authentication();
insert into public.memory_embeddings (user_id, content_text, content_type, model, embedding)
select tests.get_user_id('ann_d'), 'd' || i, 'fact', 'm', pg_temp.axis(i) from generate_series(1, 5) i;
select is(private.rebuild_memory_graphs() - 'seconds',
  '{"pairs_registered": 1, "rows_indexed": 5}'::jsonb, 'the rebuild registers ann_d and indexes its 5 rows');
select is(
  (select count(*)::int from public.memory_embeddings
    where user_id = tests.get_user_id('ann_d') and graph = pg_temp.graph_of('ann_d')), 5,
  'all of ann_d''s rows are in ann_d''s graph');

-- Once every graph has a pair, the next pair shares the least-loaded one: 13 more
-- pairs of 5 to 17 rows fill the other graphs, then ann_e's 4 rows go with the
-- smallest (ann_c's 4), and its walk is widened by the other pair's rows.
select tests.create_user('ann_f' || i) from generate_series(1, 13) i;
insert into public.memory_embeddings (user_id, content_text, content_type, model, embedding)
select tests.get_user_id('ann_f' || i), 'f' || i || '-' || j, 'fact', 'm', pg_temp.axis(j)
  from generate_series(1, 13) i, generate_series(1, 4 + i) j;
select tests.create_user('ann_e');
insert into public.memory_embeddings (user_id, content_text, content_type, model, embedding)
select tests.get_user_id('ann_e'), 'e' || j, 'fact', 'm', pg_temp.axis(j) from generate_series(1, 4) j;
select is(private.sync_memory_ann_index(10),
  '{"pairs_registered": 14, "rows_indexed": 10, "rows_pending": 137}'::jsonb,
  'the sync registers the 14 new pairs and puts at most max_rows of their 147 rows in a graph');
select is(private.sync_memory_ann_index(),
  '{"pairs_registered": 0, "rows_indexed": 137, "rows_pending": 0}'::jsonb,
  'the next run puts the other 137 in');
select is(pg_temp.graph_of('ann_e'), pg_temp.graph_of('ann_c'),
  'the 17th pair shares the graph with the fewest rows (ann_c''s 4)');
select tests.authenticate_as('ann_e');
select is((select graph_rows from private.my_memory_graph('m')), 8::bigint,
  'its size is both pairs'' rows');
set local enable_seqscan = off;
set local enable_sort = off;
select is(
  (select array_agg(content order by content) from public.match_memories(pg_temp.axis(2), 4, null, null, null, 'm')),
  array['e1', 'e2', 'e3', 'e4'], 'a walk of a shared graph returns only the caller''s rows');
select ok(pg_temp.graph_scans(pg_temp.graph_of('ann_e')) > 0, 'through the shared graph');
reset enable_seqscan;
reset enable_sort;

select tests.clear_authentication();
-- Rows under the limit wait in the pending index too, forever: 3,000 pairs of 2 rows
-- (ann_b under 3,000 models). The sync must look up the registered pairs' waiting
-- rows, not read past these (it once scanned the whole table every minute).
insert into private.embedding_models (name) select 'x' || i from generate_series(1, 3000) i;
insert into public.memory_embeddings (user_id, content_text, content_type, model, embedding)
select tests.get_user_id('ann_b'), 'x' || i || '-' || j, 'fact', 'x' || i, pg_temp.axis(j)
  from generate_series(1, 3000) i, generate_series(1, 2) j;
create function pg_temp.reads() returns bigint language sql security definer as $$
  select pg_catalog.pg_stat_get_xact_tuples_returned('public.memory_embeddings'::regclass)
       + pg_catalog.pg_stat_get_xact_tuples_returned('public.idx_memory_embeddings_graph_pending'::regclass)
$$;
create temporary table reads_before as select pg_temp.reads() as n;
select is(private.sync_memory_ann_index(),
  '{"rows_indexed": 0, "rows_pending": 0, "pairs_registered": 0}'::jsonb,
  'with 6,000 rows of small pairs waiting in no graph, the sync has nothing to do');
select cmp_ok(pg_temp.reads() - (select n from reads_before), '<', 1000::bigint,
  'and reads the registered pairs'' entries to know it, not the 6,000 others');

select is(
  (select count(*)::int from pg_indexes
    where schemaname = 'private' and indexname ~ '^memory_graph_[0-9]+_hnsw$'
      and indexdef like '%USING hnsw (embedding halfvec_cosine_ops)%'
      and substring(indexname from '[0-9]+') in (select graph::text from private.memory_ann_users)),
  16, '16 graphs in use, each a table with an HNSW index');
select is(
  (select count(*)::int from pg_indexes
    where schemaname = 'public' and tablename = 'memory_embeddings' and indexdef like '%USING hnsw%'),
  0, 'and none on memory_embeddings, whose other statements plan around no graph');
select ok(
  (select bool_and(c.relrowsecurity
                   and not has_table_privilege('authenticated', c.oid, 'select')
                   and not has_table_privilege('anon', c.oid, 'select')
                   and not has_table_privilege('service_role', c.oid, 'select'))
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'private' and c.relname ~ '^memory_graph_[0-9]+$' and c.relkind = 'r'),
  'every graph table has RLS on and no grants to the API roles');
select ok(
  (select bool_and(c.reloptions = array['m=32', 'ef_construction=128']) from pg_class c
    where c.relname ~ '^memory_graph_[0-9]+_hnsw$')
  and exists (select 1 from cron.job where jobname = 'memory-ann-index'),
  'each graph is built denser than pgvector''s defaults, and the sync runs every minute');

select ok(
  (select p.proconfig @> array['search_path=""', 'plan_cache_mode=force_generic_plan'] and not p.prosecdef
     from pg_proc p where p.oid = 'public.match_memories(extensions.vector, integer, double precision, text, jsonb, text)'::regprocedure)
  and (select p.proconfig @> array['search_path=""', 'hnsw.iterative_scan=strict_order'] and p.prosecdef
     from pg_proc p where p.oid = 'private.walk_my_memory_graph(extensions.halfvec, integer, text, jsonb, text)'::regprocedure)
  and (select l.lanname = 'plpgsql' and p.prosecdef from pg_proc p join pg_language l on l.oid = p.prolang
        where p.oid = 'private.my_memory_count(text)'::regprocedure),
  'match_memories (security invoker) plans its static queries once per session, the count it reads keeps its plan, and the walk (definer) keeps its settings to itself');

select * from finish();
rollback;
