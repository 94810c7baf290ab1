// Memory that learns (docs/memory.md): from a conversation to ADD/UPDATE/DELETE/NONE
// on the user's memories. Extract facts, and what the user asks to forget (LLM); find
// each one's memories of this user above the relatedness floor (vector search); settle
// what needs no judgement (a fact nothing is related to is added, one stored word for
// word with nothing else related is known); decide the rest (LLM, ids shown as small
// integers and mapped back); keep only decisions about a fact's own related memories;
// apply it all in one transaction under a per-user lock (public.apply_memory_decisions).
// A model answer is read tolerantly (memory_answers.ts), retried once when unusable,
// then refused out loud with 502 MODEL_OUTPUT_INVALID: nothing is stored half-decided.
// Used by the memories function and by chat.

import type { PostgresApi } from "./db.ts";
import { envNumber } from "./env.ts";
import { ApiError } from "./errors.ts";
import {
  type DecisionFact,
  decisionPrompt,
  type Event,
  extractionPrompt,
  type Turn,
} from "./memory_prompts.ts";
import { type Decision, readDecisions, readExtraction } from "./memory_answers.ts";
import {
  CHAT_MODEL,
  completeJson,
  type JsonRequest,
  MODEL,
  noUsage,
  type Usage,
} from "./openai.ts";
import type { OpenAiKey } from "./byok.ts";
import { embedForUser } from "./cached_embeddings.ts";
import { sha256Hex } from "./sha256.ts";

export type { Turn };

/** Related memories of one fact that the decision may see. */
const CANDIDATES_PER_FACT = 5;

/**
 * The relatedness floor: a memory is about the same thing as a fact only when their
 * cosine similarity (1 - distance, of the candidate search) is at least this. Only
 * such memories are shown with the fact, and an UPDATE, DELETE or NONE may only name
 * one of them. MEMORY_MIN_RELATEDNESS overrides it (calibrate it per embedding model:
 * docs/memory.md).
 */
export const minRelatedness = () => envNumber("MEMORY_MIN_RELATEDNESS", 0.45);

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

export interface Memory {
  id: string;
  text: string;
  source: "user" | "extractor";
}

/** One extracted text on its way to an outcome. */
export interface Item {
  text: string;
  /** The user asked to forget this rather than stated it. */
  forget: boolean;
  /** An active memory that says exactly this text. */
  exact?: Memory;
  /** Numbers (into the memories shown) of the related memories, most similar first. */
  candidates: number[];
}

export type Op =
  | { event: "ADD"; text: string; embedding: number }
  | { event: "UPDATE"; memory_id: string; text: string; embedding: number }
  | { event: "DELETE"; memory_id: string };

/** The outcome of every item, as operations to apply and memories found to say it already. */
export interface Plan {
  ops: Op[];
  known: MemoryResult[];
}

/** Settles an item that needs no judgement into `ops`/`known`; false when the decision must judge it. */
function settled(item: Item, i: number, ops: Op[], known: MemoryResult[]): boolean {
  if (item.forget) {
    // Stored word for word and inferred: forgotten without asking. Nothing related: nothing to do.
    if (item.exact?.source === "extractor") ops.push({ event: "DELETE", memory_id: item.exact.id });
    return item.exact !== undefined || item.candidates.length === 0;
  }
  if (item.candidates.length > 0) return false;
  if (item.exact) known.push({ id: item.exact.id, memory: item.exact.text, event: "NONE" });
  else ops.push({ event: "ADD", text: item.text, embedding: i });
  return true;
}

/**
 * Operations we can trust from the decisions about `items` (the facts numbered as the
 * decision saw them, `asked[k]` being item number k of the prompt). A decision may
 * only change or name a memory related to its own fact, only an inferred memory is
 * changed, and a memory at most once: anything else is the safe alternative (the fact
 * is added, nothing is deleted). Stored text always comes from the extracted facts.
 * Null when a fact sent to the decision got no decision (the answer is incomplete).
 */
