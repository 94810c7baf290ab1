-- Who may EXECUTE what: every function of the exposed (public) and private schemas,
-- for anon and authenticated, like the RLS matrix for tables. A function missing from
-- the list fails the test: a new function must state its callers here.
begin;
select plan(6);

create temporary table expected (fn text primary key, authenticated boolean not null) on commit drop;
insert into expected values
  -- RPCs behind the functions: signed-in users.
  ('public.invite_to_trip', true), ('public.list_trip_invitations', true),
  ('public.revoke_trip_invitation', true), ('public.list_my_invitations', true),
  ('public.respond_to_trip_invitation', true), ('public.create_trip', true),
  ('public.create_trip_child', true), ('public.delete_trip', true),
  ('public.delete_trip_child', true), ('public.get_trip', true), ('public.insert_memories', true),
  ('public.list_memories', true), ('public.apply_memory_decisions', true),
  ('private.add_extracted_memory', true), ('public.list_trip_children', true),
  ('public.list_trip_collaborators', true), ('public.list_trips', true),
  ('public.match_memories', true), ('public.search_memories', true),
  ('public.remove_trip_collaborator', true),
  ('public.update_trip', true), ('public.update_trip_child', true),
  ('public.update_trip_collaborator', true),
  -- Jobs act across users: service_role and pg_cron only.
  ('public.cleanup_old_price_history', false), ('public.cleanup_old_search_history', false),
  ('public.daily_cleanup_job', false), ('public.expire_inactive_chat_sessions', false),
  ('public.monthly_cleanup_job', false), ('public.weekly_maintenance_job', false),
  -- Chat turns and memory jobs: the chat function's admin client, naming the user.
  ('private.chat_begin_turn', false), ('private.chat_finish_turn', false),
  ('private.claim_memory_jobs', false), ('private.finish_memory_job', false),
  ('private.close_interrupted_replies', false),
  -- The cache's memory version: read by the admin client; bumped by trigger.
  ('private.memory_version', false), ('private.track_memory_changes', false),
  ('private.apply_trip_child_policies', false),
  -- The per-user graphs: maintenance, run by pg_cron or by the owner.
  ('private.sync_memory_graphs', false), ('private.memory_graph_count', false),
  -- Re-embedding after a model change: the functions' admin client, naming the user.
  ('private.claim_reembed_jobs', false), ('private.reembed_batch', false),
  ('private.fail_reembed_job', false),
  -- The definer halves of the RPCs above, out of the Data API's reach: each checks the
  -- caller's permission itself (pgTAP 040/120).
  ('private.invite_to_trip', true), ('private.revoke_trip_invitation', true),
  ('private.list_my_invitations', true), ('private.respond_to_trip_invitation', true),
  ('private.get_trip', true), ('private.email_key', true),
  -- Reads any trip's rows: only private.get_trip calls it, after its permission check.
  ('private.trip_child_first_page', false),
  -- Trigger functions: fired by the database, never called.
  ('private.api_keys_keep_binding', false), ('private.handle_auth_user_change', false),
  ('private.notify_cache_invalidation', false),
  ('private.notify_trip_collaboration', false), ('private.set_content_hash', false),
  ('private.set_provenance', false), ('private.set_updated_at', false),
  ('private.enforce_limit', false), ('private.record_memory_history', false),
  ('private.broadcast_trip_change', false),
  ('private.touch_chat_session', false),
  -- Helpers that policies and invoker RPCs call as the caller; each answers about the
  -- caller only (pgTAP 040/070/080 and below).
  ('private.can_admin_trip', true), ('private.can_edit_trip', true), ('private.can_view_trip', true),
  ('private.is_trip_owner', true), ('private.shares_trip_with', true),
  ('private.trip_owner_id', true), ('private.trip_permission', true),
  ('private.caller_email', true), ('private.invitation_json', true), ('private.collaborator_json', true),
  ('private.trip_json', true), ('private.trip_fields', true), ('private.trip_child_columns', true),
  ('private.trip_child_kind', true), ('private.trip_of_child', true),
  ('private.require_trip_edit', true), ('private.check_permission_level', true),
  ('private.memory_exact_max_rows', true), ('private.memory_max_scan_tuples', true),
  ('private.my_memory_counts', true), ('private.my_memory_graph', true),
  ('private.my_keyword_matches', true), ('private.my_reembedding', true),
  ('private.is_anonymous', true), ('private.trip_of_topic', true), ('private.keyword_query', true),
  ('private.with_code_parts', true),
  ('private.invalid', true), ('private.check_one_of', true), ('private.reject_unknown_fields', true),
  ('private.text_field', true), ('private.date_field', true), ('private.number_field', true),
  ('private.object_field', true);

create temporary view actual as
select n.nspname || '.' || p.proname as fn,
       has_function_privilege('anon', p.oid, 'execute') as anon,
       has_function_privilege('authenticated', p.oid, 'execute') as authenticated
  from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
 where n.nspname in ('public', 'private', 'monitoring')
   and not exists (select 1 from pg_catalog.pg_depend d where d.objid = p.oid and d.deptype = 'e');

select is((select array_agg(fn order by fn) from actual where fn not in (select fn from expected)),
  null, 'every function is in the matrix');
select is((select array_agg(fn order by fn) from actual where anon), null, 'anon executes nothing');
select is((select array_agg(a.fn order by a.fn) from actual a join expected e using (fn)
            where a.authenticated <> e.authenticated), null,
  'authenticated executes exactly what the matrix says');
-- Supabase's Security Advisor (lints 0028/0029): a SECURITY DEFINER function in an exposed
-- schema that the API roles can execute runs with its owner's rights from any client.
select is((select array_agg(p.oid::regprocedure::text order by 1)
             from pg_catalog.pg_proc p
            where p.pronamespace = 'public'::regnamespace and p.prosecdef
              and (has_function_privilege('anon', p.oid, 'execute')
                   or has_function_privilege('authenticated', p.oid, 'execute'))),
  null, 'no security definer function in public is executable by anon or authenticated');
-- The attack: a stranger maps a trip id to its owner.
select tests.create_user(u) from unnest(array['exec_owner', 'exec_stranger']) u;
select tests.authenticate_as('exec_owner');
create temporary table t (id bigint) on commit drop;
grant all on t to authenticated;
insert into t select (public.create_trip(
  '{"name":"X","destination":"Y","start_date":"2027-01-01","end_date":"2027-01-02","budget":1}') ->> 'id')::bigint;
select is(private.trip_owner_id((select id from t)), tests.get_user_id('exec_owner'),
  'the owner learns their own trip''s owner');
select tests.authenticate_as('exec_stranger');
select is(private.trip_owner_id((select id from t)), null, 'a stranger learns nothing');

select * from finish();
rollback;
