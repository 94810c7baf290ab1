-- The HNSW graph of the large users, rebuilt denser: m 32 and ef_construction 128
-- (were pgvector's defaults, 16 and 64). On the per-user workload at scale (bench
-- vector --scale: users of 50,000 and 100,000 rows in one graph), the default graph
-- topped out at recall@10 0.975 for the largest user even at ef_search 1,000; the
-- denser one reaches 1.000 at the ef_search match_memories uses (400). docs/benchmarks.md.
--
-- Cost: a graph insert takes about twice as long (the every-minute sync inserts at most
-- its batch per run), and the rebuild below reads the table once and builds the graph
-- of the rows in it (6 min for 150,000 rows on 2 cores with 3 GB of
-- maintenance_work_mem). Only the large users' rows are in it.

drop index public.idx_memory_embeddings_hnsw;

-- Same operator class as the queries (<=> cosine), same predicate as before.
create index idx_memory_embeddings_hnsw on public.memory_embeddings
  using hnsw (embedding extensions.vector_cosine_ops)
  with (m = 32, ef_construction = 128)
  where in_ann_index;
comment on index public.idx_memory_embeddings_hnsw is
  'Cosine HNSW (m 32, ef_construction 128) over the memories of users above the exact-search '
  'limit (in_ann_index).';
