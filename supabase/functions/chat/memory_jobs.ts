// Learning from chat turns. A completed turn of a session that remembers commits a job
// row (private.memory_jobs) together with the reply; the function then runs the memory
// pipeline on it in the background. Whatever did not finish (the isolate was stopped,
// the model failed) is picked up by the sweep (POST /chat/admin/sweep, every minute):
// claims lapse after JOB_LEASE, failures retry with backoff, five attempts in all.

import type { PostgresApi } from "../_shared/db.ts";
import type { Keyring } from "../_shared/byok_crypto.ts";
import { ApiError } from "../_shared/errors.ts";
import { inferMemories } from "../_shared/memory_pipeline.ts";
import { registerEmbeddingModel } from "../_shared/embedding_models.ts";
import { type OpenAiKey, openAiKeyFor } from "../_shared/byok.ts";
import { type ReembedSweep, sweepReembedding } from "../_shared/reembedding.ts";

/** How long a claimed job is a worker's before the sweep may take it again. */
const JOB_LEASE = "5 minutes";

export interface MemoryJob {
  id: number;
  user_id: string;
  session_id: string;
  user_message_id: number;
  assistant_message_id: number;
  attempts: number;
}

async function claim(
  admin: PostgresApi,
  job: number | null,
  limit: number,
): Promise<MemoryJob[]> {
  return await admin.query<MemoryJob>`
    select id, user_id, session_id, user_message_id, assistant_message_id, attempts
      from private.claim_memory_jobs(${job}::bigint, ${limit}::integer, ${JOB_LEASE}::interval)`;
}

/** Runs one claimed job as its user; the outcome is recorded, never thrown. */
async function run(
  admin: PostgresApi,
  db: PostgresApi,
  key: OpenAiKey | (() => Promise<OpenAiKey>),
  job: MemoryJob,
): Promise<"done" | "pending" | "failed"> {
  let ok = false;
  let error: string | null = null;
  let usage: unknown = null;
  try {
    const turns: { role: "user" | "assistant"; content: string }[] = await admin
      .query`
      select role::text as role, content from public.chat_messages
       where id in (${job.user_message_id}::bigint, ${job.assistant_message_id}::bigint)
       order by id`;
    await registerEmbeddingModel(admin);
    const out = await inferMemories(
      db,
      job.user_id,
      typeof key === "function" ? await key() : key,
      turns,
      {
        source: { session_id: job.session_id, message_id: job.user_message_id },
      },
    );
    usage = out.usage;
    ok = true;
  } catch (e) {
    error = e instanceof ApiError
      ? `${e.code}: ${e.message}`
      : e instanceof Error
      ? `${e.name}: ${e.message}`
      : String(e);
  }
  const [row]: { status: "done" | "pending" | "failed" }[] = await admin.query`
    select private.finish_memory_job(${job.id}::bigint, ${ok}, ${error},
      ${usage === null ? null : JSON.stringify(usage)}::jsonb) as status`;
  console.log(JSON.stringify({
    level: ok ? "info" : "warn",
    msg: "memory job",
    job: job.id,
    attempt: job.attempts,
    status: row?.status,
    ...(error ? { error } : {}),
  }));
  return row?.status ?? "failed";
}

/** Right after a turn, in the caller's request: the job it just committed. */
export async function runJobNow(
  admin: PostgresApi,
  db: PostgresApi,
  key: OpenAiKey,
  jobId: number,
): Promise<void> {
  const [job] = await claim(admin, jobId, 1);
  if (job) await run(admin, db, key, job);
}

export interface SweepResult {
  replies_closed: number;
  jobs: { done: number; pending: number; failed: number };
  /** Memories of another embedding model, embedded again (_shared/reembedding.ts). */
  reembedding: ReembedSweep;
}

/**
 * The sweep: replies left streaming by a function that died become errors, and due
 * jobs run, one at a time, as their users with their users' keys.
 */
export async function sweep(
  admin: PostgresApi,
  asUser: (userId: string) => PostgresApi,
  keyring: Keyring,
  opts: { limit: number; staleAfter: string },
): Promise<SweepResult> {
  const [closed]: { n: number }[] = await admin.query`
    select private.close_interrupted_replies(${opts.staleAfter}::interval) as n`;
  const result: SweepResult = {
    replies_closed: closed.n,
    jobs: { done: 0, pending: 0, failed: 0 },
    reembedding: { done: 0, pending: 0, failed: 0 },
  };
  for (const job of await claim(admin, null, opts.limit)) {
    const key = () => openAiKeyFor(admin, keyring, job.user_id);
    result.jobs[await run(admin, asUser(job.user_id), key, job)]++;
  }
  result.reembedding = await sweepReembedding(admin, keyring, opts.limit);
  return result;
}
