// Re-embedding after a change of OPENAI_EMBEDDING_MODEL (migration ..._memory_reembedding).
// A search that finds the caller has memories of another model records a job; a batch
// runs right after that search and the sweep runs due jobs every minute. Each batch
// embeds up to BATCH memories as their user: the user's key (or the deployment's), one
// request of the user's `embedding` rate limit, and private.reembed_batch stores it.
// Nothing is lost on a failure: what is left is whatever still has another model.

import type { PostgresApi } from "./db.ts";
import type { Keyring } from "./byok_crypto.ts";
import { ApiError } from "./errors.ts";
import { MODEL } from "./openai.ts";
import { openAiKeyFor } from "./byok.ts";
import { embedForUser } from "./cached_embeddings.ts";
import { registerEmbeddingModel } from "./embedding_models.ts";
import { takeRequest } from "./rate_limit.ts";
import { cacheStore } from "./cache.ts";

/** Memories embedded again per batch: one upstream call, one request of the limit. */
export const BATCH = 100;
/** How long a claimed job is its worker's. */
const LEASE = "5 minutes";

export interface BatchResult {
  reembedded: number;
  merged: number;
  pending: number;
}

/** One batch of `userId`'s memories of other models, embedded with MODEL and stored. */
export async function reembedBatch(
  admin: PostgresApi,
  keyring: Keyring,
  userId: string,
): Promise<BatchResult> {
  const rows: { id: string; content_text: string }[] = await admin.query`
    select id, content_text from public.memory_embeddings
     where user_id = ${userId}::uuid and model <> ${MODEL}
     order by id limit ${BATCH}`;
  if (rows.length > 0) {
    // The user's own limit: a re-embedding never takes more than their searches could.
    await takeRequest(await cacheStore(), "memories", "embedding", userId);
  }
  await registerEmbeddingModel(admin);
  const vectors = rows.length > 0
    ? await embedForUser(
      userId,
      () => openAiKeyFor(admin, keyring, userId),
      rows.map((r) => r.content_text),
    )
    : [];
  const [out]: { r: BatchResult }[] = await admin.query`
    select private.reembed_batch(${userId}::uuid, ${MODEL}, ${rows.map((r) => r.id)}::uuid[],
      ${vectors}::extensions.vector[]) as r`;
  return out.r;
}

/** A batch whose failure is recorded on the job (retried later), never thrown. */
async function runRecorded(
  admin: PostgresApi,
  keyring: Keyring,
  userId: string,
): Promise<"done" | "pending" | "failed"> {
  try {
    const r = await reembedBatch(admin, keyring, userId);
    return r.pending === 0 ? "done" : "pending";
  } catch (e) {
    const error = e instanceof ApiError
      ? `${e.code}: ${e.message}`
      : e instanceof Error
      ? `${e.name}: ${e.message}`
      : String(e);
    await admin.query`select private.fail_reembed_job(${userId}::uuid, ${MODEL}, ${error})`;
    console.log(JSON.stringify({ level: "warn", msg: "re-embedding batch failed", error }));
    return "failed";
  }
}

/** After a search that reported memories left: one batch of the caller's, if it is due. */
export async function reembedAfterSearch(
  admin: PostgresApi,
  keyring: Keyring,
  userId: string,
): Promise<void> {
  try {
    const claimed: { user_id: string }[] = await admin.query`
      update private.reembed_jobs
         set next_attempt_at = now() + ${LEASE}::interval, attempts = attempts + 1
       where user_id = ${userId}::uuid and model = ${MODEL} and next_attempt_at <= now()
      returning user_id`;
    if (claimed.length > 0) await runRecorded(admin, keyring, userId);
  } catch (e) {
    // In the background of a search that has answered: logged, and the sweep retries.
    console.log(
      JSON.stringify({ level: "warn", msg: "re-embedding not started", error: String(e) }),
    );
  }
}

export interface ReembedSweep {
  done: number;
  pending: number;
  failed: number;
}

/** The sweep's share: one batch for each of up to `limit` due jobs. */
export async function sweepReembedding(
  admin: PostgresApi,
  keyring: Keyring,
  limit: number,
): Promise<ReembedSweep> {
  const result: ReembedSweep = { done: 0, pending: 0, failed: 0 };
  const due: { user_id: string; model: string }[] = await admin.query`
    select user_id, model from private.claim_reembed_jobs(${limit}::integer, ${LEASE}::interval)`;
  for (const job of due) {
    // A job for another model than this deployment's: left to the functions that embed
    // with it (during a rolling change of OPENAI_EMBEDDING_MODEL, for instance).
    if (job.model !== MODEL) continue;
    result[await runRecorded(admin, keyring, job.user_id)]++;
  }
  return result;
}
