-- The HNSW index holds only the memories of (user, model) pairs above the exact
-- limit: registration and flagging by private.sync_memory_ann_index(), the flag on
-- insert, the flag never taken from the writer, and match_memories exact until
-- every row of the caller is in the graph. The limit is lowered to 3 rows here.
begin;
select plan(19);

set local memories.exact_max_rows = 3;
select tests.create_user(u) from unnest(array['ann_a', 'ann_b']) u;

create function pg_temp.axis(i integer) returns extensions.vector language sql immutable as $$
  select (array_fill(0, array[i - 1]) || array[1] || array_fill(0, array[512 - i]))::real[]::extensions.vector
$$;
grant execute on function pg_temp.axis(integer) to authenticated;
-- Scans of the HNSW index by this transaction: which path match_memories took.
-- (Definer: statistics are the operator's, not the API roles'.)
create function pg_temp.graph_scans() returns bigint language sql security definer as $$
  select pg_catalog.pg_stat_get_xact_numscans('public.idx_memory_embeddings_hnsw'::regclass)
$$;
grant execute on function pg_temp.graph_scans() to authenticated;

select tests.authenticate_as('ann_a');
select is((select count(*)::int from public.insert_memories('m',
    array['a1', 'a2', 'a3', 'a4', 'a5'], array['fact', 'fact', 'fact', 'fact', 'fact'],
    array['{}', '{}', '{}', '{}', '{}']::jsonb[],
    array[pg_temp.axis(1), pg_temp.axis(2), pg_temp.axis(3), pg_temp.axis(4), pg_temp.axis(5)])),
  5, 'ann_a stores 5 memories (above the lowered limit of 3)');
select is(
  (select array_agg(content) from public.match_memories(pg_temp.axis(2), 1, null, null, null, 'm')),
  array['a2'], 'before registration: the nearest row is found');
select is(pg_temp.graph_scans(), 0::bigint, 'before registration: exact search, the graph is not walked');
select throws_ok($$ update public.memory_embeddings set in_ann_index = true $$,
  '42501', null, 'a client cannot set the flag');
select throws_ok($$ select private.sync_memory_ann_index() $$,
  '42501', null, 'nor run the sync');

select tests.authenticate_as('ann_b');
select is((select count(*)::int from public.insert_memories('m', array['b1', 'b2'],
    array['fact', 'fact'], array['{}', '{}']::jsonb[], array[pg_temp.axis(1), pg_temp.axis(2)])),
  2, 'ann_b stores 2 memories (below the limit)');

select tests.clear_authentication();
select is(bool_or(in_ann_index), false, 'nothing is in the graph before the sync')
  from public.memory_embeddings where user_id in (tests.get_user_id('ann_a'), tests.get_user_id('ann_b'));
select throws_ok($$ select private.sync_memory_ann_index(0) $$,
  '22023', 'max_rows must be a positive number of rows', 'max_rows is checked');
select is(private.sync_memory_ann_index() ->> 'rows_pending', '0',
  'the sync registers the pairs above the limit and indexes all their rows');
select is(
  (select array_agg(distinct u.email || ':' || e.in_ann_index order by u.email || ':' || e.in_ann_index)
     from public.memory_embeddings e join auth.users u on u.id = e.user_id
    where u.id in (tests.get_user_id('ann_a'), tests.get_user_id('ann_b'))),
  array['ann_a@test.local:true', 'ann_b@test.local:false'], 'only ann_a''s rows are flagged');

insert into public.memory_embeddings (user_id, content_text, content_type, model, embedding, in_ann_index)
select tests.get_user_id('ann_b'), 'b3', 'fact', 'm', pg_temp.axis(3), true;
select is((select in_ann_index from public.memory_embeddings where content_text = 'b3'), false,
  'the flag is derived, not taken from the writer');

select tests.authenticate_as('ann_a');
-- Six rows are cheaper to sort than to walk a graph: steer the planner to the index
-- it takes by itself at scale, so the scan count shows which branch ran.
set local enable_seqscan = off;
set local enable_sort = off;
select is((select count(*)::int from public.insert_memories('m', array['a6'], array['fact'],
    array['{}']::jsonb[], array[pg_temp.axis(6)])), 1, 'ann_a stores a 6th memory');
select is(
  (select array_agg(content) from public.match_memories(pg_temp.axis(6), 1, null, null, null, 'm')),
  array['a6'], 'after the sync: the new row is found (flagged on insert)');
select ok(pg_temp.graph_scans() > 0, 'after the sync: the search walked the graph');

-- A walk that gives up before k rows (here: one tuple visited at most) never answers
-- short: the exact scan answers instead, with the true top k.
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

select tests.clear_authentication();
select ok(
  (select indexdef like '%WHERE in_ann_index%' from pg_indexes
    where indexname = 'idx_memory_embeddings_hnsw')
  and exists (select 1 from cron.job where jobname = 'memory-ann-index'),
  'the HNSW index is partial and the sync runs every minute');

select is(
  (select c.reloptions from pg_class c where c.relname = 'idx_memory_embeddings_hnsw'),
  array['m=32', 'ef_construction=128'],
  'the graph is built denser than pgvector''s defaults (recall at scale)');

select * from finish();
rollback;
