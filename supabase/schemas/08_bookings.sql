-- Bookings of a trip: flights, accommodations, ground transportation.
create table public.flights (
  id bigint generated always as identity primary key,
  trip_id bigint not null references public.trips (id) on delete cascade,
  origin text not null check (origin ~ '^[A-Z]{3}$'),
  destination text not null check (destination ~ '^[A-Z]{3}$'),
  airline text check (char_length(airline) <= 100),
  flight_number text check (flight_number ~ '^[A-Z0-9]{2,3}[0-9]{1,4}[A-Z]?$'),
  departure_time timestamptz not null,
  arrival_time timestamptz not null,
  flight_class public.flight_class not null default 'economy',
  price numeric(12, 2) not null check (price >= 0),
  currency char(3) not null default 'USD' check (currency ~ '^[A-Z]{3}$'),
  booking_status public.booking_status not null default 'viewed',
  booking_reference text check (char_length(booking_reference) <= 100),
  metadata jsonb not null default '{}'::jsonb check (jsonb_typeof(metadata) = 'object'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint flights_arrival_after_departure check (arrival_time > departure_time),
  constraint flights_route_check check (origin <> destination)
);
comment on table public.flights is 'Flights found, saved or booked for a trip.';
comment on column public.flights.origin is 'IATA airport code of departure (3 capital letters).';
comment on column public.flights.destination is 'IATA airport code of arrival.';
comment on column public.flights.flight_number is 'Carrier designator plus number, e.g. NH106.';
comment on column public.flights.price is 'Total price in currency units, never negative.';
comment on column public.flights.metadata is 'Provider payload kept for display (JSON object).';

create trigger flights_set_provenance
  before insert or update on public.flights
  for each row execute function private.set_provenance();
comment on trigger flights_set_provenance on public.flights is
  'created_at and the author column are set by the database for API roles (private.set_provenance).';
create trigger flights_limit
  after insert on public.flights referencing new table as new_rows
  for each statement execute function private.enforce_limit('trip_id', '500', '');
comment on trigger flights_limit on public.flights is 'At most 500 rows per trip_id (private.enforce_limit).';

create index idx_flights_trip_departure on public.flights (trip_id, departure_time);

create trigger flights_set_updated_at before update on public.flights
  for each row execute function private.set_updated_at();

select private.apply_trip_child_policies('public.flights');

create table public.accommodations (
  id bigint generated always as identity primary key,
  trip_id bigint not null references public.trips (id) on delete cascade,
  name text not null check (char_length(btrim(name)) between 1 and 200),
  accommodation_type public.accommodation_type not null default 'hotel',
  address text check (char_length(address) <= 500),
  check_in_date date not null,
  check_out_date date not null,
  price_per_night numeric(12, 2) check (price_per_night >= 0),
  total_price numeric(12, 2) not null check (total_price >= 0),
  currency char(3) not null default 'USD' check (currency ~ '^[A-Z]{3}$'),
  rating numeric(2, 1) check (rating between 0 and 5),
  amenities text[] not null default '{}' check (cardinality(amenities) <= 100),
  booking_status public.booking_status not null default 'viewed',
  booking_reference text check (char_length(booking_reference) <= 100),
  metadata jsonb not null default '{}'::jsonb check (jsonb_typeof(metadata) = 'object'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint accommodations_checkout_after_checkin check (check_out_date > check_in_date)
);
comment on table public.accommodations is 'Places to stay found, saved or booked for a trip.';
comment on column public.accommodations.rating is 'Guest rating from 0 to 5, one decimal.';
comment on column public.accommodations.total_price is 'Price of the whole stay, never negative.';

create trigger accommodations_set_provenance
  before insert or update on public.accommodations
  for each row execute function private.set_provenance();
comment on trigger accommodations_set_provenance on public.accommodations is
  'created_at and the author column are set by the database for API roles (private.set_provenance).';
create trigger accommodations_limit
  after insert on public.accommodations referencing new table as new_rows
  for each statement execute function private.enforce_limit('trip_id', '500', '');
comment on trigger accommodations_limit on public.accommodations is 'At most 500 rows per trip_id (private.enforce_limit).';

create index idx_accommodations_trip_checkin on public.accommodations (trip_id, check_in_date);

create trigger accommodations_set_updated_at before update on public.accommodations
  for each row execute function private.set_updated_at();

select private.apply_trip_child_policies('public.accommodations');

create table public.transportation (
  id bigint generated always as identity primary key,
  trip_id bigint not null references public.trips (id) on delete cascade,
  transport_type public.transport_type not null,
  provider text check (char_length(provider) <= 100),
  origin text not null check (char_length(btrim(origin)) between 1 and 200),
  destination text not null check (char_length(btrim(destination)) between 1 and 200),
  departure_time timestamptz not null,
  arrival_time timestamptz,
  price numeric(12, 2) not null default 0 check (price >= 0),
  currency char(3) not null default 'USD' check (currency ~ '^[A-Z]{3}$'),
  booking_status public.booking_status not null default 'viewed',
  booking_reference text check (char_length(booking_reference) <= 100),
  notes text check (char_length(notes) <= 2000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint transportation_arrival_after_departure
    check (arrival_time is null or arrival_time >= departure_time)
);
comment on table public.transportation is 'Ground and sea transport of a trip: rentals, trains, transfers.';

create trigger transportation_set_provenance
  before insert or update on public.transportation
  for each row execute function private.set_provenance();
comment on trigger transportation_set_provenance on public.transportation is
  'created_at and the author column are set by the database for API roles (private.set_provenance).';
create trigger transportation_limit
  after insert on public.transportation referencing new table as new_rows
  for each statement execute function private.enforce_limit('trip_id', '500', '');
comment on trigger transportation_limit on public.transportation is 'At most 500 rows per trip_id (private.enforce_limit).';

create index idx_transportation_trip_departure on public.transportation (trip_id, departure_time);

create trigger transportation_set_updated_at before update on public.transportation
  for each row execute function private.set_updated_at();

select private.apply_trip_child_policies('public.transportation');