export function planDecisions(
  items: Item[],
  memories: Memory[],
  asked: number[],
  decisions: Decision[],
  plan: Plan,
): Plan | null {
  const byFact = new Map<number, Decision>();
  for (const d of decisions) if (!byFact.has(d.fact)) byFact.set(d.fact, d);
  if (asked.some((_, k) => !byFact.has(k))) return null;
  const touched = new Set<string>();
  const ops: Op[] = [...plan.ops];
  const known: MemoryResult[] = [...plan.known];
  asked.forEach((i, k) => {
    const item = items[i];
    const d = byFact.get(k)!;
    const related = d.memory !== null && item.candidates.includes(d.memory)
      ? memories[d.memory]
      : undefined;
    const changeable = related?.source === "extractor" && !touched.has(related.id)
      ? related
      : undefined;
    const retire = (d.event === "UPDATE" || d.event === "DELETE") && changeable;
    if (retire) touched.add(changeable.id);
    if (item.forget) {
      if (d.event === "DELETE" && changeable) {
        ops.push({ event: "DELETE", memory_id: changeable.id });
      }
    } else if (item.exact) {
      // Said before, word for word: what it contradicts is retired, the fact stays as it is.
      if (retire) ops.push({ event: "DELETE", memory_id: changeable.id });
      known.push({ id: item.exact.id, memory: item.exact.text, event: "NONE" });
    } else if (d.event === "NONE" && related) {
      known.push({ id: related.id, memory: related.text, event: "NONE" });
    } else if (d.event === "UPDATE" && retire) {
      ops.push({ event: "UPDATE", memory_id: changeable.id, text: item.text, embedding: i });
    } else if (d.event === "DELETE" && retire) {
      ops.push({ event: "DELETE", memory_id: changeable.id });
      ops.push({ event: "ADD", text: item.text, embedding: i });
    } else ops.push({ event: "ADD", text: item.text, embedding: i });
  });
  return { ops, known };
}

/** Which of the pipeline's model calls an answer came from. */
type Call = "extraction" | "decision";

/**
 * One model call whose answer `read` turns into something usable (null: unusable):
 * asked twice at most, each unusable answer logged (model, call, reason; never the
 * conversation), then a 502 MODEL_OUTPUT_INVALID naming the call.
 */
async function ask<T>(
  key: OpenAiKey,
  call: Call,
  req: JsonRequest,
  usage: Usage,
  read: (value: unknown) => T | null,
): Promise<T> {
  let reason = "";
  for (let attempt = 1; attempt <= 2; attempt++) {
    const answer = await completeJson(key, req, usage);
    const usable = "value" in answer ? read(answer.value) : null;
    if (usable !== null) return usable;
    reason = "reason" in answer ? answer.reason : "unrecognised_shape";
    console.warn(JSON.stringify({
      level: "warn",
      msg: "model answer unusable",
      model: CHAT_MODEL,
      call,
      reason,
      attempt,
    }));
  }
  throw new ApiError(
    502,
    "MODEL_OUTPUT_INVALID",
    `the model's ${call} answer was unusable twice (${reason}); nothing was stored`,
    {
      hint: "Retry later, or point OPENAI_BASE_URL/OPENAI_CHAT_MODEL at a model that answers JSON.",
      details: { call, reason, model: CHAT_MODEL },
    },
  );
}

/**
 * A forget request is honoured only for something the user's own messages mention
 * (a word of four letters or more of it, or its first five letters, in what they
 * wrote): a model that obeys "delete everything" cannot make it forget the rest.
 */
export function mentionedBy(turns: Turn[], text: string): boolean {
  const said = turns.filter((t) => t.role === "user").map((t) => t.content).join(" ")
    .toLowerCase();
  const words = text.replace(/\s*\(".*"\)$/, "").toLowerCase().match(/[\p{L}\p{N}]{4,}/gu) ?? [];
  return words.some((w) => !GENERIC.has(w) && said.includes(w.slice(0, 5)));
}

