// npm run eval:memory [-- --set NAME] [-- --only NAME]: the memory pipeline's quality
// and cost on both conversation sets (eval/conversations.ts, written with the local
// model; eval/conversations_other_wording.ts, written without looking at its rules),
// end to end through POST /memories (docs/memory.md).
//
// Each conversation gets a new user whose BYOK OpenAI key is EVAL_OPENAI_API_KEY (the
// local server's key by default); its turns are sent one POST at a time, then the
// user's active memories are compared with the expected ones. The functions talk to
// the stack's OPENAI_BASE_URL (EVAL_OPENAI_BASE_URL when set, see scripts/eval-memory.sh).
//
// Scoring: each active memory is matched against the expected facts. It is correct
// when it matches exactly one expected fact that no earlier memory already covers; a
// memory matching none is unexpected (chit-chat, a stale value, the assistant's words),
// one matching several merges facts, one matching an already covered fact is a
// duplicate: all three are errors. Precision = correct / active; recall = expected
// facts covered by a correct memory / expected. Reports both per set, with exact
// conversations, model calls and tokens per turn and latency; raw results go to
// eval/results/.

import { parseArgs } from "node:util";
import { env, newUser, request, type TestUser } from "../harness/stack.ts";
import { type Conversation, CONVERSATIONS } from "./conversations.ts";
import { OTHER_WORDING } from "./conversations_other_wording.ts";
import { PROBES } from "./conversations_probes.ts";
import { retrievalTable, runRetrieval } from "./retrieval.ts";

const SETS: Record<string, Conversation[]> = {
  core: CONVERSATIONS,
  "other-wording": OTHER_WORDING,
  probes: PROBES,
};

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    set: { type: "string" },
    only: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log(`usage: npm run eval:memory [-- --set ${Object.keys(SETS).join("|")}] [--only NAME]
       npm run eval:memory -- retrieval   (search: recall@5 and MRR per mode and category)
  (no --set: every set, each reported on its own)
  env EVAL_OPENAI_BASE_URL   an OpenAI-compatible endpoint (default: the stack's local server)
      EVAL_OPENAI_API_KEY    its key (default: the local server's)
      OPENAI_CHAT_MODEL      the chat model (default gpt-4o-mini; ignored by the local server)
      OPENAI_EMBEDDING_MODEL the embedding model (default text-embedding-3-small)`);
  Deno.exit(0);
}
if (values.set && !SETS[values.set]) {
  console.error(`unknown set "${values.set}": ${Object.keys(SETS).join(", ")}`);
  Deno.exit(2);
}

const local = !Deno.env.get("EVAL_OPENAI_BASE_URL");
const modelLabel = local
  ? "local rule-based model (scripts/local-llm.ts)"
  : `${Deno.env.get("OPENAI_CHAT_MODEL") || "gpt-4o-mini"} at ${env("OPENAI_BASE_URL")}`;
const apiKey = Deno.env.get("EVAL_OPENAI_API_KEY") || env("LOCAL_OPENAI_KEY");

interface TurnResult {
  status: number;
  ms: number;
  llm_calls: number;
  prompt_tokens: number;
  completion_tokens: number;
  embedding_tokens: number;
  events: string[];
  error?: string;
}

interface CaseResult {
  name: string;
  turns: TurnResult[];
  active: string[];
  /** Expected facts no correct memory covers. */
  missing: string[][];
  /** Active memories that match no expected fact. */
  unexpected: string[];
  /** Active memories that say an expected fact another memory already says. */
  duplicates: string[];
  /** Active memories that match several expected facts at once. */
  merged: string[];
}

/** Every word (or one of its "|" alternatives) is in the memory, case-insensitive. */
export const matches = (memory: string, words: string[]) =>
  words.every((w) => w.toLowerCase().split("|").some((alt) => memory.toLowerCase().includes(alt)));

/** The scoring described at the top of this file. */
export function score(active: string[], expected: string[][]) {
  const covered = new Set<number>();
  const unexpected: string[] = [], duplicates: string[] = [], merged: string[] = [];
  for (const memory of active) {
    const hits = expected.flatMap((words, i) => matches(memory, words) ? [i] : []);
    if (hits.length === 0) unexpected.push(memory);
    else if (hits.length > 1) merged.push(memory);
    else if (covered.has(hits[0])) duplicates.push(memory);
    else covered.add(hits[0]);
  }
  const missing = expected.filter((_, i) => !covered.has(i));
  return { correct: covered.size, missing, unexpected, duplicates, merged };
}

async function userWithEvalKey(): Promise<TestUser> {
  const user = await newUser("eval");
  const r = await request(user, "POST", "/api-keys", {
    service_name: "openai",
    key_name: "eval",
    value: apiKey,
  });
  if (r.status !== 201) throw new Error(`storing the eval key: ${r.status} ${r.text}`);
  return user;
}

async function activeMemories(user: TestUser): Promise<string[]> {
  const texts: string[] = [];
  let cursor = "";
  for (;;) {
    const r = await request(user, "GET", `/memories?limit=100${cursor ? `&cursor=${cursor}` : ""}`);
    if (r.status !== 200) throw new Error(`listing memories: ${r.status} ${r.text}`);
    texts.push(...r.body.items.map((m: { content: string }) => m.content));
    if (!r.body.next_cursor) return texts.reverse(); // oldest first: a later repeat is the duplicate
    cursor = encodeURIComponent(r.body.next_cursor);
  }
}

