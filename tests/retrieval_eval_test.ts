// The retrieval evaluation (eval/retrieval.ts) against the test stack: hybrid search is
// at least as good as vector search in every category, by recall@5 and by MRR.
import assert from "node:assert/strict";
import { runRetrieval } from "../eval/retrieval.ts";
import { env } from "../harness/stack.ts";

Deno.test("memory search: hybrid is at least as good as vector in every category", async () => {
  const scores = await runRetrieval(env("LOCAL_OPENAI_KEY"));
  for (const [category, vector] of Object.entries(scores.vector)) {
    const hybrid = scores.hybrid[category as keyof typeof scores.hybrid];
    assert.ok(hybrid.recall_at_5 >= vector.recall_at_5, `${category}: recall@5`);
    assert.ok(hybrid.mrr >= vector.mrr, `${category}: MRR ${hybrid.mrr} < ${vector.mrr}`);
  }
  assert.ok(scores.hybrid.all.mrr > scores.vector.all.mrr, "and better over all");
});
