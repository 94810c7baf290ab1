// A change of embedding model: memories of another model are not searchable until they
// are embedded again. Search says how many are left and starts a batch; the sweep does
// the rest, as each user, with their key and within their rate limit; a memory whose
// text the user already has under the new model is folded into it with its history;
// a failed batch is recorded and retried, nothing lost.
import assert from "node:assert/strict";
import { embed } from "../scripts/embeddings-server.ts";
import { DIMENSIONS } from "../supabase/functions/_shared/openai.ts";
import { loadKeyring } from "../supabase/functions/_shared/byok_crypto.ts";
import { ApiError } from "../supabase/functions/_shared/errors.ts";
import { env, FUNCTIONS_URL, localOpenAi, request, userWithKey } from "../harness/stack.ts";
import { withAdminDb } from "./support.ts";

const OLD_MODEL = "text-embedding-ada-002";
const MODEL = "text-embedding-3-small";

const sweep = () =>
  fetch(`${FUNCTIONS_URL()}/chat/admin/sweep`, {
    method: "POST",
    headers: { apikey: env("SUPABASE_SECRET_KEY"), "content-type": "application/json" },
    body: JSON.stringify({ limit: 100 }),
  }).then(async (r) => ({ status: r.status, body: await r.json() }));

async function faults(f: Record<string, number | string> | null) {
  const res = await localOpenAi("/__faults", {
    method: f ? "POST" : "DELETE",
    body: f ? JSON.stringify(f) : undefined,
  });
  assert.equal(res.status, 200, await res.text());
}

/** Memories stored under the old model, as a deployment that used it would have them. */
async function storeUnderOldModel(userId: string, texts: string[]) {
  await withAdminDb(async (db) => {
    await db.query`insert into private.embedding_models (name) values (${OLD_MODEL})
                   on conflict do nothing`;
    // Any vector: the old model's space is not this one (a constant direction here).
    const v = `[${Array.from({ length: DIMENSIONS }, (_, i) => (i === 0 ? 1 : 0)).join(",")}]`;
    await db.query`
      with m as (
        insert into public.memory_embeddings (user_id, content_text, content_type, model)
        select ${userId}::uuid, t, 'fact', ${OLD_MODEL} from unnest(${texts}::text[]) t
        returning id, user_id)
      insert into public.memory_vectors (id, user_id, embedding)
      select m.id, m.user_id, ${v}::extensions.vector from m`;
  });
}

async function models(userId: string) {
  return await withAdminDb((db) =>
    db.query<{ model: string; n: number }>`
      select model, count(*)::int as n from public.memory_embeddings
       where user_id = ${userId}::uuid group by model order by model`
  );
}

async function job(userId: string) {
  const [row] = await withAdminDb((db) =>
    db.query<{ done: number; total: number; last_error: string | null }>`
      select done::int, total::int, last_error from private.reembed_jobs
       where user_id = ${userId}::uuid`
  );
  return row ?? null;
}