export async function runCase(c: Conversation): Promise<CaseResult> {
  const user = await userWithEvalKey();
  const turns: TurnResult[] = [];
  for (const t of c.turns) {
    const messages = [{ role: "user", content: t.user }];
    if (t.assistant) messages.push({ role: "assistant", content: t.assistant });
    const started = performance.now();
    const r = await request(user, "POST", "/memories", { messages, infer: true });
    const ms = performance.now() - started;
    const u = r.body?.usage;
    turns.push({
      status: r.status,
      ms,
      llm_calls: u?.llm?.calls ?? 0,
      prompt_tokens: u?.llm?.prompt_tokens ?? 0,
      completion_tokens: u?.llm?.completion_tokens ?? 0,
      embedding_tokens: u?.embeddings?.prompt_tokens ?? 0,
      events: (r.body?.results ?? []).map((x: { event: string }) => x.event),
      ...(r.status === 200 ? {} : { error: r.text.slice(0, 300) }),
    });
  }
  const active = await activeMemories(user);
  const { missing, unexpected, duplicates, merged } = score(active, c.expected);
  return { name: c.name, turns, active, missing, unexpected, duplicates, merged };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

export function summarise(set: string, cases: Conversation[], results: CaseResult[]) {
  const expectedTotal = cases.reduce((n, c) => n + c.expected.length, 0);
  const found = expectedTotal - results.reduce((n, r) => n + r.missing.length, 0);
  const activeTotal = results.reduce((n, r) => n + r.active.length, 0);
  const count = (f: (r: CaseResult) => unknown[]) => results.reduce((n, r) => n + f(r).length, 0);
  const wrong = count((r) => r.unexpected) + count((r) => r.duplicates) + count((r) => r.merged);
  const turns = results.flatMap((r) => r.turns);
  const perTurn = (f: (t: TurnResult) => number) =>
    Math.round((turns.reduce((n, t) => n + f(t), 0) / turns.length) * 10) / 10;
  const ms = turns.map((t) => t.ms).sort((a, b) => a - b);
  return {
    set,
    model: modelLabel,
    conversations: cases.length,
    turns: turns.length,
    failed_turns: turns.filter((t) => t.status !== 200).length,
    precision: activeTotal === 0 ? 1 : round3((activeTotal - wrong) / activeTotal),
    recall: expectedTotal === 0 ? 1 : round3(found / expectedTotal),
    unexpected: count((r) => r.unexpected),
    duplicates: count((r) => r.duplicates),
    merged: count((r) => r.merged),
    conversations_exact:
      results.filter((r) =>
        !r.missing.length && !r.unexpected.length && !r.duplicates.length && !r.merged.length
      ).length,
    llm_calls_per_turn: perTurn((t) => t.llm_calls),
    prompt_tokens_per_turn: perTurn((t) => t.prompt_tokens),
    completion_tokens_per_turn: perTurn((t) => t.completion_tokens),
    embedding_tokens_per_turn: perTurn((t) => t.embedding_tokens),
    latency_ms: {
      p50: Math.round(percentile(ms, 50)),
      p95: Math.round(percentile(ms, 95)),
      max: Math.round(ms.at(-1) ?? 0),
    },
  };
}

export function printErrors(results: CaseResult[]) {
  console.log("| conversation | missing | wrong |");
  console.log("|---|---|---|");
  for (const r of results) {
    const errors = r.turns.filter((t) => t.error).map((t) => `turn ${t.status}: ${t.error}`);
    const wrong = [
      ...r.unexpected.map((m) => `unexpected "${m}"`),
      ...r.duplicates.map((m) => `duplicate "${m}"`),
      ...r.merged.map((m) => `merged "${m}"`),
      ...errors,
    ];
    if (!r.missing.length && !wrong.length) continue;
    console.log(
      `| ${r.name} | ${r.missing.map((w) => w.join(" + ")).join("; ") || "-"} | ${
        wrong.join("; ") || "-"
      } |`,
    );
  }
}

if (import.meta.main && positionals[0] === "retrieval") {
  const scores = await runRetrieval(apiKey);
  console.log(
    `\nRetrieval evaluation: ${modelLabel}; embeddings ${
      Deno.env.get("OPENAI_EMBEDDING_MODEL") || "text-embedding-3-small"
    } at ${env("OPENAI_BASE_URL")}\n`,
  );
  console.log(retrievalTable(scores));
  const dir = new URL("./results/", import.meta.url);
  await Deno.mkdir(dir, { recursive: true });
  const file = new URL(`retrieval-${new Date().toISOString().replace(/[:.]/g, "-")}.json`, dir);
  await Deno.writeTextFile(file, JSON.stringify({ model: modelLabel, scores }, null, 2));
  console.log(`\nraw results: eval/results/${file.pathname.split("/").pop()}`);
} else if (import.meta.main) {
  const chosen = values.set ? [values.set] : Object.keys(SETS);
  const summaries = [];
  const raw: Record<string, CaseResult[]> = {};
  for (const set of chosen) {
    const cases = SETS[set].filter((c) => !values.only || c.name === values.only);
    if (cases.length === 0) continue;
    const results: CaseResult[] = [];
    for (const c of cases) results.push(await runCase(c));
    raw[set] = results;
    console.log(`\nMemory evaluation, set ${set}: ${modelLabel}\n`);
    printErrors(results);
    const summary = summarise(set, cases, results);
    summaries.push(summary);
    console.log("");
    console.log(JSON.stringify(summary, null, 2));
  }
  if (summaries.length === 0) throw new Error(`no conversation named "${values.only}"`);

  const dir = new URL("./results/", import.meta.url);
  await Deno.mkdir(dir, { recursive: true });
  const file = new URL(`memory-${new Date().toISOString().replace(/[:.]/g, "-")}.json`, dir);
  await Deno.writeTextFile(file, JSON.stringify({ summaries, results: raw }, null, 2));
  console.log(`\nraw results: eval/results/${file.pathname.split("/").pop()}`);
  if (summaries.some((s) => s.failed_turns > 0)) Deno.exit(1);
}
