// The memories function over HTTP against the test stack: storing (with dedupe),
// searching, isolation, limits, every upstream failure, and exact recall against
// a brute-force query over thousands of rows.
import assert from "node:assert/strict";
import pg from "pg";
import { embed } from "../scripts/embeddings-server.ts";
import { loadKeyring } from "../supabase/functions/_shared/byok_crypto.ts";
import { ApiError } from "../supabase/functions/_shared/errors.ts";
import { DIMENSIONS } from "../supabase/functions/_shared/openai.ts";
import { openAiKeyFor } from "../supabase/functions/_shared/byok.ts";
import { env, localOpenAi, newUser, type Reply, request, userWithKey } from "../harness/stack.ts";
import { invoke, withAdminDb } from "./support.ts";

const api = request;

const embedder = localOpenAi;

async function faults(f: Record<string, number> | null) {
  const res = await embedder("/__faults", {
    method: f ? "POST" : "DELETE",
    body: f ? JSON.stringify(f) : undefined,
  });
  assert.equal(res.status, 200, await res.text());
}

async function upstreamCalls(): Promise<{ embeddings_requests: number; embedded_inputs: number }> {
  return await (await embedder("/__stats")).json();
}

Deno.test("memories: store a batch, find the one sharing words first", async () => {
  const user = await userWithKey("mem-find");
  const before = await upstreamCalls();
  const stored = await api(user, "POST", "/memories", {
    memories: [
      {
        content: "Loves slurping tonkotsu ramen in Tokyo late at night",
        content_type: "preference",
      },
      {
        content: "Allergic to peanuts and tree nuts",
        content_type: "fact",
        metadata: { severity: "high" },
      },
      { content: "Prefers aisle seats on long flights", content_type: "preference" },
      {
        content: "Visited Lisbon in spring 2024 with her sister",
        content_type: "trip_context",
        metadata: { trip_id: 7 },
      },
    ],
  });
  assert.equal(stored.status, 201, JSON.stringify(stored.body));
  assert.equal(stored.body.ids.length, 4);
  assert.equal(stored.body.created, 4);
  const after = await upstreamCalls();
  assert.equal(
    after.embeddings_requests - before.embeddings_requests,
    1,
    "one upstream call per batch",
  );
  assert.equal(after.embedded_inputs - before.embedded_inputs, 4);

  const found = await api(user, "POST", "/memories/search", {
    query: "where to eat ramen in Tokyo?",
  });
  assert.equal(found.status, 200, JSON.stringify(found.body));
  assert.equal(found.body.items[0].id, stored.body.ids[0]);
  assert.deepEqual(Object.keys(found.body.items[0]).sort(), [
    "content",
    "content_type",
    "created_at",
    "id",
    "keyword_rank",
    "metadata",
    "score",
    "similarity",
  ]);
  const sims = found.body.items.map((i: { similarity: number }) => i.similarity);
  assert.deepEqual(sims, [...sims].sort((a, b) => b - a), "ordered by similarity");
  assert.ok(sims.every((s: number) => s >= -1 - 1e-6 && s <= 1 + 1e-6));
  assert.equal(found.body.items.length, 4, "default match_count 10 returns all four");

  // Through supabase-js, as an app does.
  const viaClient = await invoke(user, "memories/search", "POST", { query: "peanut allergy nuts" });
  assert.equal(viaClient.status, 200);
  assert.equal(viaClient.body.items[0].id, stored.body.ids[1]);

  const one = await api(user, "GET", `/memories/${stored.body.ids[3]}`);
  assert.equal(one.body.content, "Visited Lisbon in spring 2024 with her sister");
  assert.deepEqual(one.body.metadata, { trip_id: 7 });
  assert.equal((await api(user, "DELETE", `/memories/${stored.body.ids[3]}`)).status, 204);
  // Deleted: kept with its history and restorable, but no longer listed or searched.
  assert.ok((await api(user, "GET", `/memories/${stored.body.ids[3]}`)).body.deleted_at);
  const listed = await api(user, "GET", "/memories?limit=100");
  assert.ok(!listed.body.items.some((m: { id: string }) => m.id === stored.body.ids[3]));
  assert.equal((await api(user, "DELETE", `/memories/${stored.body.ids[3]}`)).status, 204);
  const unknown = "00000000-0000-4000-8000-000000000000";
  assert.equal((await api(user, "DELETE", `/memories/${unknown}`)).status, 404);
});

