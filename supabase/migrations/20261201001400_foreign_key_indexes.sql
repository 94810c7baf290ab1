-- Every foreign key has an index that covers it (Supabase's advisor lint 0001): without
-- one, deleting a user or a trip scans the referencing table for the rows to cascade to
-- or check. Six were missing; pgTAP 115 fails on any new one.

create index idx_chat_sessions_trip_id on public.chat_sessions (trip_id);
comment on index public.idx_chat_sessions_trip_id is 'Foreign key: deleting a trip finds its chat sessions.';

create index idx_file_attachments_user_id on public.file_attachments (user_id);
comment on index public.idx_file_attachments_user_id is 'Foreign key: deleting a user finds their attachments.';

create index idx_saved_options_user_id on public.saved_options (user_id);
comment on index public.idx_saved_options_user_id is 'Foreign key: deleting a user finds their saved options.';

create index idx_trip_collaborators_added_by on public.trip_collaborators (added_by);
comment on index public.idx_trip_collaborators_added_by is
  'Foreign key: deleting a user finds the memberships they granted.';

create index idx_trip_comparisons_user_id on public.trip_comparisons (user_id);
comment on index public.idx_trip_comparisons_user_id is 'Foreign key: deleting a user finds their comparisons.';

create index idx_trip_notes_user_id on public.trip_notes (user_id);
comment on index public.idx_trip_notes_user_id is 'Foreign key: deleting a user finds their notes.';
