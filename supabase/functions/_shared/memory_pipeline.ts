// Memory that learns (docs/memory.md): from a conversation to ADD/UPDATE/DELETE/NONE
// on the user's memories, in five steps: extract facts (LLM), drop facts already stored
// word for word (hash, no LLM), find each fact's nearest memories of this user only,
// decide per fact (LLM, ids shown as small integers and mapped back), and apply it all
// in one transaction under a per-user lock (public.apply_memory_decisions). Used by the
// memories function and by chat.

import type { PostgresApi } from "./db.ts";
import {
  decisionPrompt,
  type Event,
  EVENTS,
  extractionPrompt,
  MAX_FACT_CHARS,
  MAX_FACTS,
  type Turn,
} from "./memory_prompts.ts";
import { completeJson, MODEL, noUsage, type OpenAiKey, type Usage } from "./openai.ts";
import { embedForUser } from "./cached_embeddings.ts";
import { sha256Hex } from "./sha256.ts";

export type { Turn };

/** Nearest memories shown to the decision per fact. */
const CANDIDATES_PER_FACT = 5;
/** Below this cosine similarity a memory is not about the same thing. */
const CANDIDATE_MIN_SIMILARITY = 0.2;

export interface MemoryResult {
  id: string;
  memory: string;
  event: Event;
  previous_memory?: string;
}

export interface InferResult {
  results: MemoryResult[];
  usage: { llm: Usage; embeddings: Usage };
}

export interface Source {
  session_id?: string;
  message_id?: number;
}

interface Candidate {
  id: string;
  text: string;
  source: "user" | "extractor";
}

type Op =
  | { event: "ADD"; text: string; embedding: number }
  | { event: "UPDATE"; memory_id: string; text: string; embedding: number }
  | { event: "DELETE"; memory_id: string };

/** The model's facts as we keep them: strings, trimmed, bounded, each once. */
export function cleanFacts(answer: Record<string, unknown> | null): string[] {
  const raw = Array.isArray(answer?.facts) ? answer.facts : [];
  const seen = new Set<string>();
  const facts: string[] = [];
  for (const f of raw) {
    if (typeof f !== "string") continue;
    const text = f.replace(/\s+/g, " ").trim().replace(/\.$/, "");
    if (!text || text.length > MAX_FACT_CHARS || seen.has(text.toLowerCase())) continue;
    seen.add(text.toLowerCase());
    facts.push(text);
    if (facts.length === MAX_FACTS) break;
  }
  return facts;
}

/**
 * The decision's answer as operations we can trust, and the facts it judged known.
 * Every fact ends in exactly one outcome: a fact the model skipped, or whose operation
 * names a memory it was not shown or that its user wrote, is added rather than lost;
 * a DELETE also adds its fact, so a contradiction never leaves nothing. The model
 * refers to facts by number, so no text of its own can be stored.
 */
export function decisionsToOps(
  answer: Record<string, unknown> | null,
  facts: string[],
  candidates: Candidate[],
): { ops: Op[]; known: MemoryResult[] } {
  const outcome = new Map<number, { event: Event; memory?: Candidate }>();
  const touched = new Set<string>();
  const decisions = Array.isArray(answer?.decisions) ? answer.decisions : [];
  for (const d of decisions) {
    if (typeof d !== "object" || d === null) continue;
    const { fact, event, memory } = d as Record<string, unknown>;
    if (!Number.isInteger(fact) || (fact as number) < 0 || (fact as number) >= facts.length) {
      continue;
    }
    if (outcome.has(fact as number) || !EVENTS.includes(event as Event)) continue;
    const target = Number.isInteger(memory) ? candidates[memory as number] : undefined;
    if (event === "NONE" && !target) {
      outcome.set(fact as number, { event: "ADD" }); // "known" needs a memory that says it
      continue;
    }
    if (event === "UPDATE" || event === "DELETE") {
      // Unknown or invented ids, memories the user wrote, a memory already changed
      // by another decision: the fact is kept as a memory of its own.
      if (!target || target.source !== "extractor" || touched.has(target.id)) {
        outcome.set(fact as number, { event: "ADD" });
        continue;
      }
      touched.add(target.id);
    }
    outcome.set(fact as number, { event: event as Event, memory: target });
  }
  const ops: Op[] = [];
  const known: MemoryResult[] = [];
  facts.forEach((text, i) => {
    const o = outcome.get(i) ?? { event: "ADD" as const };
    if (o.event === "NONE") {
      known.push({ id: o.memory!.id, memory: o.memory!.text, event: "NONE" });
    } else if (o.event === "UPDATE") {
      ops.push({ event: "UPDATE", memory_id: o.memory!.id, text, embedding: i });
    } else if (o.event === "DELETE") {
      ops.push({ event: "DELETE", memory_id: o.memory!.id });
      ops.push({ event: "ADD", text, embedding: i });
    } else ops.push({ event: "ADD", text, embedding: i });
  });
  return { ops, known };
}

