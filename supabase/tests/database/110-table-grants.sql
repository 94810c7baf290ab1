-- What the API roles may do to each table and column of public, as a whole matrix.
-- The local stack emulates the platform's default (the postgres role's new tables
-- granted in full to anon and authenticated), so a grant a migration forgets to take
-- back fails here as it would leak on hosted Supabase. A new table must be listed.
begin;
select plan(5);

create temporary table expected (tbl text, privilege text, cols text) on commit drop;
insert into expected values
  ('accommodations', 'DELETE', '*'), ('accommodations', 'INSERT', '*'),
  ('accommodations', 'SELECT', '*'), ('accommodations', 'UPDATE', '*'),
  ('api_keys', 'DELETE', '*'),
  ('api_keys', 'SELECT', 'created_at,encryption_key_id,expires_at,id,is_active,key_name,last_used_at,last_validated_at,service_name,updated_at,usage_count,user_id,value_mask'),
  ('api_keys', 'UPDATE', 'expires_at,is_active'),
  ('chat_messages', 'SELECT', '*'),
  ('chat_sessions', 'DELETE', '*'), ('chat_sessions', 'INSERT', 'metadata,remember,title,trip_id,user_id'),
  ('chat_sessions', 'SELECT', '*'), ('chat_sessions', 'UPDATE', 'metadata,title'),
  ('file_attachments', 'DELETE', '*'), ('file_attachments', 'INSERT', '*'),
  ('file_attachments', 'SELECT', '*'), ('file_attachments', 'UPDATE', '*'),
  ('flights', 'DELETE', '*'), ('flights', 'INSERT', '*'),
  ('flights', 'SELECT', '*'), ('flights', 'UPDATE', '*'),
  ('itinerary_items', 'DELETE', '*'), ('itinerary_items', 'INSERT', '*'),
  ('itinerary_items', 'SELECT', '*'), ('itinerary_items', 'UPDATE', '*'),
  ('memory_history', 'SELECT', '*'),
  ('memory_embeddings', 'DELETE', '*'), ('memory_embeddings', 'INSERT', 'content_hash,content_text,content_type,created_at,deleted_at,id,metadata,model,source,updated_at,user_id'),
  ('memory_embeddings', 'SELECT', '*'), ('memory_embeddings', 'UPDATE', 'content_text,content_type,deleted_at,metadata,source'),
  ('memory_vectors', 'DELETE', '*'), ('memory_vectors', 'INSERT', 'embedding,id,user_id'),
  ('memory_vectors', 'SELECT', '*'), ('memory_vectors', 'UPDATE', 'embedding'),
  ('price_history', 'SELECT', '*'),
  ('saved_options', 'DELETE', '*'), ('saved_options', 'INSERT', '*'),
  ('saved_options', 'SELECT', '*'), ('saved_options', 'UPDATE', '*'),
  ('search_history', 'DELETE', '*'), ('search_history', 'INSERT', '*'), ('search_history', 'SELECT', '*'),
  ('transportation', 'DELETE', '*'), ('transportation', 'INSERT', '*'),
  ('transportation', 'SELECT', '*'), ('transportation', 'UPDATE', '*'),
  ('trip_collaborators', 'DELETE', '*'), ('trip_collaborators', 'SELECT', '*'),
  ('trip_collaborators', 'UPDATE', 'permission_level'),
  ('trip_comparisons', 'DELETE', '*'), ('trip_comparisons', 'INSERT', '*'),
  ('trip_comparisons', 'SELECT', '*'), ('trip_comparisons', 'UPDATE', '*'),
  ('trip_invitations', 'SELECT', '*'),
  ('trip_notes', 'DELETE', '*'), ('trip_notes', 'INSERT', '*'),
  ('trip_notes', 'SELECT', '*'), ('trip_notes', 'UPDATE', '*'),
  ('trips', 'DELETE', '*'), ('trips', 'INSERT', '*'), ('trips', 'SELECT', '*'),
  ('trips', 'UPDATE', 'budget,currency,description,destination,end_date,flexibility,name,start_date,status,travelers,trip_type'),
  ('user_preferences', 'DELETE', '*'), ('user_preferences', 'INSERT', '*'),
  ('user_preferences', 'SELECT', '*'), ('user_preferences', 'UPDATE', 'preferences'),
  ('users', 'SELECT', '*'), ('users', 'UPDATE', 'name');

-- What authenticated holds (objects of extensions, such as pgTAP's, aside): table-level privileges as '*', column grants as a list.
create temporary view actual as
with tables as (
  select c.oid, c.relname from pg_catalog.pg_class c
   where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f')
     and not exists (select 1 from pg_catalog.pg_depend d
                      where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
), privs as (
  select unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p
)
select t.relname::text as tbl, p.p as privilege,
       case when has_table_privilege('authenticated', t.oid, p.p)
              and not exists (select 1 from pg_catalog.pg_attribute a
                               where a.attrelid = t.oid and a.attnum > 0 and not a.attisdropped
                                 and p.p in ('SELECT', 'INSERT', 'UPDATE')
                                 and not has_column_privilege('authenticated', t.oid, a.attnum, p.p))
            then '*'
            else (select string_agg(a.attname, ',' order by a.attname) from pg_catalog.pg_attribute a
                   where a.attrelid = t.oid and a.attnum > 0 and not a.attisdropped
                     and p.p in ('SELECT', 'INSERT', 'UPDATE')
                     and has_column_privilege('authenticated', t.oid, a.attnum, p.p))
       end as cols
  from tables t cross join privs p;

select set_eq(
  'select tbl, privilege, cols from actual where cols is not null',
  'select tbl, privilege, cols from expected',
  'authenticated holds exactly the table and column privileges of the matrix');

select is_empty($$
  select c.relname from pg_catalog.pg_class c
   where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
     and not exists (select 1 from pg_catalog.pg_depend d
                      where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
     and (has_table_privilege('anon', c.oid, 'SELECT') or has_table_privilege('anon', c.oid, 'INSERT')
          or has_table_privilege('anon', c.oid, 'UPDATE') or has_table_privilege('anon', c.oid, 'DELETE')
          or has_any_column_privilege('anon', c.oid, 'SELECT, INSERT, UPDATE'))
$$, 'anon holds nothing on any table, view or sequence of public');

select is_empty($$
  select c.relname from pg_catalog.pg_class c
   where c.relnamespace = 'public'::regnamespace and c.relkind = 'S'
     and (has_sequence_privilege('authenticated', c.oid, 'USAGE')
          or has_sequence_privilege('authenticated', c.oid, 'SELECT')
          or has_sequence_privilege('authenticated', c.oid, 'UPDATE'))
$$, 'authenticated uses no sequence (identity columns need none)');

select is_empty($$
  select d.defaclobjtype from pg_catalog.pg_default_acl d
    cross join lateral pg_catalog.aclexplode(d.defaclacl) x
   where d.defaclnamespace = 'public'::regnamespace
     and d.defaclrole = 'postgres'::regrole
     and x.grantee in ('anon'::regrole, 'authenticated'::regrole)
$$, 'objects the postgres role creates in public grant the API roles nothing by default');

-- The attack the restatement closes: an editor takes a trip over by rewriting its owner.
select tests.create_user(u) from unnest(array['grants_owner', 'grants_editor']) u;
select tests.authenticate_as('grants_owner');
select throws_ok($$ update public.trips set user_id = auth.uid() where false $$, '42501',
  'permission denied for table trips', 'no API role may rewrite a trip''s owner');

select * from finish();
rollback;
