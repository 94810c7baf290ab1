// The embedding model this deployment serves (OPENAI_EMBEDDING_MODEL), registered in
// private.embedding_models before memories are written under it: memory_embeddings.model
// must name a served model, so no client can invent one (migration ..._embedding_models).

import type { PostgresApi } from "./db.ts";
import { MODEL } from "./openai.ts";

let registered: Promise<void> | undefined;

/** Registers MODEL once per process through the admin client; a failure is retried next time. */
export function registerEmbeddingModel(admin: PostgresApi): Promise<void> {
  registered ??= admin.query`
    insert into private.embedding_models (name) values (${MODEL}) on conflict do nothing`
    .then(() => {}, (e) => {
      registered = undefined;
      throw e;
    });
  return registered;
}
