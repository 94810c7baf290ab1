// The chat function over HTTP against the test stack and its local OpenAI-compatible
// model: sessions, streamed turns (the text streamed is the text stored), idempotent
// sends, isolation, grounding in memories and the trip, learning from turns (in the
// background and by the sweep), client aborts, upstream failures before and during the
// stream, expired sessions, and what the Data API lets a client write.
import assert from "node:assert/strict";
import {
  env,
  FUNCTIONS_URL,
  localOpenAi,
  newUser,
  request,
  type TestUser,
  userWithKey,
} from "../harness/stack.ts";
import { asDataApi, withAdminDb } from "./support.ts";

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Server-sent events of a whole body; comment lines are counted apart. */
function parseSse(text: string): { events: SseEvent[]; comments: number } {
  const events: SseEvent[] = [];
  let comments = 0;
  for (const block of text.split("\n\n")) {
    if (!block.trim()) continue;
    let event = "message";
    let data = "";
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) comments++;
      else if (line.startsWith("event: ")) event = line.slice(7);
      else if (line.startsWith("data: ")) data += line.slice(6);
    }
    if (data) events.push({ event, data: JSON.parse(data) });
  }
  return { events, comments };
}

async function send(
  user: TestUser,
  sessionId: string,
  body: Record<string, unknown>,
) {
  const res = await fetch(
    `${FUNCTIONS_URL()}/chat/sessions/${sessionId}/messages`,
    {
      method: "POST",
      headers: {
        Authorization: `Bearer ${user.token}`,
        "content-type": "application/json",
      },
      body: JSON.stringify(body),
    },
  );
  const text = await res.text();
  return {
    res,
    text,
    ...parseSse(
      res.headers.get("content-type")?.startsWith("text/event-stream") ? text : "",
    ),
  };
}

const deltas = (events: SseEvent[]) =>
  events.filter((e) => e.event === "delta").map((e) => e.data.text).join("");

async function session(
  user: TestUser,
  body: Record<string, unknown> = {},
): Promise<string> {
  const r = await request(user, "POST", "/chat/sessions", body);
  assert.equal(r.status, 201, r.text);
  return r.body.id;
}

async function messages(user: TestUser, sessionId: string) {
  const r = await request(
    user,
    "GET",
    `/chat/sessions/${sessionId}/messages?limit=100`,
  );
  assert.equal(r.status, 200, r.text);
  return r.body.items as Record<string, unknown>[];
}

const faults = (f: Record<string, unknown>) =>
  localOpenAi("/__faults", { method: "POST", body: JSON.stringify(f) }).then((
    r,
  ) => r.text());
const clearFaults = () => localOpenAi("/__faults", { method: "DELETE" }).then((r) => r.text());

async function lastChatRequest(): Promise<Record<string, unknown>> {
  const r = await localOpenAi("/__requests");
  const items = (await r.json()).items as Record<string, unknown>[];
  return items.filter((b) => b.stream === true).at(-1)!;
}

/** Polls until `check` holds (background work), failing after `ms`. */
async function eventually<T>(
  what: string,
  check: () => Promise<T | null>,
  ms = 15_000,
) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sweep = () =>
  fetch(`${FUNCTIONS_URL()}/chat/admin/sweep`, {
    method: "POST",
    headers: {
      apikey: env("SUPABASE_SECRET_KEY"),
      "content-type": "application/json",
    },
    body: "{}",
  }).then(async (r) => ({ status: r.status, body: await r.json() }));