const PREFERENCE = /^(prefers|likes|loves|dislikes|hates|enjoys|avoids|wants|would like)\b/i;

/**
 * Runs the pipeline for `userId`, the signed-in user of `db` (an RLS-scoped client:
 * every read and write is that user's alone), with `key` for the model calls.
 */
export async function inferMemories(
  db: PostgresApi,
  userId: string,
  key: OpenAiKey,
  turns: Turn[],
  opts: { metadata?: Record<string, unknown>; source?: Source; today?: string } = {},
): Promise<InferResult> {
  const usage = { llm: noUsage(), embeddings: noUsage() };
  const today = opts.today ?? new Date().toISOString().slice(0, 10);
  if (!turns.some((t) => t.role === "user")) return { results: [], usage };

  // 1. Facts.
  const facts = cleanFacts(await completeJson(key, extractionPrompt(turns, today), usage.llm));
  if (facts.length === 0) return { results: [], usage };

  // 2. Facts stored word for word already: NONE, before any further model work.
  const hashes = await Promise.all(facts.map(sha256Hex));
  const stored: { id: string; content_text: string; content_hash: string }[] = await db.query`
    select id, content_text, content_hash from public.memory_embeddings
     where user_id = auth.uid() and model = ${MODEL} and deleted_at is null
       and content_hash = any(${hashes}::text[])`;
  const byHash = new Map(stored.map((r) => [r.content_hash, r]));
  const results: MemoryResult[] = [];
  const fresh: string[] = [];
  facts.forEach((f, i) => {
    const hit = byHash.get(hashes[i]);
    if (hit) results.push({ id: hit.id, memory: hit.content_text, event: "NONE" });
    else fresh.push(f);
  });
  if (fresh.length === 0) return { results, usage };

  // 3. Each fact's nearest active memories, of this user only (RLS and the query both
  //    say so), exact recall as in search.
  const vectors = await embedForUser(userId, key, fresh, usage.embeddings);
  // Most similar first, so the numbers the model sees follow relevance.
  const near: Candidate[] = await db.query`
    select m.id, min(m.content) as text, min(e.source::text) as source
      from unnest(${vectors}::extensions.vector[]) as f(v),
           lateral public.match_memories(f.v, ${CANDIDATES_PER_FACT}, ${CANDIDATE_MIN_SIMILARITY}::float8,
                                         null, null, ${MODEL}) m
      join public.memory_embeddings e on e.id = m.id
     where e.user_id = auth.uid()
     group by m.id
     order by max(m.similarity) desc, m.id`;

  // 4. The decision, only when there is something to decide against.
  const answer = near.length === 0
    ? null
    : await completeJson(key, decisionPrompt(near.map((c) => c.text), fresh), usage.llm);
  const { ops, known } = decisionsToOps(answer, fresh, near);
  results.push(...known);

  // 5. Applied together, re-checked under the user's lock.
  const metadata = opts.metadata ?? {};
  const payload = ops.map((op) =>
    op.event === "DELETE" ? op : {
      ...op,
      content_type: PREFERENCE.test(op.text) ? "preference" : "fact",
      metadata,
    }
  );
  const [row]: { r: MemoryResult[] }[] = await db.query`
    select public.apply_memory_decisions(${MODEL}, ${JSON.stringify(payload)}::jsonb,
      ${vectors}::extensions.vector[], ${JSON.stringify(opts.source ?? {})}::jsonb) as r`;
  results.push(...row.r);
  console.log(JSON.stringify({
    level: "info",
    msg: "memories inferred",
    facts: facts.length,
    events: results.map((r) => r.event),
    llm_calls: usage.llm.calls,
    prompt_tokens: usage.llm.prompt_tokens,
    completion_tokens: usage.llm.completion_tokens,
    embedding_tokens: usage.embeddings.prompt_tokens,
  }));
  return { results, usage };
}