Deno.test("memories: the same content is not embedded or stored twice", async () => {
  const user = await userWithKey("mem-dedupe");
  const first = await api(user, "POST", "/memories", {
    content: "Window seat, always",
    content_type: "preference",
  });
  assert.equal(first.status, 201);
  const before = await upstreamCalls();
  const again = await api(user, "POST", "/memories", { content: "  Window seat, always\n" });
  assert.equal(again.status, 200);
  assert.deepEqual(again.body, { ids: first.body.ids, created: 0, deduplicated: 1 });
  const mixed = await api(user, "POST", "/memories", {
    memories: [{ content: "Window seat, always" }, { content: "Hates red-eye flights" }, {
      content: "Hates red-eye flights",
    }],
  });
  assert.equal(mixed.status, 201);
  assert.equal(mixed.body.ids[0], first.body.ids[0]);
  assert.equal(mixed.body.ids[1], mixed.body.ids[2]);
  assert.equal(mixed.body.created, 1);
  const after = await upstreamCalls();
  assert.equal(
    after.embeddings_requests - before.embeddings_requests,
    1,
    "only the mixed batch called out",
  );
  assert.equal(after.embedded_inputs - before.embedded_inputs, 1, "and embedded only the new text");
  const list = await api(user, "GET", "/memories");
  assert.equal(list.body.items.length, 2);
});

Deno.test("memories: another user's memories never appear", async () => {
  const alice = await userWithKey("mem-alice");
  const bob = await userWithKey("mem-bob");
  const secretText = "Bob keeps his passport in the blue suitcase";
  const bobs = await api(bob, "POST", "/memories", {
    memories: [{ content: secretText }, { content: "Bob likes jazz bars in New Orleans" }],
  });
  const alices = await api(alice, "POST", "/memories", { content: "Alice collects postcards" });
  const mine = new Set(alices.body.ids);
  for (const query of [secretText, "passport suitcase", "jazz bars New Orleans", "postcards"]) {
    const res = await api(alice, "POST", "/memories/search", { query, match_count: 100 });
    assert.equal(res.status, 200);
    for (const item of res.body.items) {
      assert.ok(mine.has(item.id), `${query}: leaked ${item.content}`);
    }
  }
  const list = await api(alice, "GET", "/memories?limit=100");
  assert.deepEqual(list.body.items.map((i: { id: string }) => i.id), alices.body.ids);
  for (
    const [method, path] of [["GET", `/memories/${bobs.body.ids[0]}`], [
      "DELETE",
      `/memories/${bobs.body.ids[0]}`,
    ]]
  ) {
    assert.equal((await api(alice, method, path)).status, 404);
  }
  // Storing Bob's exact text as Alice makes Alice's own row, not a link to Bob's.
  const copy = await api(alice, "POST", "/memories", { content: secretText });
  assert.equal(copy.status, 201);
  assert.notEqual(copy.body.ids[0], bobs.body.ids[0]);
  assert.equal((await api(bob, "GET", `/memories/${bobs.body.ids[0]}`)).status, 200);
  assert.equal((await api(null, "POST", "/memories/search", { query: "x" })).status, 401);
});