Deno.test("chat: a turn streams meta, deltas and done, and stores exactly what it streamed", async () => {
  const user = await userWithKey("chat-turn");
  const id = await session(user, { title: "Lisbon", remember: false });
  const { res, events } = await send(user, id, {
    content: "Where should I eat in Lisbon?",
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type")!, /^text\/event-stream/);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  assert.equal(events[0].event, "meta");
  assert.equal(events.at(-1)!.event, "done");
  const text = deltas(events);
  assert.match(
    text,
    /^\(local model\) You said: Where should I eat in Lisbon\?/,
  );
  assert.ok(
    events.filter((e) => e.event === "delta").length > 3,
    "streamed in pieces",
  );
  const done = events.at(-1)!.data as {
    finish_reason: string;
    usage: Record<string, number>;
  };
  assert.equal(done.finish_reason, "stop");
  assert.ok(done.usage.prompt_tokens > 0 && done.usage.completion_tokens > 0);

  const stored = await messages(user, id);
  assert.equal(stored.length, 2, "one user and one assistant row");
  assert.deepEqual(stored.map((m) => [m.role, m.status]), [
    ["user", "complete"],
    [
      "assistant",
      "complete",
    ],
  ]);
  assert.equal(stored[1].content, text, "the text streamed is the text stored");
  assert.equal(stored[1].id, events[0].data.assistant_message_id);
  assert.equal(stored[0].id, events[0].data.user_message_id);
  assert.deepEqual(stored[1].usage, done.usage);
  assert.equal(stored[1].reply_to, stored[0].id);
  assert.ok(typeof stored[1].model === "string");

  // The next turn carries the history.
  await send(user, id, { content: "And for dessert?" });
  const prompt = await lastChatRequest();
  const roles = (prompt.messages as { role: string; content: string }[]).map((
    m,
  ) => m.role);
  assert.deepEqual(roles, ["system", "system", "user", "assistant", "user"]);
});

Deno.test("chat: a repeated client_message_id replays the turn instead of starting another", async () => {
  const user = await userWithKey("chat-idem");
  const id = await session(user, { remember: false });
  const first = await send(user, id, {
    content: "Hello",
    client_message_id: "m-1",
  });
  const again = await send(user, id, {
    content: "Hello",
    client_message_id: "m-1",
  });
  assert.equal(again.res.status, 200);
  assert.equal(
    again.events[0].data.user_message_id,
    first.events[0].data.user_message_id,
  );
  assert.equal(again.events[0].data.replay, true);
  assert.equal(deltas(again.events), deltas(first.events));
  assert.equal(again.events.at(-1)!.event, "done");
  assert.equal((await messages(user, id)).length, 2);
  // The same id in another session is another message.
  const other = await session(user, { remember: false });
  await send(user, other, { content: "Hello", client_message_id: "m-1" });
  assert.equal((await messages(user, other)).length, 2);
});

Deno.test("chat: sessions are the caller's alone; every route answers 404 to another user", async () => {
  const owner = await userWithKey("chat-owner");
  const stranger = await userWithKey("chat-stranger");
  const trip = await request(owner, "POST", "/trips", {
    name: "Porto",
    destination: "Porto",
    budget: 900,
    start_date: "2027-06-01",
    end_date: "2027-06-05",
  });
  assert.equal(trip.status, 201, trip.text);
  const id = await session(owner, {
    title: "Porto plans",
    trip_id: trip.body.id,
  });
  await send(owner, id, { content: "Hi" });

  // Another user's trip cannot be linked: same answer as a trip that does not exist.
  const foreign = await request(stranger, "POST", "/chat/sessions", {
    trip_id: trip.body.id,
  });
  assert.equal(foreign.status, 404, foreign.text);

  const routes: [string, string, unknown?][] = [
    ["GET", `/chat/sessions/${id}`],
    ["PATCH", `/chat/sessions/${id}`, { title: "mine now" }],
    ["DELETE", `/chat/sessions/${id}`],
    ["GET", `/chat/sessions/${id}/messages`],
    ["POST", `/chat/sessions/${id}/messages`, { content: "hi" }],
  ];
  for (const [method, path, body] of routes) {
    const r = await request(stranger, method, path, body);
    assert.equal(r.status, 404, `${method} ${path}: ${r.text}`);
    assert.equal(r.body.code, "NOT_FOUND");
  }
  const list = await request(stranger, "GET", "/chat/sessions");
  assert.deepEqual(list.body.items, []);
  assert.equal(
    (await messages(owner, id)).length,
    2,
    "nothing was added by the stranger",
  );
  const kept = await request(owner, "GET", `/chat/sessions/${id}`);
  assert.equal(kept.body.title, "Porto plans");

  // Through the Data API: nothing of the session is visible.
  const seen = await asDataApi(
    stranger,
    "select id from public.chat_messages where session_id = $1",
    [id],
  );
  assert.deepEqual(seen.rows, []);
});

Deno.test("chat: sessions list with a cursor, rename, delete", async () => {
  const user = await newUser("chat-sessions");
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push(await session(user, { title: `s${i}` }));
  const seen: string[] = [];
  let cursor = "";
  for (let page = 0; page < 5; page++) {
    const r = await request(
      user,
      "GET",
      `/chat/sessions?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
    );
    assert.equal(r.status, 200, r.text);
    seen.push(...r.body.items.map((s: { id: string }) => s.id));
    if (!r.body.next_cursor) break;
    cursor = r.body.next_cursor;
  }
  assert.deepEqual(seen, [...ids].reverse(), "newest first, each once");
  const bad = await request(
    user,
    "GET",
    "/chat/sessions?cursor=bm90LWEtY3Vyc29y",
  );
  assert.equal(bad.status, 400);

  const renamed = await request(user, "PATCH", `/chat/sessions/${ids[0]}`, {
    title: "Renamed",
  });
  assert.equal(renamed.status, 200, renamed.text);
  assert.equal(renamed.body.title, "Renamed");
  assert.equal(renamed.body.is_active, true);
  assert.equal(
    (await request(user, "PATCH", `/chat/sessions/${ids[0]}`, {})).status,
    400,
  );
  assert.equal(
    (await request(user, "PATCH", `/chat/sessions/${ids[0]}`, {
      is_active: false,
    })).status,
    400,
  );
  assert.equal(
    (await request(user, "DELETE", `/chat/sessions/${ids[0]}`)).status,
    204,
  );
  assert.equal(
    (await request(user, "GET", `/chat/sessions/${ids[0]}`)).status,
    404,
  );
  assert.equal(
    (await request(user, "GET", "/chat/sessions/not-a-uuid")).status,
    404,
  );
});

Deno.test("chat: bad messages are 4xx before anything is stored", async () => {
  const user = await userWithKey("chat-bad");
  const id = await session(user);
  for (
    const body of [{}, { content: "" }, { content: "   " }, {
      content: "x".repeat(8001),
    }, {
      content: "hi",
      client_message_id: "has spaces",
    }, { content: "hi", role: "assistant" }]
  ) {
    const r = await request(
      user,
      "POST",
      `/chat/sessions/${id}/messages`,
      body,
    );
    assert.equal(
      r.status,
      400,
      `${JSON.stringify(body).slice(0, 60)}: ${r.text}`,
    );
    assert.equal(r.body.code, "VALIDATION_FAILED");
  }
  const plain = await fetch(`${FUNCTIONS_URL()}/chat/sessions/${id}/messages`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${user.token}`,
      "content-type": "text/plain",
    },
    body: "hi",
  });
  await plain.body?.cancel();
  assert.equal(plain.status, 415);
  assert.deepEqual(await messages(user, id), []);

  // No key: 424, and nothing stored.
  const keyless = await newUser("chat-keyless");
  const kid = await session(keyless);
  const r = await request(keyless, "POST", `/chat/sessions/${kid}/messages`, {
    content: "hi",
  });
  assert.equal(r.status, 424, r.text);
  assert.equal(r.body.code, "OPENAI_KEY_REQUIRED");
  assert.deepEqual(await messages(keyless, kid), []);
});

Deno.test("chat: the prompt holds the trip and the caller's memories, never another user's", async () => {
  const user = await userWithKey("chat-grounded");
  const other = await userWithKey("chat-other");
  for (
    const [u, content] of [[user, "Prefers aisle seats on long flights"], [
      other,
      "Prefers window seats and karaoke bars",
    ]] as const
  ) {
    const r = await request(u, "POST", "/memories", {
      content,
      content_type: "preference",
    });
    assert.equal(r.status, 201, r.text);
  }
  const trip = await request(user, "POST", "/trips", {
    name: "Tokyo spring",
    destination: "Tokyo",
    budget: 4000,
    start_date: "2027-03-25",
    end_date: "2027-04-02",
  });
  const flight = await request(user, "POST", `/trips/${trip.body.id}/flights`, {
    origin: "LIS",
    destination: "NRT",
    flight_number: "NH216",
    departure_time: "2027-03-25T10:00:00Z",
    arrival_time: "2027-03-26T06:00:00Z",
    price: 900,
  });
  assert.equal(flight.status, 201, flight.text);
  const id = await session(user, { trip_id: trip.body.id, remember: false });
  const { res, text, events } = await send(user, id, {
    content: "Which seats should I book for my flights?",
  });
  assert.equal(res.status, 200, text);

  const prompt = JSON.stringify(await lastChatRequest());
  assert.match(prompt, /Prefers aisle seats on long flights/);
  assert.match(prompt, /possibly outdated/);
  assert.match(prompt, /Tokyo spring/);
  assert.match(prompt, /NH216/);
  assert.doesNotMatch(
    prompt,
    /karaoke/,
    "another user's memory never reaches the prompt",
  );
  const memoryIds = events[0].data.memory_ids as string[];
  assert.equal(memoryIds.length, 1);
  const reply = deltas(events);
  assert.match(reply, /I remember: Prefers aisle seats on long flights\./);
  assert.match(
    reply,
    /Your trip: Tokyo spring \(Tokyo, 2027-03-25 to 2027-04-02\)/,
  );
});

Deno.test("chat: grounded in related memories by hybrid retrieval, an off-topic question in none", async () => {
  const user = await userWithKey("chat-grounding");
  const stored = await request(user, "POST", "/memories", {
    memories: [{ content: "Prefers window seats" }, { content: "Booked flight LH 123 to Kyoto" }],
  });
  assert.equal(stored.status, 201, stored.text);
  const id = await session(user, { remember: false });
  const ask = async (content: string) => {
    const { events } = await send(user, id, { content });
    return events[0].data.memory_ids as string[];
  };
  assert.deepEqual(await ask("Which seat should I pick?"), [stored.body.ids[0]]);
  assert.ok((await ask("Is LH123 on time?")).includes(stored.body.ids[1]));
  assert.deepEqual(await ask("What is the capital of Peru?"), []);
});

Deno.test("chat: completed turns are learnt from in the background, with their source", async () => {
  const user = await userWithKey("chat-learns");
  const id = await session(user);
  const { events } = await send(user, id, {
    content: "I am vegetarian. I prefer window seats.",
  });
  const userMessageId = events[0].data.user_message_id;
  const learnt = await eventually("the memory job", async () => {
    const r = await request(user, "GET", "/memories?limit=10");
    return r.body.items.length === 2 ? r.body.items : null;
  });
  const veg = learnt.find((m: { content: string }) => m.content === "Is vegetarian");
  assert.ok(veg, JSON.stringify(learnt));
  const history = await request(user, "GET", `/memories/${veg.id}/history`);
  assert.deepEqual(
    history.body.items.map((h: Record<string, unknown>) => [
      h.event,
      h.actor,
      h.session_id,
      h.message_id,
    ]),
    [["ADD", "extractor", id, userMessageId]],
  );
  // The assistant's words are not facts; the model's reply is not remembered.
  assert.ok(
    !learnt.some((m: { content: string }) => /local model/.test(m.content)),
  );

  // A session that does not remember learns nothing.
  const quiet = await userWithKey("chat-quiet");
  const qid = await session(quiet, { remember: false });
  await send(quiet, qid, { content: "I am allergic to peanuts." });
  await new Promise((r) => setTimeout(r, 500));
  const none = await request(quiet, "GET", "/memories");
  assert.deepEqual(none.body.items, []);
  await withAdminDb(async (admin) => {
    const jobs = await admin
      .query`select 1 from private.memory_jobs where session_id = ${qid}`;
    assert.equal(jobs.length, 0);
  });
});

Deno.test("chat: the sweep runs jobs whose worker died and closes replies left streaming", async () => {
  const user = await userWithKey("chat-sweep");
  const id = await session(user, { remember: false });
  await send(user, id, { content: "I am travelling with my dog." });
  const [u, a] = await messages(user, id);
  await withAdminDb(async (admin) => {
    // A job claimed by a worker that died, and a reply whose function died mid-stream.
    await admin.query`
      insert into private.memory_jobs (user_id, session_id, user_message_id,
        assistant_message_id, status, attempts, locked_until)
      values (${user.id}, ${id}, ${u.id}, ${a.id}, 'running', 1, now() - interval '1 minute')`;
    await admin.query`
      insert into public.chat_messages (session_id, role, content, status, created_at)
      values (${id}, 'assistant', 'half a rep', 'streaming', now() - interval '1 hour')`;
  });
  const r = await sweep();
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.ok(r.body.jobs.done >= 1, JSON.stringify(r.body));
  assert.ok(r.body.replies_closed >= 1, JSON.stringify(r.body));
  const mem = await request(user, "GET", "/memories");
  assert.deepEqual(mem.body.items.map((m: { content: string }) => m.content), [
    "Travels with their dog",
  ]);
  const stale = (await messages(user, id)).find((m) => m.content === "half a rep")!;
  assert.deepEqual([stale.status, stale.finish_reason], [
    "error",
    "interrupted",
  ]);

  // Operators only.
  const refused = await request(user, "POST", "/chat/admin/sweep", {});
  assert.equal(refused.status, 401);
});

Deno.test("chat: a memory job whose model answers are unusable is kept for the sweep", async () => {
  const user = await userWithKey("chat-unusable");
  const id = await session(user);
  // The reply, then two unusable extraction answers (the first try and its retry).
  await localOpenAi("/__responses", {
    method: "POST",
    body: JSON.stringify({
      responses: [{ content: "Noted!" }, { content: "{oops" }, { content: "{oops" }],
    }),
  });
  const { events } = await send(user, id, { content: "I am vegetarian." });
  assert.equal(events.at(-1)?.event, "done");
  const job = await eventually("the failed attempt", () =>
    withAdminDb(async (admin) => {
      const [row]: { status: string; attempts: number; last_error: string | null }[] = await admin
        .query`select status::text, attempts, last_error from private.memory_jobs
                where session_id = ${id}`;
      return row?.last_error ? row : null;
    }));
  assert.equal(job.status, "pending");
  assert.equal(job.attempts, 1);
  assert.match(job.last_error!, /^MODEL_OUTPUT_INVALID: /);
  assert.deepEqual((await request(user, "GET", "/memories")).body.items, []);
  // Due again (as after its backoff): the sweep learns from it.
  await withAdminDb((admin) =>
    admin.query`update private.memory_jobs set next_attempt_at = now() where session_id = ${id}`
  );
  const r = await sweep();
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const mem = await request(user, "GET", "/memories");
  assert.deepEqual(mem.body.items.map((m: { content: string }) => m.content), ["Is vegetarian"]);
});

Deno.test("chat: upstream failures before the stream are statuses, during it an error event", async () => {
  const user = await userWithKey("chat-faults");
  const id = await session(user, { remember: false });
  try {
    // Rate limited before the first byte: 429 with Retry-After, the turn stored as error.
    await faults({
      status: 429,
      retry_after: 7,
      count: 1,
      path: "chat/completions",
    });
    const limited = await request(
      user,
      "POST",
      `/chat/sessions/${id}/messages`,
      {
        content: "one",
      },
    );
    assert.equal(limited.status, 429, limited.text);
    assert.equal(limited.headers.get("retry-after"), "7");
    assert.equal(limited.body.code, "UPSTREAM_RATE_LIMITED");
    let stored = await messages(user, id);
    assert.deepEqual(stored.map((m) => [m.role, m.status]), [[
      "user",
      "complete",
    ], [
      "assistant",
      "error",
    ]]);

    // Broken after two tokens: the two are streamed and stored, then an error event.
    await faults({ fail_after_chunks: 2, path: "chat/completions" });
    const broken = await send(user, id, { content: "two" });
    assert.equal(broken.res.status, 200);
    assert.deepEqual(broken.events.map((e) => e.event), [
      "meta",
      "delta",
      "delta",
      "error",
    ]);
    stored = await messages(user, id);
    assert.equal(stored.at(-1)!.status, "error");
    assert.equal(stored.at(-1)!.content, deltas(broken.events));

    // A slow first token: comment keep-alives hold the connection (CHAT_KEEPALIVE_MS=300).
    await faults({ first_token_ms: 1200, path: "chat/completions" });
    const slow = await send(user, id, { content: "three" });
    assert.ok(slow.comments >= 2, `keep-alives: ${slow.comments}`);
    assert.equal(slow.events.at(-1)!.event, "done");
  } finally {
    await clearFaults();
  }
});

Deno.test("chat: a reply past the deadline ends with an error event, stored as error", async () => {
  const user = await userWithKey("chat-deadline");
  const id = await session(user);
  try {
    // ~12 tokens 400 ms apart: longer than the test stack's CHAT_DEADLINE_MS (3 s).
    await faults({ chunk_ms: 400, path: "chat/completions" });
    const { events } = await send(user, id, { content: "Describe every museum in Lisbon" });
    const last = events.at(-1)!;
    assert.equal(last.event, "error");
    assert.equal(last.data.code, "UPSTREAM_TIMEOUT");
    const reply = (await messages(user, id))[1];
    assert.deepEqual([reply.status, reply.finish_reason], ["error", "deadline"]);
    assert.equal(reply.content, deltas(events));
    assert.ok(String(reply.content).length > 0, "what came before the deadline is kept");
  } finally {
    await clearFaults();
  }
});

Deno.test("chat: a client that goes away aborts the reply, stored as aborted", async () => {
  const user = await userWithKey("chat-abort");
  const id = await session(user);
  try {
    await faults({ chunk_ms: 150, path: "chat/completions" });
    const res = await fetch(`${FUNCTIONS_URL()}/chat/sessions/${id}/messages`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${user.token}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({
        content: "Tell me everything about the trams of Lisbon please",
      }),
    });
    const reader = res.body!.getReader();
    let seen = "";
    while (!seen.includes("event: delta")) {
      seen += new TextDecoder().decode((await reader.read()).value);
    }
    // While it streams, another message in the session waits its turn.
    const busy = await request(user, "POST", `/chat/sessions/${id}/messages`, {
      content: "x",
    });
    assert.equal(busy.status, 409, busy.text);
    assert.equal(busy.body.code, "TURN_IN_PROGRESS");
    await reader.cancel();
    const stored = await eventually("the aborted reply", async () => {
      const m = await messages(user, id);
      return m.find((x) => x.role === "assistant" && x.status !== "streaming") ?? null;
    });
    assert.equal(stored.status, "aborted");
    assert.equal(stored.finish_reason, "aborted");
    assert.match(String(stored.content), /^\(local /);
    assert.ok(String(stored.content).length < 60, "cut short");
    await withAdminDb(async (admin) => {
      const jobs = await admin
        .query`select 1 from private.memory_jobs where session_id = ${id}`;
      assert.equal(jobs.length, 0, "an aborted turn is not learnt from");
    });
  } finally {
    await clearFaults();
  }
});

Deno.test("chat: an expired session refuses new messages and keeps its history", async () => {
  const user = await userWithKey("chat-expired");
  const id = await session(user, { remember: false });
  await send(user, id, { content: "Hi" });
  await withAdminDb(async (admin) => {
    await admin.query`update public.chat_sessions
      set last_message_at = now() - interval '25 hours', updated_at = now() - interval '25 hours'
      where id = ${id}`;
    await admin.query`select public.expire_inactive_chat_sessions()`;
  });
  const r = await request(user, "POST", `/chat/sessions/${id}/messages`, {
    content: "again",
  });
  assert.equal(r.status, 409, r.text);
  assert.equal(r.body.code, "SESSION_EXPIRED");
  assert.equal(
    (await messages(user, id)).length,
    2,
    "history readable, nothing added",
  );
  const s = await request(user, "GET", `/chat/sessions/${id}`);
  assert.equal(s.body.is_active, false);
});

Deno.test("chat: through the Data API a client reads messages but cannot write or change them", async () => {
  const user = await userWithKey("chat-data-api");
  const id = await session(user, { remember: false });
  await send(user, id, { content: "Hi" });
  const read = await asDataApi(
    user,
    "select id, role from public.chat_messages where session_id = $1",
    [id],
  );
  assert.equal(read.rows.length, 2);
  const attempts: [string, unknown[]][] = [
    [
      "insert into public.chat_messages (session_id, role, content) values ($1, 'assistant', 'Your booking is confirmed, send payment to ...')",
      [id],
    ],
    [
      "insert into public.chat_messages (session_id, role, content) values ($1, 'user', 'x')",
      [id],
    ],
    [
      "update public.chat_messages set content = 'edited' where session_id = $1",
      [id],
    ],
    [
      "update public.chat_messages set status = 'complete' where session_id = $1",
      [id],
    ],
    ["delete from public.chat_messages where session_id = $1", [id]],
    ["update public.chat_sessions set is_active = true where id = $1", [id]],
    ["select private.chat_finish_turn($1, 1, 'x', 'complete', 'stop', null)", [
      user.id,
    ]],
    ["select * from private.memory_jobs", []],
  ];
  for (const [sql, params] of attempts) {
    const r = await asDataApi(user, sql, params);
    assert.equal(r.code, "42501", `${sql}: ${JSON.stringify(r)}`);
  }
  assert.equal((await messages(user, id)).length, 2);
});
