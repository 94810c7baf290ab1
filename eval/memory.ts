// npm run eval:memory [-- --only NAME]: the memory pipeline's quality and cost on
// eval/conversations.ts, end to end through POST /memories (docs/memory.md).
//
// Each conversation gets a new user whose BYOK OpenAI key is EVAL_OPENAI_API_KEY (the
// local server's key by default); its turns are sent one POST at a time, then the
// user's active memories are compared with the expected ones. The functions talk to
// the stack's OPENAI_BASE_URL (EVAL_OPENAI_BASE_URL when set, see scripts/eval-memory.sh).
// Reports precision and recall of the final memories, model calls and tokens per
// turn, and latency per turn; writes the raw results to eval/results/.

import { parseArgs } from "node:util";
import { env, newUser, request, type TestUser } from "../tests/support.ts";
import { type Conversation, CONVERSATIONS } from "./conversations.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { only: { type: "string" }, help: { type: "boolean", default: false } },
});
if (values.help) {
  console.log(`usage: npm run eval:memory [-- --only NAME]
  env EVAL_OPENAI_BASE_URL   an OpenAI-compatible endpoint (default: the stack's local server)
      EVAL_OPENAI_API_KEY    its key (default: the local server's)
      OPENAI_CHAT_MODEL      the chat model (default gpt-4o-mini; ignored by the local server)
      OPENAI_EMBEDDING_MODEL the embedding model (default text-embedding-3-small)`);
  Deno.exit(0);
}

const local = !Deno.env.get("EVAL_OPENAI_BASE_URL");
const modelLabel = local
  ? "local deterministic model (scripts/local-llm.ts)"
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
  /** Expected memories no active memory matches. */
  missing: string[][];
  /** Active memories that match no expected one. */
  unexpected: string[];
}

const matches = (memory: string, words: string[]) =>
  words.every((w) => memory.toLowerCase().includes(w.toLowerCase()));

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
    if (!r.body.next_cursor) return texts;
    cursor = encodeURIComponent(r.body.next_cursor);
  }
}

async function runCase(c: Conversation): Promise<CaseResult> {
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
  return {
    name: c.name,
    turns,
    active,
    missing: c.expected.filter((words) => !active.some((m) => matches(m, words))),
    unexpected: active.filter((m) => !c.expected.some((words) => matches(m, words))),
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const cases = CONVERSATIONS.filter((c) => !values.only || c.name === values.only);
if (cases.length === 0) throw new Error(`no conversation named "${values.only}"`);

const results: CaseResult[] = [];
for (const c of cases) results.push(await runCase(c));

const expectedTotal = cases.reduce((n, c) => n + c.expected.length, 0);
const found = expectedTotal - results.reduce((n, r) => n + r.missing.length, 0);
const activeTotal = results.reduce((n, r) => n + r.active.length, 0);
const wrong = results.reduce((n, r) => n + r.unexpected.length, 0);
const turns = results.flatMap((r) => r.turns);
const perTurn = (f: (t: TurnResult) => number) =>
  Math.round((turns.reduce((n, t) => n + f(t), 0) / turns.length) * 10) / 10;
const ms = turns.map((t) => t.ms).sort((a, b) => a - b);
const summary = {
  model: modelLabel,
  conversations: cases.length,
  turns: turns.length,
  failed_turns: turns.filter((t) => t.status !== 200).length,
  precision: activeTotal === 0
    ? 1
    : Math.round(((activeTotal - wrong) / activeTotal) * 1000) / 1000,
  recall: expectedTotal === 0 ? 1 : Math.round((found / expectedTotal) * 1000) / 1000,
  conversations_exact: results.filter((r) => !r.missing.length && !r.unexpected.length).length,
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

console.log(`\nMemory evaluation: ${modelLabel}\n`);
console.log("| conversation | missing | unexpected |");
console.log("|---|---|---|");
for (const r of results) {
  if (!r.missing.length && !r.unexpected.length) continue;
  const errors = r.turns.filter((t) => t.error).map((t) => `turn ${t.status}: ${t.error}`);
  console.log(
    `| ${r.name} | ${r.missing.map((w) => w.join(" + ")).join("; ") || "-"} | ${
      [...r.unexpected.map((m) => `"${m}"`), ...errors].join("; ") || "-"
    } |`,
  );
}
console.log("");
console.log(JSON.stringify(summary, null, 2));

const dir = new URL("./results/", import.meta.url);
await Deno.mkdir(dir, { recursive: true });
const file = new URL(`memory-${new Date().toISOString().replace(/[:.]/g, "-")}.json`, dir);
await Deno.writeTextFile(file, JSON.stringify({ summary, results }, null, 2));
console.log(`\nraw results: eval/results/${file.pathname.split("/").pop()}`);
if (summary.failed_turns > 0) Deno.exit(1);
