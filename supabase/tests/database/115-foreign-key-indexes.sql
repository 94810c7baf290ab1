-- Every foreign key has an index that covers it (Supabase's advisor lint 0001): its
-- columns lead some index of the referencing table. Without one, deleting a user or a
-- trip scans the table for rows to cascade to. A new foreign key must come with its index,
-- or with its reason in this list.
begin;
select plan(1);

create temporary table unindexed_by_design (fk text primary key, reason text not null) on commit drop;
insert into unindexed_by_design values
  ('public.memory_embeddings memory_embeddings_model_fkey',
   'a served model is removed only once no memory uses it; an index on a column of a handful '
   'of values would cost every insert for that one rare check');

select is((
  select array_agg(r.fk order by 1)
    from pg_catalog.pg_constraint c
    cross join lateral (
      select c.connamespace::regnamespace::text || '.' || t.relname || ' ' || c.conname as fk
        from pg_catalog.pg_class t where t.oid = c.conrelid) r
   where c.contype = 'f'
     and c.connamespace in ('public'::regnamespace, 'private'::regnamespace)
     and not exists (
       select 1 from pg_catalog.pg_index i
        where i.indrelid = c.conrelid
          and (i.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey
          and (i.indkey::int2[])[0:cardinality(c.conkey) - 1] <@ c.conkey)
     and r.fk not in (select fk from unindexed_by_design)),
  null, 'every foreign key of public and private is covered by an index');

select * from finish();
rollback;
