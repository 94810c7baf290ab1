-- Price observations (shared reference data) and each user's search history.
create table public.price_history (
  id bigint generated always as identity primary key,
  entity_type public.offer_type not null,
  entity_ref text not null check (char_length(entity_ref) between 1 and 200),
  price numeric(12, 2) not null check (price >= 0),
  currency char(3) not null default 'USD' check (currency ~ '^[A-Z]{3}$'),
  "timestamp" timestamptz not null default now(),
  metadata jsonb not null default '{}'::jsonb check (jsonb_typeof(metadata) = 'object'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table public.price_history enable row level security;
comment on table public.price_history is
  'Prices observed for offers over time; written by backend jobs, readable by every signed-in user.';
comment on column public.price_history.entity_ref is 'Provider id of the offer (route+date, hotel id...).';
comment on column public.price_history."timestamp" is 'When the price was observed.';
grant select on public.price_history to authenticated;

create index idx_price_history_entity_timestamp
  on public.price_history (entity_type, entity_ref, "timestamp" desc);

-- The guide's partial index used `timestamp > now() - interval '90 days'`, which
-- Postgres rejects (not immutable); an index on the same keys serves that query.
create index idx_price_history_analysis on public.price_history (entity_type, "timestamp" desc);

create index idx_price_history_created on public.price_history (created_at);

create trigger price_history_set_updated_at before update on public.price_history
  for each row execute function private.set_updated_at();

create policy "price_history: read when signed in" on public.price_history
  for select to authenticated using (true);

create table public.search_history (
  id bigint generated always as identity primary key,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  search_type public.search_type not null,
  search_params jsonb not null check (jsonb_typeof(search_params) = 'object'),
  results_count integer not null default 0 check (results_count >= 0),
  created_at timestamptz not null default now()
);
alter table public.search_history enable row level security;
comment on table public.search_history is 'Searches a user ran, for suggestions; strictly private.';
comment on column public.search_history.search_params is 'The search as submitted (JSON object).';
grant select, insert, delete on public.search_history to authenticated;

create trigger search_history_set_provenance
  before insert or update on public.search_history
  for each row execute function private.set_provenance();
comment on trigger search_history_set_provenance on public.search_history is
  'created_at and the author column are set by the database for API roles (private.set_provenance).';

create index idx_search_history_user_type_date
  on public.search_history (user_id, search_type, created_at desc);

create index idx_search_history_created on public.search_history (created_at);

create policy "search_history: own rows" on public.search_history
  for all to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));
