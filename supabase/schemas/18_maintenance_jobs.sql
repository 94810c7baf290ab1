-- Housekeeping jobs, each returning what it did, and their pg_cron schedule
-- (guide's times, UTC). Nothing here needs to run outside a transaction: VACUUM
-- is left to autovacuum; ANALYZE is transaction-safe.
create function public.cleanup_old_price_history(p_keep interval default interval '1 year')
returns integer
language plpgsql
set search_path = ''
as $$
declare
  n integer;
begin
  delete from public.price_history where created_at < now() - p_keep;
  get diagnostics n = row_count;
  return n;
end
$$;
comment on function public.cleanup_old_price_history(interval) is
  'Deletes price observations older than p_keep (default 1 year); returns how many.';
revoke all on function public.cleanup_old_price_history(interval) from public;

create function public.expire_inactive_chat_sessions(p_idle interval default interval '24 hours')
returns integer
language plpgsql
set search_path = ''
as $$
declare
  n integer;
begin
  update public.chat_sessions
     set is_active = false
   where is_active
     and coalesce(last_message_at, updated_at) < now() - p_idle;
  get diagnostics n = row_count;
  return n;
end
$$;
comment on function public.expire_inactive_chat_sessions(interval) is
  'Marks sessions idle for more than p_idle (default 24 h) inactive; returns how many.';
revoke all on function public.expire_inactive_chat_sessions(interval) from public;

create function public.cleanup_old_search_history(p_keep interval default interval '90 days')
returns integer
language plpgsql
set search_path = ''
as $$
declare
  n integer;
begin
  delete from public.search_history where created_at < now() - p_keep;
  get diagnostics n = row_count;
  return n;
end
$$;
comment on function public.cleanup_old_search_history(interval) is
  'Deletes searches older than p_keep (default 90 days); returns how many.';
revoke all on function public.cleanup_old_search_history(interval) from public;

create function public.daily_cleanup_job()
returns jsonb
language plpgsql
set search_path = ''
as $$
begin
  return jsonb_build_object(
    'expired_chat_sessions', public.expire_inactive_chat_sessions(),
    'deleted_search_history', public.cleanup_old_search_history()
  );
end
$$;
comment on function public.daily_cleanup_job() is
  'Daily 02:00 UTC: expires idle chat sessions, prunes old searches. Returns the counts.';
revoke all on function public.daily_cleanup_job() from public;

create function public.weekly_maintenance_job()
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  t text;
  analyzed integer := 0;
  deleted_sessions integer;
begin
  -- Inactive sessions untouched for 90 days are gone for good (messages cascade).
  delete from public.chat_sessions
   where not is_active and updated_at < now() - interval '90 days';
  get diagnostics deleted_sessions = row_count;
  -- Fresh statistics for the tables whose plans matter most.
  foreach t in array array['trips', 'trip_collaborators', 'memory_embeddings', 'chat_messages'] loop
    execute format('analyze public.%I', t);
    analyzed := analyzed + 1;
  end loop;
  return jsonb_build_object('deleted_chat_sessions', deleted_sessions, 'analyzed_tables', analyzed);
end
$$;
comment on function public.weekly_maintenance_job() is
  'Sunday 03:00 UTC: deletes long-inactive chat sessions, refreshes planner statistics.';
revoke all on function public.weekly_maintenance_job() from public;

create function public.monthly_cleanup_job()
returns jsonb
language plpgsql
set search_path = ''
as $$
begin
  return jsonb_build_object('deleted_price_history', public.cleanup_old_price_history());
end
$$;
comment on function public.monthly_cleanup_job() is
  'First of the month 04:00 UTC: deletes price history older than a year.';
revoke all on function public.monthly_cleanup_job() from public;

-- cron.schedule with a job name replaces an existing job of that name: re-runnable.
select cron.schedule('daily-cleanup', '0 2 * * *', 'select public.daily_cleanup_job()');

select cron.schedule('weekly-maintenance', '0 3 * * 0', 'select public.weekly_maintenance_job()');

select cron.schedule('monthly-cleanup', '0 4 1 * *', 'select public.monthly_cleanup_job()');
