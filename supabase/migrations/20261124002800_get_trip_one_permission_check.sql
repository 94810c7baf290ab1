-- get_trip checks the caller's permission once, then reads as the function owner.
--
-- It already resolved the caller's level first (private.trip_permission) and
-- answered P0002 when there is none. RLS then re-checked the same thing for every
-- row it read: the trip, each collaborator and profile, flight, stay, itinerary
-- item and the five counted tables, ~11 permission calls per request (~9 us each),
-- plus the policy filters in every plan. With security definer the one explicit
-- check is the authorization: every read below is of that one trip's rows, and the
-- profiles it returns (owner and collaborators) are exactly those the profile
-- policy lets a member of the trip see. get_trip over SQL: 1,424 -> 2,002 calls/s
-- (pgbench, 4 clients, during a concurrent index build; docs/benchmarks.md).
-- It still runs with search_path '' and is not executable by anon or public.

alter function public.get_trip(bigint) security definer;
comment on function public.get_trip(bigint) is
  'GET /trips/:id: the trip with owner, collaborators, flights, accommodations, itinerary and '
  'counts of the other child rows. P0002 when the caller cannot see it. Security definer: the '
  'caller''s permission is checked once, explicitly, before any read.';