Deno.test("memories: thresholds, filters and list paging", async () => {
  const user = await userWithKey("mem-filters");
  const texts = Array.from({ length: 12 }, (_, i) => `museum visit number ${i} in Paris`);
  const stored = await api(user, "POST", "/memories", {
    memories: texts.map((content, i) => ({
      content,
      content_type: i % 2 ? "note" : "trip_context",
      metadata: { trip_id: i % 3, city: "Paris" },
    })),
  });
  assert.equal(stored.status, 201);

  const exact = await api(user, "POST", "/memories/search", {
    query: texts[5],
    min_similarity: 0.999,
  });
  assert.deepEqual(exact.body.items.map((i: { content: string }) => i.content), [texts[5]]);
  assert.ok(exact.body.items[0].similarity > 0.999);
  const none = await api(user, "POST", "/memories/search", {
    query: "quantum chromodynamics",
    min_similarity: 0.5,
  });
  assert.deepEqual(none.body.items, []);

  const three = await api(user, "POST", "/memories/search", {
    query: "museum Paris",
    match_count: 3,
  });
  assert.equal(three.body.items.length, 3);
  const byType = await api(user, "POST", "/memories/search", {
    query: "museum Paris",
    content_type: "note",
    match_count: 100,
  });
  assert.equal(byType.body.items.length, 6);
  assert.ok(byType.body.items.every((i: { content_type: string }) => i.content_type === "note"));
  const byMeta = await api(user, "POST", "/memories/search", {
    query: "museum Paris",
    metadata: { trip_id: 1 },
    match_count: 100,
  });
  assert.equal(byMeta.body.items.length, 4);
  assert.ok(
    byMeta.body.items.every((i: { metadata: { trip_id: number } }) => i.metadata.trip_id === 1),
  );

  const bad: [unknown, string][] = [
    [{ query: "x", match_count: 0 }, "match_count"],
    [{ query: "x", match_count: 101 }, "match_count"],
    [{ query: "x", match_count: 2.5 }, "match_count"],
    [{ query: "x", min_similarity: 1.5 }, "min_similarity"],
    [{ query: "x", min_similarity: -0.1 }, "min_similarity"],
    [{ query: "" }, "query"],
    [{ query: "x", content_type: "dream" }, "content_type"],
    [{ query: "x", metadata: [1] }, "metadata"],
    [{ query: "x", extra: 1 }, "body"],
  ];
  for (const [body, field] of bad) {
    const res = await api(user, "POST", "/memories/search", body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.ok(
      res.body.details.fields.some((f: { field: string }) => f.field === field),
      JSON.stringify(res.body),
    );
  }

  // Listing: newest first, filters, a cursor that walks every row exactly once.
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page: Reply = await api(
      user,
      "GET",
      `/memories?limit=5${cursor ? `&cursor=${cursor}` : ""}`,
    );
    assert.equal(page.status, 200, JSON.stringify(page.body));
    seen.push(...page.body.items.map((i: { id: string }) => i.id));
    cursor = page.body.next_cursor;
  } while (cursor);
  assert.equal(seen.length, 12);
  assert.equal(new Set(seen).size, 12);
  const metaList = await api(
    user,
    "GET",
    `/memories?metadata=${encodeURIComponent('{"trip_id":2}')}`,
  );
  assert.equal(metaList.body.items.length, 4);
  const typeList = await api(user, "GET", "/memories?content_type=trip_context&limit=100");
  assert.equal(typeList.body.items.length, 6);
  for (
    const q of [
      "limit=0",
      "limit=101",
      "metadata=[1]",
      "metadata=nope",
      "cursor=garbage",
      "content_type=x",
    ]
  ) {
    const res = await api(user, "GET", `/memories?${q}`);
    assert.ok(res.status === 400 || res.status === 422, `${q}: ${res.status}`);
  }
});

Deno.test("memories: batch limits and bad bodies are refused before any upstream call", async () => {
  const user = await userWithKey("mem-limits");
  const before = await upstreamCalls();
  const cases: [unknown, number][] = [
    [{ memories: Array.from({ length: 257 }, (_, i) => ({ content: `m${i}` })) }, 400],
    [{ memories: [] }, 400],
    [
      {
        memories: Array.from({ length: 100 }, (_, i) => ({ content: `${i} ${"x".repeat(7000)}` })),
      },
      400,
    ],
    [{ content: "x".repeat(8001) }, 400],
    [{ content: "   " }, 400],
    [{ content: "ok", content_type: "dream" }, 400],
    [{ content: "ok", metadata: "nope" }, 400],
    [{ content: "ok", metadata: { deep: "x".repeat(20_000) } }, 400],
    [{ contents: "typo" }, 400],
    [[{ content: "an array is not a body" }], 400],
    // What Postgres text cannot hold is refused before any embedding call.
    [{ content: "nul \u0000 inside" }, 400],
    [{ memories: [{ content: "fine" }, { content: "x", metadata: { "k\u0000": 1 } }] }, 400],
  ];
  for (const [body, status] of cases) {
    const res = await api(user, "POST", "/memories", body);
    assert.equal(res.status, status, JSON.stringify(res.body).slice(0, 300));
    assert.equal(res.body.code, "VALIDATION_FAILED");
  }
  const huge = await api(
    user,
    "POST",
    "/memories",
    JSON.stringify({ content: "x".repeat(5 * 1024 * 1024) }),
  );
  assert.equal(huge.status, 413);
  assert.equal((await api(user, "POST", "/memories", "{not json")).status, 400);
  const after = await upstreamCalls();
  assert.equal(after.embeddings_requests, before.embeddings_requests);

  const full = await api(user, "POST", "/memories", {
    memories: Array.from(
      { length: 256 },
      (_, i) => ({ content: `memory number ${i} of a full batch` }),
    ),
  });
  assert.equal(full.status, 201);
  assert.equal(full.body.created, 256);
  const last = await upstreamCalls();
  assert.equal(last.embeddings_requests - after.embeddings_requests, 1);
});

