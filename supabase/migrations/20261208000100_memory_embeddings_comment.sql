-- memory_embeddings' comment named the embedding it no longer holds (0.2.0 moved it to
-- public.memory_vectors); the Data API's generated docs show this text.
comment on table public.memory_embeddings is
  'The memories: one row per memory, its text, who wrote it and, once deleted, when (deleted '
  'rows keep their history and can be restored). Its vector is in public.memory_vectors.';
