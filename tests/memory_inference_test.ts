// Memory that learns, over HTTP against the test stack and its local OpenAI-compatible
// model: the acceptance examples, history, restore, isolation of candidates,
// concurrent runs (a model that answers badly: tests/memory_model_answers_test.ts).
import assert from "node:assert/strict";
import { localOpenAi, request, type TestUser, userWithKey } from "../harness/stack.ts";

type Result = { id: string; memory: string; event: string; previous_memory?: string };

const say = async (user: TestUser, ...contents: string[]) => {
  const r = await request(user, "POST", "/memories", {
    messages: contents.map((content) => ({ role: "user", content })),
    infer: true,
  });
  assert.equal(r.status, 200, r.text);
  return r.body as { results: Result[]; usage: Record<string, Record<string, number>> };
};

const active = async (user: TestUser): Promise<string[]> => {
  const r = await request(user, "GET", "/memories?limit=100");
  assert.equal(r.status, 200, r.text);
  return r.body.items.map((m: { content: string }) => m.content).sort();
};

Deno.test("memory inference: the issue's examples, step by step", async () => {
  const user = await userWithKey("infer-steps");
  // 1. Two facts, two ADDs.
  const first = await say(user, "I am vegetarian. I prefer window seats.");
  assert.deepEqual(first.results.map((r) => [r.event, r.memory]), [
    ["ADD", "Is vegetarian"],
    ["ADD", "Prefers window seats"],
  ]);
  assert.equal(first.usage.llm.calls, 1, "no candidates yet: extraction only");
  assert.ok(first.usage.llm.prompt_tokens > 0 && first.usage.embeddings.prompt_tokens > 0);
  const seatId = first.results[1].id;

  // 2. A change of mind updates the seat memory in place.
  const second = await say(user, "Actually I prefer aisle seats now.");
  assert.deepEqual(second.results, [{
    id: seatId,
    memory: "Prefers aisle seats",
    event: "UPDATE",
    previous_memory: "Prefers window seats",
  }]);
  assert.equal(second.usage.llm.calls, 2);
  assert.deepEqual(await active(user), ["Is vegetarian", "Prefers aisle seats"]);
  const seatHistory = await request(user, "GET", `/memories/${seatId}/history`);
  assert.deepEqual(
    seatHistory.body.items.map((h: Record<string, unknown>) => [
      h.event,
      h.old_memory,
      h.new_memory,
      h.actor,
    ]),
    [
      ["ADD", null, "Prefers window seats", "extractor"],
      ["UPDATE", "Prefers window seats", "Prefers aisle seats", "extractor"],
    ],
  );

  // 3. A negation deletes the old fact (kept in its history) and keeps the new one.
  const vegId = first.results[0].id;
  const third = await say(user, "I am no longer vegetarian.");
  assert.deepEqual(third.results.map((r) => [r.event, r.memory]), [
    ["DELETE", "Is vegetarian"],
    ["ADD", "Is no longer vegetarian"],
  ]);
  const now = await active(user);
  assert.ok(!now.includes("Is vegetarian"), JSON.stringify(now));
  assert.deepEqual(now, ["Is no longer vegetarian", "Prefers aisle seats"]);
  const vegHistory = await request(user, "GET", `/memories/${vegId}/history`);
  assert.deepEqual(vegHistory.body.items.map((h: { event: string }) => h.event), ["ADD", "DELETE"]);
  assert.equal(vegHistory.body.items[1].old_memory, "Is vegetarian");
  const search = await request(user, "POST", "/memories/search", { query: "vegetarian" });
  assert.ok(
    !search.body.items.some((m: { content: string }) => m.content === "Is vegetarian"),
    "a deleted memory is not searchable",
  );

  // Restorable, and saying a known fact again is NONE without a decision call.
  const restored = await request(user, "POST", `/memories/${vegId}/restore`);
  assert.equal(restored.status, 200);
  assert.equal(restored.body.deleted_at, null);
  const again = await say(user, "I prefer aisle seats.");
  assert.deepEqual(again.results, [{ id: seatId, memory: "Prefers aisle seats", event: "NONE" }]);
  assert.equal(again.usage.llm.calls, 1, "an exact repeat needs no decision");
});