Deno.test("re-embedding: search says what is left, the sweep finishes, search finds them", async () => {
  const user = await userWithKey("reembed-main");
  const texts = Array.from({ length: 130 }, (_, i) => `Old memory number ${i} about Kyoto temples`);
  texts[7] = "Allergic to shellfish";
  await storeUnderOldModel(user.id, texts);

  const first = await request(user, "POST", "/memories/search", {
    query: "shellfish allergy",
    mode: "vector",
  });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(first.body.reembedding.model, MODEL);
  assert.equal(first.body.reembedding.total, 130);
  assert.ok(first.body.reembedding.pending >= 30, JSON.stringify(first.body.reembedding));
  assert.ok(
    !first.body.items.some((i: { content: string }) => i.content === "Allergic to shellfish"),
    "a memory of the old model is not in this model's space",
  );

  // The batch the search started, then the sweep until nothing is left.
  for (let i = 0; i < 10 && (await models(user.id)).some((m) => m.model === OLD_MODEL); i++) {
    const swept = await sweep();
    assert.equal(swept.status, 200, JSON.stringify(swept.body));
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.deepEqual(await models(user.id), [{ model: MODEL, n: 130 }]);
  assert.equal(await job(user.id), null, "the job is gone once done");

  const after = await request(user, "POST", "/memories/search", {
    query: "shellfish allergy",
    mode: "vector",
  });
  assert.equal(after.status, 200);
  assert.equal(after.body.reembedding, undefined, "complete: nothing said");
  assert.equal(after.body.items[0].content, "Allergic to shellfish");
  // The stored vector is this model's embedding of the text.
  const [stored] = await withAdminDb((db) =>
    db.query<{ similarity: number }>`
      select 1 - (v.embedding operator(extensions.<=>) ${`[${
      embed("Allergic to shellfish", DIMENSIONS).join(",")
    }]`}::extensions.vector) as similarity
        from public.memory_vectors v join public.memory_embeddings e on e.id = v.id
       where e.user_id = ${user.id}::uuid and e.content_text = 'Allergic to shellfish'`
  );
  assert.ok(stored.similarity > 0.999, String(stored.similarity));
});

Deno.test("re-embedding: a text already stored under the new model is one memory, both histories", async () => {
  const user = await userWithKey("reembed-merge");
  const stored = await request(user, "POST", "/memories", { content: "Vegetarian since 2019" });
  assert.equal(stored.status, 201);
  await storeUnderOldModel(user.id, ["Vegetarian since 2019", "Prefers trains"]);
  const [old] = await withAdminDb((db) =>
    db.query<{ id: string }>`select id from public.memory_embeddings
      where user_id = ${user.id}::uuid and model = ${OLD_MODEL} and content_text = 'Vegetarian since 2019'`
  );
  await request(user, "POST", "/memories/search", { query: "food", mode: "vector" });
  for (let i = 0; i < 5 && (await models(user.id)).some((m) => m.model === OLD_MODEL); i++) {
    await sweep();
  }
  assert.deepEqual(await models(user.id), [{ model: MODEL, n: 2 }]);
  const history = await request(user, "GET", `/memories/${stored.body.ids[0]}/history`);
  assert.equal(history.status, 200);
  assert.equal(history.body.items.length, 2, "its own ADD and the folded memory's");
  const gone = await request(user, "GET", `/memories/${old.id}`);
  assert.equal(gone.status, 404);
});

Deno.test("re-embedding: a failed batch is recorded and retried; nothing is lost", async () => {
  const user = await userWithKey("reembed-fail");
  await storeUnderOldModel(user.id, ["Flies out of Gatwick", "Likes window seats"]);
  await faults({ status: 500, path: "embeddings" });
  try {
    const res = await request(user, "POST", "/memories/search", {
      query: "keyword only",
      mode: "keyword",
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.reembedding.pending, 2);
    let recorded = null;
    for (let i = 0; i < 50 && !recorded?.last_error; i++) {
      await new Promise((r) => setTimeout(r, 100));
      recorded = await job(user.id);
    }
    assert.match(String(recorded?.last_error), /UPSTREAM_ERROR/);
  } finally {
    await faults(null);
  }
  assert.deepEqual(await models(user.id), [{ model: OLD_MODEL, n: 2 }], "nothing lost");
  // Due again (the backoff elapsed), the next sweep finishes it.
  await withAdminDb((db) =>
    db.query`update private.reembed_jobs set next_attempt_at = now() where user_id = ${user.id}::uuid`
  );
  await sweep();
  assert.deepEqual(await models(user.id), [{ model: MODEL, n: 2 }]);
});

Deno.test({
  name: "re-embedding: a batch counts against the user's embedding rate limit",
  // The batch opens this process's shared store (cacheStore), kept for the process.
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  // The test stack's functions run unlimited; here the batch runs in this process with a
  // limit of one embedding request a minute, counted in the same store.
  Deno.env.set("RATE_LIMIT_EMBEDDING", "1/60");
  const { reembedBatch } = await import("../supabase/functions/_shared/reembedding.ts");
  const { takeRequest } = await import("../supabase/functions/_shared/rate_limit.ts");
  const { openStore } = await import("../supabase/functions/_shared/cache.ts");
  const keyring = await loadKeyring();
  const user = await userWithKey("reembed-limit");
  await storeUnderOldModel(user.id, ["Speaks Portuguese"]);
  // The user's one request of the window (a search, say), from another instance.
  const store = await openStore(env("CACHE_URL"));
  await takeRequest(store, "memories", "embedding", user.id);
  await store?.close();
  await withAdminDb(async (admin) => {
    await assert.rejects(reembedBatch(admin, keyring, user.id), (e: unknown) => {
      assert.ok(e instanceof ApiError && e.status === 429 && e.code === "RATE_LIMITED");
      return true;
    });
  });
  assert.deepEqual(await models(user.id), [{ model: OLD_MODEL, n: 1 }], "nothing embedded");
});
