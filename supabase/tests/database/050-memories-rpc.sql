-- The memories RPCs as the function calls them: dedupe on insert, validation
-- raising 22023 with the field named, similarity and filters, each caller kept
-- to their own rows.
begin;
select plan(27);

-- The embedding models these tests store memories under (private.embedding_models).
insert into private.embedding_models (name) values ('m'), ('m2'), ('other-model') on conflict do nothing;

select tests.create_user(u) from unnest(array['mem_a', 'mem_b']) u;

-- Unit vectors along one axis (cosine: same axis 1, other axes 0).
create function pg_temp.axis(i integer) returns extensions.vector language sql immutable as $$
  select (array_fill(0, array[i - 1]) || array[1] || array_fill(0, array[512 - i]))::real[]::extensions.vector
$$;
grant execute on function pg_temp.axis(integer) to authenticated;

select tests.authenticate_as('mem_a');
select is(
  (select array_agg(created order by content_hash) from public.insert_memories('m',
     array['alpha', 'beta'], array['fact', 'note'], array['{}', '{"k":1}']::jsonb[],
     array[pg_temp.axis(1), pg_temp.axis(2)])),
  array[true, true], 'two new memories are created');
select is(
  (select array_agg(created order by created) from public.insert_memories('m',
     array['alpha', 'gamma'], array['fact', 'fact'], array['{}', '{}']::jsonb[],
     array[pg_temp.axis(1), pg_temp.axis(3)])),
  array[false, true], 'stored content is returned, not stored again');
select is((select count(*)::int from public.memory_embeddings), 3, 'three rows for mem_a');
select is(
  (select count(*)::int from public.insert_memories('other-model', array['alpha'], array['fact'],
     array['{}']::jsonb[], array[pg_temp.axis(1)]) where created),
  1, 'the same content under another model is a new row');

select throws_ok($$ select * from public.insert_memories('m', array[]::text[], array[]::text[], array[]::jsonb[], array[]::extensions.vector[]) $$,
  '22023', 'memories must hold between 1 and 256 memories', 'empty batch');
select throws_ok($$ select * from public.insert_memories('m', array['x', 'y'], array['fact'], array['{}']::jsonb[], array[pg_temp.axis(4)]) $$,
  '22023', 'memories contents, types, metadata and embeddings must be parallel arrays', 'ragged arrays');
select throws_ok($$ select * from public.insert_memories('m', array['x'], array['dream'], array['{}']::jsonb[], array[pg_temp.axis(4)]) $$,
  '22023', 'content_type must be one of preference, fact, trip_context, conversation, note, other', 'unknown content type');

select is(
  (select array_agg(content order by similarity desc, content) from public.match_memories(pg_temp.axis(2), 10, 0, null, null, 'm')),
  array['beta', 'alpha', 'gamma'], 'the nearest first, orthogonal ones at similarity 0');
select is(
  (select similarity from public.match_memories(pg_temp.axis(2), 1, 0, null, null, 'm')),
  1::double precision, 'similarity is 1 - cosine distance');
select is(
  (select count(*)::int from public.match_memories(pg_temp.axis(2), 10, 0.5, null, null, 'm')),
  1, 'min_similarity drops the orthogonal rows');
select is(
  (select array_agg(content) from public.match_memories(pg_temp.axis(1), 10, 0, 'note', '{"k":1}', 'm')),
  array['beta'], 'content type and metadata filters');
select throws_ok($$ select * from public.match_memories(pg_temp.axis(1), 101) $$,
  '22023', 'match_count must be between 1 and 100', 'match_count bound');
select throws_ok($$ select * from public.match_memories('[1,2,3]'::extensions.vector) $$,
  '22023', 'query must be a 512-dimension embedding', 'query dimensions');
select throws_ok($$ select * from public.match_memories(array_fill(0.025, array[1536])::extensions.vector) $$,
  '22023', 'query must be a 512-dimension embedding', 'a query of the old size (1536) is refused, not cut');
select throws_ok($$ select * from public.insert_memories('m', array['x'], array['fact'], array['{}']::jsonb[],
     array[array_fill(0.025, array[1536])::extensions.vector]) $$,
  '22000', 'expected 512 dimensions, not 1536', 'nor is an embedding of the old size stored');

-- Stored as 512-d half precision, kept in the row (a scan never reads TOAST for it).
select ok(
  (select (a.atttypid, a.atttypmod, a.attstorage::text) = ('extensions.halfvec'::regtype, 512, 'm')
     from pg_attribute a
    where a.attrelid = 'public.memory_vectors'::regclass and a.attname = 'embedding'),
  'memory_vectors.embedding is halfvec(512), storage main');
-- A float32 query compares as stored: the same similarity as the halfvec query.
select is(
  (select similarity from public.match_memories(pg_temp.axis(2), 1, 0, null, null, 'm')),
  (select similarity from public.match_memories(pg_temp.axis(2)::extensions.halfvec::extensions.vector, 1, 0, null, null, 'm')),
  'a float32 query and its half-precision form agree');
-- The count that picks the path is the caller's own, never another user's.
select is((select my_rows from private.my_memory_counts('m')), 3::bigint, 'the caller''s own count, read from the counts');

select tests.authenticate_as('mem_b');
select is((select my_rows from private.my_memory_counts('m')), 0::bigint, 'another caller reads their own count: none');
select is((select count(*)::int from public.match_memories(pg_temp.axis(1), 100, 0, null, null, 'm')),
  0, 'another user finds none of them');
select is(jsonb_array_length(public.list_memories(null, null, 100) -> 'items'), 0, 'nor lists them');

select tests.authenticate_as_anon();
select throws_ok($$ select * from public.match_memories(pg_temp.axis(1)) $$,
  '42501', null, 'anon may not search');

-- Models are data (migration ..._embedding_models): a client cannot invent one by any
-- path, and the limit counts a user's memories whatever their model.
select tests.authenticate_as('mem_b');
select throws_ok($$ select * from public.insert_memories('invented-1', array['x'], array['fact'],
    array['{}']::jsonb[], array[pg_temp.axis(1)]) $$,
  '23503', null, 'insert_memories refuses a model the deployment does not serve');
select throws_ok($$ select public.apply_memory_decisions('invented-2',
    '[{"event":"ADD","text":"x","embedding":0}]'::jsonb, array[pg_temp.axis(1)]) $$,
  '23503', null, 'so does apply_memory_decisions');
select throws_ok($$ insert into public.memory_embeddings (content_text, content_type, model)
    values ('x', 'fact', 'invented-3') $$,
  '23503', null, 'and a direct insert through the Data API');
select throws_ok($$ insert into private.embedding_models (name) values ('invented-4') $$,
  '42501', null, 'nor can a client add a model');
select tests.clear_authentication();
select is((select tgargs from pg_trigger where tgname = 'memory_embeddings_limit'),
  E'user_id\\000200000\\000\\000'::bytea, 'one limit per user, all models together');

select * from finish();
rollback;
