-- Planning content of a trip: itinerary, notes, saved options, comparisons and
-- file attachments. Same access rule as bookings (see apply_trip_child_policies).
create table public.itinerary_items (
  id bigint generated always as identity primary key,
  trip_id bigint not null references public.trips (id) on delete cascade,
  title text not null check (char_length(btrim(title)) between 1 and 200),
  description text check (char_length(description) <= 5000),
  item_type public.itinerary_item_type not null default 'activity',
  item_date date not null,
  start_time time,
  end_time time,
  location text check (char_length(location) <= 500),
  price numeric(12, 2) not null default 0 check (price >= 0),
  currency char(3) not null default 'USD' check (currency ~ '^[A-Z]{3}$'),
  booking_status public.itinerary_status not null default 'planned',
  sort_order integer not null default 0 check (sort_order between 0 and 10000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint itinerary_items_end_after_start
    check (end_time is null or start_time is null or end_time >= start_time)
);
comment on table public.itinerary_items is 'Day-by-day plan of a trip: activities, meals, events.';
comment on column public.itinerary_items.sort_order is 'Position among the items of the same day.';

create trigger itinerary_items_set_provenance
  before insert or update on public.itinerary_items
  for each row execute function private.set_provenance();
comment on trigger itinerary_items_set_provenance on public.itinerary_items is
  'created_at and the author column are set by the database for API roles (private.set_provenance).';
create trigger itinerary_items_limit
  after insert on public.itinerary_items referencing new table as new_rows
  for each statement execute function private.enforce_limit('trip_id', '500', '');
comment on trigger itinerary_items_limit on public.itinerary_items is 'At most 500 rows per trip_id (private.enforce_limit).';

create index idx_itinerary_items_trip_date on public.itinerary_items (trip_id, item_date, sort_order);

create trigger itinerary_items_set_updated_at before update on public.itinerary_items
  for each row execute function private.set_updated_at();

select private.apply_trip_child_policies('public.itinerary_items');

create table public.trip_notes (
  id bigint generated always as identity primary key,
  trip_id bigint not null references public.trips (id) on delete cascade,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  content text not null check (char_length(btrim(content)) between 1 and 10000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.trip_notes is 'Free-text notes on a trip by its owner or collaborators.';
comment on column public.trip_notes.user_id is 'Author of the note.';

create trigger trip_notes_set_provenance
  before insert or update on public.trip_notes
  for each row execute function private.set_provenance('user_id');
comment on trigger trip_notes_set_provenance on public.trip_notes is
  'created_at and the author column are set by the database for API roles (private.set_provenance).';
create trigger trip_notes_limit
  after insert on public.trip_notes referencing new table as new_rows
  for each statement execute function private.enforce_limit('trip_id', '500', '');
comment on trigger trip_notes_limit on public.trip_notes is 'At most 500 rows per trip_id (private.enforce_limit).';

create index idx_trip_notes_user_id on public.trip_notes (user_id);
comment on index public.idx_trip_notes_user_id is 'Foreign key: deleting a user finds their notes.';

create index idx_trip_notes_trip on public.trip_notes (trip_id, created_at);

create trigger trip_notes_set_updated_at before update on public.trip_notes
  for each row execute function private.set_updated_at();

select private.apply_trip_child_policies('public.trip_notes');

create table public.saved_options (
  id bigint generated always as identity primary key,
  trip_id bigint not null references public.trips (id) on delete cascade,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  option_type public.offer_type not null,
  option_data jsonb not null check (jsonb_typeof(option_data) = 'object'),
  price numeric(12, 2) check (price >= 0),
  currency char(3) check (currency ~ '^[A-Z]{3}$'),
  notes text check (char_length(notes) <= 2000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.saved_options is 'Search results kept for later consideration on a trip.';
comment on column public.saved_options.option_data is 'The provider offer as returned by search (JSON object).';

create trigger saved_options_set_provenance
  before insert or update on public.saved_options
  for each row execute function private.set_provenance('user_id');
comment on trigger saved_options_set_provenance on public.saved_options is
  'created_at and the author column are set by the database for API roles (private.set_provenance).';
create trigger saved_options_limit
  after insert on public.saved_options referencing new table as new_rows
  for each statement execute function private.enforce_limit('trip_id', '500', '');
comment on trigger saved_options_limit on public.saved_options is 'At most 500 rows per trip_id (private.enforce_limit).';

create index idx_saved_options_user_id on public.saved_options (user_id);
comment on index public.idx_saved_options_user_id is 'Foreign key: deleting a user finds their saved options.';

create index idx_saved_options_trip_type on public.saved_options (trip_id, option_type);

create trigger saved_options_set_updated_at before update on public.saved_options
  for each row execute function private.set_updated_at();

select private.apply_trip_child_policies('public.saved_options');

create table public.trip_comparisons (
  id bigint generated always as identity primary key,
  trip_id bigint not null references public.trips (id) on delete cascade,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  name text not null default 'comparison' check (char_length(btrim(name)) between 1 and 200),
  comparison_json jsonb not null check (jsonb_typeof(comparison_json) = 'object'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.trip_comparisons is 'Side-by-side comparisons of options for a trip.';
comment on column public.trip_comparisons.comparison_json is 'Compared options and criteria (JSON object).';

create trigger trip_comparisons_set_provenance
  before insert or update on public.trip_comparisons
  for each row execute function private.set_provenance('user_id');
comment on trigger trip_comparisons_set_provenance on public.trip_comparisons is
  'created_at and the author column are set by the database for API roles (private.set_provenance).';
create trigger trip_comparisons_limit
  after insert on public.trip_comparisons referencing new table as new_rows
  for each statement execute function private.enforce_limit('trip_id', '500', '');
comment on trigger trip_comparisons_limit on public.trip_comparisons is 'At most 500 rows per trip_id (private.enforce_limit).';

create index idx_trip_comparisons_user_id on public.trip_comparisons (user_id);
comment on index public.idx_trip_comparisons_user_id is 'Foreign key: deleting a user finds their comparisons.';

create index idx_trip_comparisons_trip on public.trip_comparisons (trip_id);

create trigger trip_comparisons_set_updated_at before update on public.trip_comparisons
  for each row execute function private.set_updated_at();

select private.apply_trip_child_policies('public.trip_comparisons');

create table public.file_attachments (
  id bigint generated always as identity primary key,
  trip_id bigint not null references public.trips (id) on delete cascade,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  file_name text not null check (char_length(btrim(file_name)) between 1 and 255),
  mime_type text not null check (mime_type ~ '^[a-z]+/[A-Za-z0-9.+-]+$'),
  file_size bigint not null check (file_size between 1 and 52428800),
  storage_path text not null check (char_length(storage_path) between 1 and 1024),
  upload_status public.upload_status not null default 'uploading',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint file_attachments_storage_path_key unique (storage_path)
);
-- Not valid: rows written before the rule (any path) are kept; every new or changed row
-- is checked.
alter table public.file_attachments
  add constraint file_attachments_storage_path_owner
  check (split_part(storage_path, '/', 1) = user_id::text) not valid;
comment on table public.file_attachments is
  'Files attached to a trip (tickets, confirmations); the bytes live in Storage at storage_path.';
comment on column public.file_attachments.file_size is 'Size in bytes, 1 byte to 50 MiB.';

create trigger file_attachments_set_provenance
  before insert or update on public.file_attachments
  for each row execute function private.set_provenance('user_id');
comment on trigger file_attachments_set_provenance on public.file_attachments is
  'created_at and the author column are set by the database for API roles (private.set_provenance).';
create trigger file_attachments_limit
  after insert on public.file_attachments referencing new table as new_rows
  for each statement execute function private.enforce_limit('trip_id', '500', '');
comment on trigger file_attachments_limit on public.file_attachments is 'At most 500 rows per trip_id (private.enforce_limit).';

create index idx_file_attachments_user_id on public.file_attachments (user_id);
comment on index public.idx_file_attachments_user_id is 'Foreign key: deleting a user finds their attachments.';

create index idx_file_attachments_trip on public.file_attachments (trip_id);

create trigger file_attachments_set_updated_at before update on public.file_attachments
  for each row execute function private.set_updated_at();

select private.apply_trip_child_policies('public.file_attachments');

comment on constraint file_attachments_storage_path_owner on public.file_attachments is
  'storage_path starts with the uploader''s user id: <user_id>/...';