Deno.test("memories: no key, refused key, rate limits, timeouts and outages store nothing", async () => {
  const nokey = await newUser("mem-nokey");
  const missing = await api(nokey, "POST", "/memories", { content: "hello" });
  assert.equal(missing.status, 424);
  assert.equal(missing.body.code, "OPENAI_KEY_REQUIRED");
  assert.match(missing.body.message, /api-keys/);
  assert.equal((await api(nokey, "POST", "/memories/search", { query: "hello" })).status, 424);

  const refused = await newUser("mem-refused");
  await api(refused, "POST", "/api-keys", {
    service_name: "openai",
    key_name: "typo",
    value: "sk-not-the-right-key-123",
  });
  const rejected = await api(refused, "POST", "/memories", { content: "hello" });
  assert.equal(rejected.status, 422);
  assert.equal(rejected.body.code, "API_KEY_REJECTED");
  assert.match(rejected.body.message, /your OpenAI key was rejected/);
  assert.ok(!JSON.stringify(rejected.body).includes("sk-not-the-right-key"));

  const user = await userWithKey("mem-faults");
  // An inactive key is not used.
  const [key] = (await api(user, "GET", "/api-keys")).body.items;
  await api(user, "PATCH", `/api-keys/${key.id}`, { is_active: false });
  assert.equal((await api(user, "POST", "/memories", { content: "hello" })).status, 424);
  await api(user, "PATCH", `/api-keys/${key.id}`, { is_active: true });

  const failures: [Record<string, number>, number, string][] = [
    [{ status: 429, retry_after: 11, count: 1 }, 429, "UPSTREAM_RATE_LIMITED"],
    [{ status: 500, count: 1 }, 502, "UPSTREAM_ERROR"],
    [{ status: 503, count: 1 }, 502, "UPSTREAM_ERROR"],
    [{ latency_ms: 4000, count: 1 }, 504, "UPSTREAM_TIMEOUT"],
  ];
  try {
    for (const [f, status, code] of failures) {
      for (
        const [path, body] of [["/memories", { memories: [{ content: "a" }, { content: "b" }] }], [
          "/memories/search",
          { query: "a" },
        ]] as const
      ) {
        await faults(f);
        const res = await api(user, "POST", path, body);
        assert.equal(
          res.status,
          status,
          `${JSON.stringify(f)} ${path}: ${JSON.stringify(res.body)}`,
        );
        assert.equal(res.body.code, code);
        if (status === 429) assert.equal(res.headers.get("retry-after"), "11");
        await faults(null);
      }
    }
  } finally {
    await faults(null);
  }
  assert.deepEqual((await api(user, "GET", "/memories")).body.items, [], "no partial rows");
  const ok = await api(user, "POST", "/memories", {
    memories: [{ content: "a" }, { content: "b" }],
  });
  assert.equal(ok.status, 201, "the same request works once the upstream is back");
});

