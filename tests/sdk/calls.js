// Every function called the way an app calls it, with supabase-js `functions.invoke`,
// used by tests/sdk_matrix_test.ts from Deno, from Node and from a browser page: a
// plain ES module, no TypeScript and no imports, so the same file runs everywhere.
// `supabase` is a client signed in as a user who stored a working OpenAI key;
// `region` is the SDK's FunctionRegion value to pass (its `region` option).

/** Calls every function once or more; resolves to one line per call, or throws. */
export async function callEveryFunction(supabase, region) {
  const lines = [];
  const call = async (name, path, options) => {
    const { data, error, response } = await supabase.functions.invoke(path, {
      region,
      ...options,
    });
    if (error) {
      const body = error.context ? await error.context.text() : String(error);
      throw new Error(`${name}: ${error.name} ${body}`);
    }
    lines.push(`${name} ${response.status}`);
    return data;
  };

  await call("health", "health", { method: "GET" });
  const trip = await call("create a trip", "trips", {
    method: "POST",
    body: {
      name: "SDK trip",
      destination: "Kyoto",
      start_date: "2027-04-01",
      end_date: "2027-04-05",
      budget: 1000,
    },
  });
  await call("list trips", "trips?sort=start_date", { method: "GET" });
  await call("read the trip", `trips/${trip.id}`, { method: "GET" });
  await call("patch the trip", `trips/${trip.id}`, {
    method: "PATCH",
    body: { status: "booked" },
  });
  await call("my invitations", "trips/invitations", { method: "GET" });
  await call("store a memory", "memories", {
    method: "POST",
    body: { content: "Prefers aisle seats" },
  });
  await call("search memories", "memories/search", {
    method: "POST",
    body: { query: "seat", min_similarity: 0.1 },
  });
  await call("list memories", "memories", { method: "GET" });
  await call("list keys", "api-keys", { method: "GET" });
  const session = await call("open a chat", "chat/sessions", {
    method: "POST",
    body: { title: "SDK", remember: false },
  });
  // A streamed reply: the SDK hands back the Response of a text/event-stream.
  const reply = await call("chat reply (streamed)", `chat/sessions/${session.id}/messages`, {
    method: "POST",
    body: { content: "Hello from the SDK" },
  });
  const text = await reply.text();
  if (!/event: done/.test(text) || !/event: delta/.test(text)) {
    throw new Error(`chat reply: no streamed deltas and done event in ${text.slice(0, 200)}`);
  }
  lines.push("chat stream complete");
  await call("delete the trip", `trips/${trip.id}`, { method: "DELETE" });
  return lines;
}
