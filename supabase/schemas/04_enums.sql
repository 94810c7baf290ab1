-- Every enumeration of the data model, defined once. Columns, RPC validators
-- (enum_range) and the Edge Functions' request schemas (the generated `Constants`
-- of database.types.ts) all read these lists, so adding a value is one
-- `alter type ... add value` in a new migration.
create type public.trip_status as enum ('planning', 'booked', 'completed', 'canceled');
comment on type public.trip_status is 'Where a trip is in its life: planning, booked, completed, canceled.';

create type public.trip_type as enum ('leisure', 'business', 'family', 'solo', 'other');
comment on type public.trip_type is 'What kind of trip it is.';

create type public.trip_permission_level as enum ('view', 'edit', 'admin');
comment on type public.trip_permission_level is
  'What a collaborator may do: view (read), edit (also write), admin (also share).';

create type public.booking_status as enum ('viewed', 'saved', 'booked', 'canceled');
comment on type public.booking_status is 'State of a flight, stay or transport offer of a trip.';

create type public.flight_class as enum ('economy', 'premium_economy', 'business', 'first');
comment on type public.flight_class is 'Cabin class of a flight.';

create type public.accommodation_type as enum (
  'hotel', 'apartment', 'hostel', 'resort', 'villa', 'guesthouse', 'other');
comment on type public.accommodation_type is 'Kind of place to stay.';

create type public.transport_type as enum (
  'car_rental', 'train', 'bus', 'ferry', 'taxi', 'transfer', 'other');
comment on type public.transport_type is 'Kind of ground or sea transport.';

create type public.itinerary_item_type as enum (
  'activity', 'meal', 'transport', 'accommodation', 'event', 'free_time', 'other');
comment on type public.itinerary_item_type is 'What an itinerary item is.';

create type public.itinerary_status as enum ('planned', 'booked', 'canceled');
comment on type public.itinerary_status is 'Booking state of an itinerary item.';

create type public.offer_type as enum ('flight', 'accommodation', 'transportation', 'activity');
comment on type public.offer_type is 'Kind of offer a saved option or a price observation is about.';

create type public.upload_status as enum ('uploading', 'completed', 'failed');
comment on type public.upload_status is 'State of a file attachment''s upload to Storage.';

create type public.search_type as enum (
  'flight', 'accommodation', 'activity', 'destination', 'transportation');
comment on type public.search_type is 'What a user searched for.';

create type public.chat_role as enum ('user', 'assistant', 'system', 'tool');
comment on type public.chat_role is 'Who wrote a chat message.';

create type public.memory_content_type as enum (
  'preference', 'fact', 'trip_context', 'conversation', 'note', 'other');
comment on type public.memory_content_type is 'What kind of thing an embedded memory is.';

create type public.api_service as enum (
  'openai', 'anthropic', 'google_maps', 'openweathermap', 'duffel');
comment on type public.api_service is 'Providers a user can store an API key for (BYOK).';