// A small deterministic PRNG, so the recall corpus is the same on every run.
function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("memories: top 10 equals the brute-force top 10 for small and large users", async () => {
  const rand = mulberry32(20261124);
  const vocabulary = Array.from({ length: 400 }, (_, i) => `w${i.toString(36)}`);
  const sentence = () =>
    Array.from(
      { length: 4 + Math.floor(rand() * 8) },
      () => vocabulary[Math.floor(rand() * vocabulary.length)],
    )
      .join(" ");
  // 30 users: one with 3,000 rows, the rest skewed between 3 and ~400; ~6,000 rows in all.
  const sizes = [
    3000,
    ...Array.from({ length: 29 }, (_, i) => Math.max(3, Math.round(400 / (i + 1)))),
  ];
  const users = await Promise.all(
    sizes.map((_, i) => i < 2 ? userWithKey(`recall${i}`) : newUser(`recall${i}`)),
  );
  await withAdminDb(async (db) => {
    for (let u = 0; u < users.length; u++) {
      const texts = Array.from({ length: sizes[u] }, (_, i) => `${sentence()} ${i}`);
      for (let i = 0; i < texts.length; i += 500) {
        const chunk = texts.slice(i, i + 500);
        await db.query`
          with x as (
            select t, v from unnest(${chunk}::text[], ${
          chunk.map((t) => `[${embed(t, DIMENSIONS).join(",")}]`)
        }::text[]) as x(t, v)
          ), m as (
            insert into public.memory_embeddings (user_id, content_text, content_type)
            select ${users[u].id}::uuid, x.t, 'note' from x
            returning id, user_id, content_text)
          insert into public.memory_vectors (id, user_id, embedding)
          select m.id, m.user_id, x.v::extensions.vector from m join x on x.t = m.content_text`;
      }
    }
    // The 3,000-row user gets a graph of their own: the walk is what is checked (pg_cron's
    // every-minute run may hold the sync's lock for a moment: then it is asked again).
    for (;;) {
      const [run] = await db.query<{ r: { busy?: boolean } }>`
        select private.sync_memory_graphs(null) as r`;
      if (!run.r.busy) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const [graph] = await db.query<{ graph: number }>`
      select graph from private.memory_graph_users where user_id = ${users[0].id}::uuid`;
    assert.ok(graph?.graph >= 1, "the large user has a graph");
  });
  const large = users[0];
  const small = users[1]; // 400 rows
  await withAdminDb(async (db) => {
    for (const user of [large, small]) {
      for (let q = 0; q < 8; q++) {
        const query = sentence();
        const res = await api(user, "POST", "/memories/search", {
          query,
          match_count: 10,
          mode: "vector",
        });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        // Brute force: every row of the user, no index at all, same ordering rule.
        const exact = await db.queryRaw<{ id: string }>(
          `select e.id from public.memory_embeddings e join public.memory_vectors v on v.id = e.id
            where e.user_id = $1 and e.model = 'text-embedding-3-small'
            order by (v.embedding operator(extensions.<=>) $2::extensions.vector) + 0, e.id limit 10`,
          [user.id, `[${embed(query, DIMENSIONS).join(",")}]`],
        );
        assert.deepEqual(
          res.body.items.map((i: { id: string }) => i.id),
          exact.map((r) => r.id),
          `user with ${user === large ? 3000 : 400} rows, query '${query}'`,
        );
      }
    }
  });
});

Deno.test("memories: the user's own key first, then the deployment's OPENAI_API_KEY, else 424", async () => {
  const keyring = await loadKeyring();
  const user = await newUser("mem-server-key");
  const saved = Deno.env.get("OPENAI_API_KEY");
  try {
    await withAdminDb(async (db) => {
      Deno.env.delete("OPENAI_API_KEY");
      await assert.rejects(openAiKeyFor(db, keyring, user.id), (e: unknown) => {
        assert.ok(e instanceof ApiError && e.status === 424 && e.code === "OPENAI_KEY_REQUIRED");
        return true;
      });
      Deno.env.set("OPENAI_API_KEY", "sk-deployment-key");
      assert.deepEqual(await openAiKeyFor(db, keyring, user.id), {
        value: "sk-deployment-key",
        owner: "server",
      });
      await api(user, "POST", "/api-keys", {
        service_name: "openai",
        key_name: "mine",
        value: "sk-users-own-key",
      });
      assert.deepEqual(await openAiKeyFor(db, keyring, user.id), {
        value: "sk-users-own-key",
        owner: "user",
      });
    });
  } finally {
    if (saved === undefined) Deno.env.delete("OPENAI_API_KEY");
    else Deno.env.set("OPENAI_API_KEY", saved);
  }
});

Deno.test("memories: one graph sync at a time, the other returns busy", async () => {
  // Two syncs would create the same new partition; the second must step aside, not
  // fail. The lock is the one the sync takes.
  const pool = new pg.Pool({ connectionString: env("SUPABASE_DB_URL"), max: 2 });
  const holder = await pool.connect();
  try {
    await holder.query("begin");
    await holder.query("select pg_advisory_xact_lock(hashtext('private.sync_memory_graphs'))");
    const busy = await pool.query("select private.sync_memory_graphs() as r");
    assert.deepEqual(busy.rows[0].r, { busy: true });
    await holder.query("rollback");
    const free = await pool.query("select private.sync_memory_graphs() as r");
    assert.equal(free.rows[0].r.busy, undefined);
  } finally {
    holder.release();
    await pool.end();
  }
});

Deno.test("memories: hybrid search finds names and codes, each mode on its own", async () => {
  const user = await userWithKey("mem-hybrid");
  const stored = await api(user, "POST", "/memories", {
    memories: [
      { content: "Booked flight LH 123 from Frankfurt on 12 May" },
      { content: "Prefers window seats" },
      { content: "Stayed at the Hotel Kyoto Granvia last spring" },
      { content: "Allergic to peanuts" },
    ],
  });
  assert.equal(stored.status, 201, stored.text);
  const [flight, seat, kyoto] = stored.body.ids;
  const top = async (query: string, mode?: string) => {
    const r = await api(user, "POST", "/memories/search", {
      query,
      match_count: 3,
      ...(mode ? { mode } : {}),
    });
    assert.equal(r.status, 200, r.text);
    return r.body.items as {
      id: string;
      similarity: number | null;
      keyword_rank: number | null;
      score: number;
    }[];
  };
  // A code and a name: the words match where the embedding is weakest.
  assert.equal((await top("LH123 flight?"))[0].id, flight);
  assert.equal((await top("anything near Granvia"))[0].id, kyoto);
  // A question whose words are mostly not in the memory still finds it.
  assert.equal((await top("Which seat should I pick?"))[0].id, seat);
  // The modes: keyword ranks only memories that share a word, vector ranks every one.
  const keyword = await top("Frankfurt", "keyword");
  assert.deepEqual(keyword.map((i) => i.id), [flight]);
  assert.ok(keyword[0].keyword_rank! > 0 && keyword[0].similarity === null);
  const vector = await top("Frankfurt", "vector");
  assert.equal(vector.length, 3);
  assert.ok(vector.every((i) => i.keyword_rank === null && typeof i.similarity === "number"));
  // Keyword mode needs no embedding: no upstream call.
  const before = await upstreamCalls();
  await top("peanuts unrelated words", "keyword");
  assert.equal((await upstreamCalls()).embeddings_requests, before.embeddings_requests);
  const bad = await api(user, "POST", "/memories/search", { query: "x", mode: "fuzzy" });
  assert.equal(bad.status, 400);
});

Deno.test("memories: a new graph is built without locking searches out", async () => {
  // CREATE TABLE ... PARTITION OF would hold memory_vectors exclusively until the sync's
  // commit; the sync builds a new graph beside it and attaches it. While its
  // transaction is open, other sessions search, and no relation of the memories is
  // held exclusively.
  const pool = new pg.Pool({ connectionString: env("SUPABASE_DB_URL"), max: 2 });
  const large = await newUser("graph-lock-large");
  const other = await newUser("graph-lock-other");
  const vector = `[${embed("anything at all", DIMENSIONS).join(",")}]`;
  const sync = await pool.connect();
  const bystander = await pool.connect();
  try {
    await sync.query(
      `with m as (
         insert into public.memory_embeddings (user_id, content_text, content_type)
         select $1, 'row ' || g, 'note' from generate_series(1, 2001) g returning id, user_id)
       insert into public.memory_vectors (id, user_id, embedding)
       select id, user_id, $2::extensions.vector from m`,
      [large.id, vector],
    );
    await sync.query("begin");
    let built = { busy: true } as { busy?: boolean; graphs_built?: number };
    while (built.busy) { // pg_cron's run may hold the lock for a moment
      built = (await sync.query("select private.sync_memory_graphs(null) as r")).rows[0].r;
      if (built.busy) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok((built.graphs_built ?? 0) >= 1, JSON.stringify(built));
    const { rows: [{ pid }] } = await sync.query("select pg_backend_pid() as pid");
    await bystander.query("set lock_timeout = '2s'");
    await bystander.query(
      `select count(*) from public.memory_vectors where user_id = $1 and graph = 0`,
      [other.id],
    );
    const { rows: exclusive } = await bystander.query(
      `select c.relname from pg_locks l join pg_class c on c.oid = l.relation
        where l.pid = $1 and l.mode = 'AccessExclusiveLock'
          and c.relname in ('memory_vectors', 'memory_vectors_0', 'memory_embeddings')`,
      [pid],
    );
    assert.deepEqual(exclusive, []);
    await sync.query("commit");
    const { rows: [moved] } = await bystander.query(
      `select count(*)::int as n from public.memory_vectors where user_id = $1 and graph > 0`,
      [large.id],
    );
    assert.equal(moved.n, 2001, "the large user's rows are in their graph");
  } finally {
    await sync.query("rollback").catch(() => {});
    sync.release();
    bystander.release();
    await pool.end();
  }
});
