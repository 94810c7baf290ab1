-- Which graph holds a user's memory vectors, and the limits that decide it.
--
-- public.memory_vectors (13_memories.sql) is partitioned by graph: partition 0
-- (private.memory_vectors_0) holds the vectors of every user up to the exact-search
-- limit, searched exactly through its user_id index; partition n >= 1
-- (private.memory_vectors_<n>) holds a large user's vectors (shared by several once
-- there are private.memory_graph_count() of them) with its own HNSW index.
-- private.sync_memory_graphs (14_memory_search.sql), every minute, gives each user above
-- the limit a graph and moves their rows there; search walks the caller's own
-- partition, pruned at plan time.
--
-- Why only the vectors are partitioned: every statement on a partitioned table that
-- Postgres cannot prune at plan time is planned for every partition. A user's list, a
-- Data API select filtered by the RLS policy, a cascade from auth.users: none of them
-- names a graph, and with a partition per large user (up to 1,024) such a query takes
-- tens of milliseconds to plan. Only search needs the graph, and search always knows it.
create table private.memory_graph_users (
  user_id uuid primary key references auth.users (id) on delete cascade,
  graph smallint not null check (graph >= 1),
  registered_at timestamptz not null default pg_catalog.now()
);
alter table private.memory_graph_users enable row level security;
comment on table private.memory_graph_users is
  'The users above the exact-search limit and the graph (partition of memory_vectors) that '
  'holds their vectors. Written by private.sync_memory_graphs only.';
comment on column private.memory_graph_users.graph is 'The partition: private.memory_vectors_<graph>.';

create index idx_memory_graph_users_graph on private.memory_graph_users (graph);
comment on index private.idx_memory_graph_users_graph is 'The users of a graph (its load).';

create function private.my_memory_graph()
returns smallint
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return coalesce((select g.graph from private.memory_graph_users g
                    where g.user_id = (select auth.uid())), 0);
end
$$;
comment on function private.my_memory_graph() is
  'The graph holding the calling user''s vectors: 0 (exact search) until private.sync_memory_graphs '
  'gives them one. The default of memory_vectors.graph. Security definer: the registry is '
  'private; only the caller''s own graph is read. PL/pgSQL so that its plan is kept.';
revoke all on function private.my_memory_graph() from public;
grant execute on function private.my_memory_graph() to authenticated, service_role;

create function private.memory_graph_count()
returns integer
language sql
stable
set search_path = ''
as $$
  -- memories.graph_count lets the database tests fill every graph with a few users.
  select coalesce(nullif(current_setting('memories.graph_count', true), '')::integer, 1024)
$$;
comment on function private.memory_graph_count() is
  'How many HNSW graphs (partitions of memory_vectors) there may be: 1,024; the setting '
  'memories.graph_count overrides it for tests. Beyond it, new users share the least-loaded one.';
revoke all on function private.memory_graph_count() from public;

-- The exact limit: an exact scan costs ~0.8 us of CPU a row, so past a few thousand rows
-- a user's own graph answers well within the search target and a scan does not
-- (docs/benchmarks.md has the per-size figures).
create function private.memory_exact_max_rows()
returns integer
language sql
stable
set search_path = ''
as $$
  -- memories.exact_max_rows lets the database tests cross the limit with a few rows.
  select coalesce(nullif(current_setting('memories.exact_max_rows', true), '')::integer, 2000)
$$;
comment on function private.memory_exact_max_rows() is
  'Rows per user and model up to which match_memories scans exactly (2,000; the setting '
  'memories.exact_max_rows overrides it for tests). Above it: the user''s own HNSW graph.';
revoke all on function private.memory_exact_max_rows() from public;
grant execute on function private.memory_exact_max_rows() to authenticated, service_role;

-- match_memories on the graph path never answers fewer than k when the caller has k.
-- pgvector's iterative scan stops after hnsw.max_scan_tuples visited tuples (20,000 by
-- default): once a user's rows are a small share of a large shared graph, or filters
-- (type, metadata, deleted) keep few of them, a walk can end with fewer than k rows.
-- The walk visits up to 100,000 tuples, and when it still finds fewer than k the exact
-- scan of the caller's rows answers instead (slower for that query, never short).
create function private.memory_max_scan_tuples()
returns integer
language sql
stable
set search_path = ''
as $$
  -- memories.max_scan_tuples lets the database tests make a walk stop early.
  select coalesce(nullif(current_setting('memories.max_scan_tuples', true), '')::integer, 100000)
$$;
comment on function private.memory_max_scan_tuples() is
  'Tuples an HNSW walk of match_memories may visit (100,000; the setting '
  'memories.max_scan_tuples overrides it for tests).';
revoke all on function private.memory_max_scan_tuples() from public;
grant execute on function private.memory_max_scan_tuples() to authenticated, service_role;

create function private.my_memory_counts(p_model text, out my_rows bigint, out graph_rows bigint)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  uid constant uuid := (select auth.uid());
begin
  my_rows := coalesce((select c.n from private.memory_counts c
                        where c.user_id = uid and c.model = p_model), 0);
  graph_rows := (select coalesce(sum(c.n), 0) from private.memory_graph_users g
                   join private.memory_graph_users o on o.graph = g.graph
                   join private.memory_counts c on c.user_id = o.user_id
                  where g.user_id = uid);
end
$$;
comment on function private.my_memory_counts(text) is
  'The calling user''s memories of a model (my_rows) and the rows of every user in their '
  'graph (graph_rows; 0 without a graph), from private.memory_counts: how wide a walk must '
  'be. Security definer: the counts are private; only the caller''s own are read.';
revoke all on function private.my_memory_counts(text) from public;
grant execute on function private.my_memory_counts(text) to authenticated, service_role;
