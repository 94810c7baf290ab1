-- Extensions the data model relies on. On hosted Supabase and `supabase start` they are
-- available and installed into the `extensions` schema; pg_cron and pg_stat_statements
-- must be preloaded (they are on Supabase; the local stack's cluster preloads them too).

-- Vectors (memory_vectors: halfvec, HNSW).
create extension if not exists vector with schema extensions;

create extension if not exists "uuid-ossp" with schema extensions;

-- Case-insensitive emails (users.email).
create extension if not exists citext with schema extensions;

-- Provider keys are encrypted with pgcrypto (api_keys).
create extension if not exists pgcrypto with schema extensions;

-- Statement statistics for operators (monitoring.slow_queries).
create extension if not exists pg_stat_statements with schema extensions;

-- Scheduled jobs (maintenance, memory graphs). pg_cron always lives in pg_catalog and
-- owns the `cron` schema.
create extension if not exists pg_cron with schema pg_catalog;

-- A GIN index on (user_id, content_tsv): one user's keyword search reads that user's
-- postings only (memory_embeddings.idx_memory_embeddings_user_tsv).
create extension if not exists btree_gin with schema extensions;
