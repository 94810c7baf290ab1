-- The platform the migrations rely on: roles, auth helpers, extensions.
begin;
select plan(13);

select has_role('anon');
select has_role('authenticated');
select has_role('service_role');
select has_extension('extensions', 'vector', 'pgvector is installed in schema extensions');
select ok(
  string_to_array((select extversion from pg_extension where extname = 'vector'), '.')::int[] >= array[0, 8],
  'pgvector is 0.8 or newer'
);
select has_extension('pg_catalog', 'pg_cron', 'pg_cron is installed');
select has_extension('extensions', 'pg_stat_statements', 'pg_stat_statements is installed');
select has_extension('extensions', 'citext', 'citext is installed');
select has_extension('extensions', 'uuid-ossp', 'uuid-ossp is installed');

select tests.create_user('platform_alice');
select tests.authenticate_as('platform_alice');
select is(auth.uid(), tests.get_user_id('platform_alice'), 'auth.uid() reads request.jwt.claims');
select is(auth.role(), 'authenticated', 'auth.role() reads the role claim');
select is(current_user::text, 'authenticated', 'the session runs as authenticated');
select tests.clear_authentication();
select is(auth.uid(), null, 'no claims, no uid');

select * from finish();
rollback;
