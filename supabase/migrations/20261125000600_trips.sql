-- Trips: the core planning object, owned by one user and shareable.

create table public.trips (
  id bigint generated always as identity primary key,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  name text not null check (char_length(btrim(name)) between 1 and 200),
  start_date date not null,
  end_date date not null,
  destination text not null check (char_length(btrim(destination)) between 1 and 200),
  budget numeric(14, 2) not null,
  currency char(3) not null default 'USD' check (currency ~ '^[A-Z]{3}$'),
  travelers integer not null default 1,
  status public.trip_status not null default 'planning',
  trip_type public.trip_type not null default 'leisure',
  flexibility jsonb check (flexibility is null or jsonb_typeof(flexibility) = 'object'),
  description text check (char_length(description) <= 5000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint trips_date_check check (end_date >= start_date),
  constraint trips_travelers_check check (travelers between 1 and 100),
  constraint trips_budget_check check (budget > 0)
);
comment on table public.trips is 'Core trip information and planning details.';
comment on column public.trips.user_id is 'Owner: the only user who may delete the trip or grant admin.';
comment on column public.trips.budget is 'Total budget in currency units; must be positive.';
comment on column public.trips.currency is 'ISO 4217 code of budget.';
comment on column public.trips.flexibility is
  'Flexibility preferences (date ranges, budget flexibility) as a JSON object.';

-- Every query of trips names the owner first; these serve the list's filters and
-- sorts (status/start date) and its keyset pagination (created_at, id).
create index idx_trips_user_status_date on public.trips (user_id, status, start_date);
create index idx_trips_user_created on public.trips (user_id, created_at desc, id desc);
-- Partial index of the guide's "planning workflow": constant predicate, so valid.
create index idx_trips_planning_workflow on public.trips (user_id, status)
  where status in ('planning', 'booked');

create trigger trips_set_updated_at
  before update on public.trips
  for each row execute function private.set_updated_at();

alter table public.trips enable row level security;
grant select, insert, delete on public.trips to authenticated;
-- Ownership never moves: user_id is not updatable by API roles.
grant update (name, start_date, end_date, destination, budget, currency, travelers, status,
              trip_type, flexibility, description) on public.trips to authenticated;
grant all on public.trips to service_role;

create table public.trip_collaborators (
  id bigint generated always as identity primary key,
  trip_id bigint not null references public.trips (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  added_by uuid default auth.uid() references auth.users (id) on delete set null,
  permission_level public.trip_permission_level not null default 'view',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint trip_collaborators_trip_user_key unique (trip_id, user_id)
);
comment on table public.trip_collaborators is
  'Users a trip is shared with, and what they may do: view, edit (also write), admin (also share).';
comment on column public.trip_collaborators.added_by is 'Who shared the trip with this user.';

create index idx_trip_collaborators_user on public.trip_collaborators (user_id, trip_id);

create trigger trip_collaborators_set_updated_at
  before update on public.trip_collaborators
  for each row execute function private.set_updated_at();

alter table public.trip_collaborators enable row level security;
grant select, insert, delete on public.trip_collaborators to authenticated;
grant update (permission_level) on public.trip_collaborators to authenticated;
grant all on public.trip_collaborators to service_role;
