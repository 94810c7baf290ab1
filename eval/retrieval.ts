// The retrieval evaluation (npm run eval:memory -- retrieval, docs/memory.md): one new
// user stores eval/retrieval_set.ts's memories, then every question is asked of
// POST /memories/search in each mode. Reports recall@5 (the answer among the first 5)
// and MRR (1 / the answer's rank, 0 past 10) per mode and category, and which embedder
// produced them. Runs against the stack's endpoint, or any OpenAI-compatible one with
// the same variables as the conversation sets.

import { newUser, request, type TestUser } from "../harness/stack.ts";
import { type Category, MEMORIES, QUERIES } from "./retrieval_set.ts";

export const MODES = ["vector", "keyword", "hybrid"] as const;
export type Mode = typeof MODES[number];

export interface Scores {
  recall_at_5: number;
  mrr: number;
  queries: number;
}

/** Scores per mode and category (and "all"), against the functions the env names. */
export async function runRetrieval(
  apiKey: string,
): Promise<Record<Mode, Record<Category | "all", Scores>>> {
  const user: TestUser = await newUser("retrieval");
  const key = await request(user, "POST", "/api-keys", {
    service_name: "openai",
    key_name: "eval",
    value: apiKey,
  });
  if (key.status !== 201) throw new Error(`storing the key: ${key.status} ${key.text}`);
  const stored = await request(user, "POST", "/memories", {
    memories: MEMORIES.map((content) => ({ content })),
  });
  if (stored.status !== 201) throw new Error(`storing memories: ${stored.status} ${stored.text}`);
  const out = {} as Record<Mode, Record<Category | "all", Scores>>;
  for (const mode of MODES) {
    const ranks: { category: Category; rank: number }[] = [];
    for (const q of QUERIES) {
      const r = await request(user, "POST", "/memories/search", {
        query: q.query,
        mode,
        match_count: 10,
      });
      if (r.status !== 200) throw new Error(`${mode} "${q.query}": ${r.status} ${r.text}`);
      const at = (r.body.items as { content: string }[]).findIndex((i) => i.content === q.answer);
      ranks.push({ category: q.category, rank: at < 0 ? Infinity : at + 1 });
    }
    const score = (rs: { rank: number }[]): Scores => ({
      recall_at_5: round(rs.filter((r) => r.rank <= 5).length / rs.length),
      mrr: round(rs.reduce((n, r) => n + (r.rank <= 10 ? 1 / r.rank : 0), 0) / rs.length),
      queries: rs.length,
    });
    const byCategory = {} as Record<Category | "all", Scores>;
    for (const c of new Set(QUERIES.map((q) => q.category))) {
      byCategory[c] = score(ranks.filter((r) => r.category === c));
    }
    byCategory.all = score(ranks);
    out[mode] = byCategory;
  }
  return out;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** The table docs/memory.md shows. */
export function retrievalTable(scores: Record<Mode, Record<string, Scores>>): string {
  const categories = Object.keys(scores.hybrid);
  const lines = [
    "| category | queries | " + MODES.map((m) => `${m} recall@5 / MRR`).join(" | ") + " |",
    "| --- | --- | " + MODES.map(() => "---").join(" | ") + " |",
  ];
  for (const c of categories) {
    lines.push(
      `| ${c} | ${scores.hybrid[c].queries} | ` +
        MODES.map((m) => `${scores[m][c].recall_at_5.toFixed(3)} / ${scores[m][c].mrr.toFixed(3)}`)
          .join(" | ") +
        " |",
    );
  }
  return lines.join("\n");
}
