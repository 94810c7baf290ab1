-- Chat turns (migration ..._chat_turns) and memory versions (..._memory_versions), in
-- SQL: a turn starts only in the user's own active session, once per client message
-- id, one at a time; a finished reply commits its memory job with it, only when it is
-- complete and the session remembers; jobs are claimed once, and again after their
-- lease lapses; every change of a user's memories moves that user's version alone.
begin;
select plan(25);

select tests.create_user('turn_owner');
select tests.create_user('turn_other');
insert into public.chat_sessions (id, user_id)
values ('00000000-0000-4000-8000-0000000000d1', tests.get_user_id('turn_owner')),
       ('00000000-0000-4000-8000-0000000000d2', tests.get_user_id('turn_owner'));
update public.chat_sessions set remember = false where id = '00000000-0000-4000-8000-0000000000d2';

create temporary table turn (k text primary key, v jsonb) on commit drop;

-- Starting turns.
select throws_ok($$ select private.chat_begin_turn(tests.get_user_id('turn_other'),
  '00000000-0000-4000-8000-0000000000d1', 'hi', null, 'm', '3 minutes') $$,
  'P0002', 'chat session not found', 'another user''s session is not found');
insert into turn select 'first', private.chat_begin_turn(tests.get_user_id('turn_owner'),
  '00000000-0000-4000-8000-0000000000d1', 'hello', 'c-1', 'm', '3 minutes');
select is((select v->>'state' from turn where k = 'first'), 'started', 'a turn starts');
select is((select count(*)::int from public.chat_messages
            where session_id = '00000000-0000-4000-8000-0000000000d1'), 2,
          'the user message and an empty reply are stored');
select is((select status::text from public.chat_messages
            where id = (select (v->>'assistant_message_id')::bigint from turn where k = 'first')),
          'streaming', 'the reply is streaming');
select is(private.chat_begin_turn(tests.get_user_id('turn_owner'),
  '00000000-0000-4000-8000-0000000000d1', 'again', null, 'm', '3 minutes')->>'state', 'busy',
  'no second turn while a reply streams');
select is(private.chat_begin_turn(tests.get_user_id('turn_owner'),
  '00000000-0000-4000-8000-0000000000d1', 'hello', 'c-1', 'm', '3 minutes')->>'state', 'repeat',
  'the same client message id is the same turn');

-- Finishing it.
select is(private.chat_finish_turn(tests.get_user_id('turn_other'),
  (select (v->>'assistant_message_id')::bigint from turn where k = 'first'), 'forged', 'complete',
  'stop', null), null, 'another user cannot finish the reply');
select isnt(private.chat_finish_turn(tests.get_user_id('turn_owner'),
  (select (v->>'assistant_message_id')::bigint from turn where k = 'first'), 'Hi there', 'complete',
  'stop', '{"prompt_tokens": 3, "completion_tokens": 2}'), null,
  'a complete reply in a remembering session commits a memory job');
select is((select content from public.chat_messages
            where id = (select (v->>'assistant_message_id')::bigint from turn where k = 'first')),
          'Hi there', 'with its text');
select is(private.chat_finish_turn(tests.get_user_id('turn_owner'),
  (select (v->>'assistant_message_id')::bigint from turn where k = 'first'), 'twice', 'complete',
  'stop', null), null, 'a finished reply is not finished again');

insert into turn select 'quiet', private.chat_begin_turn(tests.get_user_id('turn_owner'),
  '00000000-0000-4000-8000-0000000000d2', 'hello', null, 'm', '3 minutes');
select is(private.chat_finish_turn(tests.get_user_id('turn_owner'),
  (select (v->>'assistant_message_id')::bigint from turn where k = 'quiet'), 'ok', 'complete',
  'stop', null), null, 'a session that does not remember gets no job');
insert into turn select 'cut', private.chat_begin_turn(tests.get_user_id('turn_owner'),
  '00000000-0000-4000-8000-0000000000d1', 'more', null, 'm', '3 minutes');
select is(private.chat_finish_turn(tests.get_user_id('turn_owner'),
  (select (v->>'assistant_message_id')::bigint from turn where k = 'cut'), 'par', 'aborted',
  'aborted', null), null, 'an aborted reply gets no job');

-- Expired sessions refuse turns.
update public.chat_sessions set is_active = false where id = '00000000-0000-4000-8000-0000000000d1';
select is(private.chat_begin_turn(tests.get_user_id('turn_owner'),
  '00000000-0000-4000-8000-0000000000d1', 'late', null, 'm', '3 minutes')->>'state', 'expired',
  'an expired session refuses a new turn');

-- Jobs: claimed once; again once the lease lapsed; finished with backoff. (Only this
-- test's job: others a database may hold are set aside, inside this transaction.)
delete from private.memory_jobs where user_id <> tests.get_user_id('turn_owner');
select is((select count(*)::int from private.claim_memory_jobs(null, 10, '5 minutes')), 1,
          'the due job is claimed');
select is((select count(*)::int from private.claim_memory_jobs(null, 10, '5 minutes')), 0,
          'a claimed job is not claimed twice');
update private.memory_jobs set locked_until = now() - interval '1 second';
select is((select attempts from private.claim_memory_jobs(null, 10, '5 minutes')), 2,
          'a lapsed claim is taken again, a second attempt');
select is(private.finish_memory_job((select id from private.memory_jobs), false, 'boom', null)::text,
          'pending', 'a failed attempt goes back to pending');
select ok((select next_attempt_at > now() + interval '3 minutes' from private.memory_jobs),
          'after a backoff');

-- Memory versions.
select is(private.memory_version(tests.get_user_id('turn_owner')), 0::bigint, 'no change yet: 0');
insert into public.memory_embeddings (user_id, content_text, content_type)
select tests.get_user_id('turn_owner'), 'm' || i, 'note' from generate_series(1, 3) i;
select is(private.memory_version(tests.get_user_id('turn_owner')), 1::bigint,
          'one statement, one version');
update public.memory_embeddings set deleted_at = now()
 where user_id = tests.get_user_id('turn_owner') and content_text = 'm1';
delete from public.memory_embeddings where user_id = tests.get_user_id('turn_owner') and content_text = 'm2';
select is(private.memory_version(tests.get_user_id('turn_owner')), 3::bigint,
          'updates and deletes move it too');
select is(private.memory_version(tests.get_user_id('turn_other')), 0::bigint,
          'another user''s version does not move');
-- Counts per user and model (the ANN sync's registration): 3 inserted, 1 deleted.
select is((select n from private.memory_counts
            where user_id = tests.get_user_id('turn_owner') and model = 'text-embedding-3-small'),
          2::bigint, 'the count follows inserts and deletes');
select is((select count(*)::int from private.memory_counts
            where user_id = tests.get_user_id('turn_other')), 0, 'no count for a user with none');

-- Deleting a user deletes their memories by cascade; no version is kept for them.
select lives_ok($$ delete from auth.users where id = tests.get_user_id('turn_owner') $$,
  'a user with memories, chats and jobs can be deleted');

select * from finish();
rollback;