Deno.test("memory inference: candidates are the caller's own memories only", async () => {
  const other = await userWithKey("infer-other");
  await say(other, "I prefer window seats by the wing.");
  const me = await userWithKey("infer-me");
  await say(me, "I prefer window seats.");
  await localOpenAi("/__requests", { method: "DELETE" });
  const out = await say(me, "I prefer aisle seats.");
  const seen = await (await localOpenAi("/__requests")).json();
  const prompts = JSON.stringify(seen.items);
  assert.ok(!prompts.includes("by the wing"), "another user's memory reached the prompt");
  assert.ok(prompts.includes("Prefers window seats"), "own memories are candidates");
  assert.deepEqual(out.results.map((r) => r.event), ["UPDATE"]);
});

Deno.test("memory inference: the same conversation twice at once stores each fact once", async () => {
  const user = await userWithKey("infer-race");
  const said = "I am allergic to peanuts. I prefer boutique hotels.";
  const [a, b] = await Promise.all([say(user, said), say(user, said)]);
  assert.deepEqual(await active(user), ["Is allergic to peanuts", "Prefers boutique hotels"]);
  const events = [...a.results, ...b.results].map((r) => r.event).sort();
  assert.deepEqual(events, ["ADD", "ADD", "NONE", "NONE"]);
});

Deno.test("memory inference: memories the user wrote are never changed by the extractor", async () => {
  const user = await userWithKey("infer-own");
  const own = await request(user, "POST", "/memories", { content: "Prefers window seats" });
  assert.equal(own.status, 201);
  const out = await say(user, "I prefer aisle seats.");
  assert.deepEqual(out.results.map((r) => [r.event, r.memory]), [["ADD", "Prefers aisle seats"]]);
  assert.deepEqual(await active(user), ["Prefers aisle seats", "Prefers window seats"]);
});

Deno.test("memories: PATCH re-embeds and takes a memory over, DELETE is soft, DELETE all is all", async () => {
  const user = await userWithKey("mem-manage");
  const [added] = (await say(user, "I prefer window seats.")).results;
  const patched = await request(user, "PATCH", `/memories/${added.id}`, {
    content: "Prefers aisle seats near the front",
  });
  assert.equal(patched.status, 200, patched.text);
  assert.equal(patched.body.source, "user");
  const found = await request(user, "POST", "/memories/search", {
    query: "aisle seats near the front",
    match_count: 1,
  });
  assert.equal(found.body.items[0].id, added.id, "the new text is what is searched");
  const history = await request(user, "GET", `/memories/${added.id}/history`);
  assert.deepEqual(
    history.body.items.map((h: { event: string; actor: string }) => [h.event, h.actor]),
    [["ADD", "extractor"], ["UPDATE", "user"]],
  );

  assert.equal((await request(user, "DELETE", `/memories/${added.id}`)).status, 204);
  const gone = await request(user, "GET", `/memories/${added.id}`);
  assert.equal(gone.status, 200);
  assert.ok(gone.body.deleted_at);
  assert.equal(
    (await request(user, "PATCH", `/memories/${added.id}`, { content: "x" })).status,
    409,
  );
  assert.deepEqual(await active(user), []);

  // Restored by the route, deleted again, then brought back by storing the same text.
  const restored = await request(user, "POST", `/memories/${added.id}/restore`);
  assert.equal(restored.status, 200, restored.text);
  assert.equal(restored.body.deleted_at, null);
  assert.equal((await request(user, "DELETE", `/memories/${added.id}`)).status, 204);
  const again = await request(user, "POST", "/memories", {
    content: "Prefers aisle seats near the front",
  });
  assert.equal(again.status, 201, again.text);
  assert.deepEqual([again.body.ids, again.body.created], [[added.id], 1]);
  assert.deepEqual(await active(user), ["Prefers aisle seats near the front"]);
  const events = await request(user, "GET", `/memories/${added.id}/history`);
  assert.deepEqual(
    events.body.items.map((h: { event: string }) => h.event),
    ["ADD", "UPDATE", "DELETE", "RESTORE", "DELETE", "RESTORE"],
  );

  const batch = Array.from({ length: 250 }, (_, i) => ({ content: `note ${i}` }));
  assert.equal((await request(user, "POST", "/memories", { memories: batch })).status, 201);
  const wiped = await request(user, "DELETE", "/memories");
  assert.equal(wiped.status, 200);
  assert.equal(wiped.body.deleted, 251);
  assert.deepEqual(await active(user), []);
  assert.equal((await request(user, "GET", `/memories/${added.id}`)).status, 404);
});
