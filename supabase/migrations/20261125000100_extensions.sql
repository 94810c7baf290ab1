-- Extensions the data model relies on.
-- On hosted Supabase and `supabase start` they are available and installed into
-- the `extensions` schema; pg_cron and pg_stat_statements must be preloaded
-- (they are on Supabase; the local stack's cluster preloads them too).

create extension if not exists vector with schema extensions;
create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists citext with schema extensions;
create extension if not exists pgcrypto with schema extensions;
create extension if not exists pg_stat_statements with schema extensions;
-- pg_cron always lives in pg_catalog and owns the `cron` schema.
create extension if not exists pg_cron with schema pg_catalog;