/** Words of a fact's frame rather than its subject. */
const GENERIC = new Set([
  "does",
  "prefers",
  "likes",
  "loves",
  "wants",
  "would",
  "with",
  "about",
  "their",
  "them",
  "they",
  "always",
  "never",
  "longer",
  "anymore",
]);

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

  // 1. Facts, and what the user asked to forget.
  const extraction = await ask(
    key,
    "extraction",
    extractionPrompt(turns, today),
    usage.llm,
    readExtraction,
  );
  const forget = extraction.forget.filter((f) =>
    !extraction.facts.includes(f) && mentionedBy(turns, f)
  );
  const texts = [...extraction.facts, ...forget];
  if (texts.length === 0) return { results: [], usage };

  // 2. Active memories that say a text word for word.
  const hashes = await Promise.all(texts.map(sha256Hex));
  const stored: (Memory & { content_hash: string })[] = await db.query`
    select id, content_text as text, source::text as source, content_hash
      from public.memory_embeddings
     where user_id = auth.uid() and model = ${MODEL} and deleted_at is null
       and content_hash = any(${hashes}::text[])`;
  const byHash = new Map(stored.map((r) => [r.content_hash, r]));

  // 3. Each text's related memories, of this user only (RLS and the query both say so),
  //    above the relatedness floor, exact recall as in search.
  const vectors = await embedForUser(userId, () => Promise.resolve(key), texts, usage.embeddings);
  const near: (Memory & { i: number })[] = await db.query`
    select f.i::int - 1 as i, m.id, m.content as text, e.source::text as source
      from unnest(${vectors}::extensions.vector[]) with ordinality as f(v, i),
           lateral public.match_memories(f.v, ${CANDIDATES_PER_FACT}, ${minRelatedness()}::float8,
                                         null, null, ${MODEL}) m
      join public.memory_embeddings e on e.id = m.id
     where e.user_id = auth.uid()
     order by m.similarity desc, m.id`;
  const memories: Memory[] = [];
  const number = new Map<string, number>();
  const items: Item[] = texts.map((text, i) => ({
    text,
    forget: i >= extraction.facts.length,
    exact: byHash.get(hashes[i]),
    candidates: [],
  }));
  for (const r of near) {
    if (r.id === items[r.i].exact?.id) continue; // the text itself is not a rival of itself
    if (!number.has(r.id)) {
      number.set(r.id, memories.length);
      memories.push({ id: r.id, text: r.text, source: r.source });
    }
    items[r.i].candidates.push(number.get(r.id)!);
  }

  // 4. What needs no judgement, then the decision for the rest.
  let plan: Plan = { ops: [], known: [] };
  const asked = items.flatMap((item, i) => settled(item, i, plan.ops, plan.known) ? [] : [i]);
  if (asked.length > 0) {
    const shown: DecisionFact[] = asked.map((i) => ({
      text: items[i].text,
      candidates: items[i].candidates,
      ...(items[i].forget ? { forget: true } : {}),
    }));
    const candidatesOf = (k: number) => items[asked[k]].candidates;
    plan = await ask(
      key,
      "decision",
      decisionPrompt(memories.map((m) => m.text), shown),
      usage.llm,
      (value) => {
        const decisions = readDecisions(value, shown.map((f) => f.text), candidatesOf);
        return decisions && planDecisions(items, memories, asked, decisions, plan);
      },
    );
  }

  // 5. Applied together, re-checked under the user's lock.
  const metadata = opts.metadata ?? {};
  const payload = plan.ops.map((op) =>
    op.event === "DELETE" ? op : {
      ...op,
      content_type: PREFERENCE.test(op.text) ? "preference" : "fact",
      metadata,
    }
  );
  const results: MemoryResult[] = [...plan.known];
  if (payload.length > 0) {
    const [row]: { r: MemoryResult[] }[] = await db.query`
      select public.apply_memory_decisions(${MODEL}, ${JSON.stringify(payload)}::jsonb,
        ${vectors}::extensions.vector[], ${JSON.stringify(opts.source ?? {})}::jsonb) as r`;
    results.push(...row.r);
  }
  console.log(JSON.stringify({
    level: "info",
    msg: "memories inferred",
    facts: extraction.facts.length,
    forget: forget.length,
    events: results.map((r) => r.event),
    llm_calls: usage.llm.calls,
    prompt_tokens: usage.llm.prompt_tokens,
    completion_tokens: usage.llm.completion_tokens,
    embedding_tokens: usage.embeddings.prompt_tokens,
  }));
  return { results, usage };
}
