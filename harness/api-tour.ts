// A tour of the public API: every route called once with a valid request, in an order
// that gives each the rows it needs (a trip before its flights, an invitation before its
// acceptance), and the shape of each answer recorded: its status and, recursively, the
// keys and JSON types of its body (a streamed reply: the shape of each event's data).
// scripts/api-contract.ts records the tour of a release beside its routes; the contract
// test compares today's with it, so that a response that changes shape is announced.
import { CHILD_SEGMENTS, TEMPLATES } from "./api-requests.ts";
import { env, FUNCTIONS_URL, newUser, request, type TestUser } from "./stack.ts";

/** Objects whose keys are data (the keyring's key ids), shaped as `{*: value}`. */
const MAPS = new Set(["rows_by_kid"]);

/**
 * A JSON value's shape: `string`, `number`, `boolean`, `null`, `{a: ..., b: ...}` (keys
 * sorted), `[...]` (the distinct shapes of the elements, `|`-joined; `[]` when empty).
 */
export function shapeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) {
    return `[${[...new Set(value.map(shapeOf))].sort().join("|")}]`;
  }
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .sort(([a], [b]) => a.localeCompare(b));
    return `{${
      entries.map(([k, v]) =>
        MAPS.has(k) && v && typeof v === "object"
          ? `${k}: {*: ${[...new Set(Object.values(v).map(shapeOf))].sort().join("|")}}`
          : `${k}: ${shapeOf(v)}`
      ).join(", ")
    }}`;
  }
  return typeof value;
}

/** "event: data shape" of each event type of a server-sent event stream, sorted. */
function eventShapes(text: string): string {
  const shapes = new Map<string, Set<string>>();
  for (const block of text.split(/\n\n/)) {
    const event = /^event: (.+)$/m.exec(block)?.[1];
    const data = /^data: (.+)$/m.exec(block)?.[1];
    if (!event || data === undefined) continue; // keep-alive comments
    if (!shapes.has(event)) shapes.set(event, new Set());
    shapes.get(event)!.add(shapeOf(JSON.parse(data)));
  }
  return [...shapes].sort(([a], [b]) => a.localeCompare(b))
    .map(([e, s]) => `${e}: ${[...s].sort().join("|")}`).join("; ");
}

/**
 * Calls every route once and returns "METHOD /path" (Hono's path, as the contract's
 * routes name it; a route taking several kinds of body once per kind, `[kind]` after
 * it) -> "STATUS shape". Needs a running stack (harness/stack.ts reads its variables).
 */
export async function tourResponses(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const owner = await newUser("tour-owner");
  const friend = await newUser("tour-friend");
  const other = await newUser("tour-other");
  const secret = { apikey: env("SUPABASE_SECRET_KEY") };

  /** Sends a request, records its answer under `route`, returns the body. */
  const call = async (
    route: string,
    user: TestUser | null,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const r = await request(user, route.split(" ")[0], path, body, headers);
    if (r.status >= 400) throw new Error(`api tour: ${route}: ${r.status} ${r.text}`);
    out[route] = `${r.status} ${shapeOf(r.body)}`;
    return r.body;
  };

  await call("GET /health", owner, "/health");

  // Keys first: the memories routes embed with the owner's stored key.
  const key = await call("POST /api-keys", owner, "/api-keys", TEMPLATES.key);
  await call("GET /api-keys", owner, "/api-keys");
  await call("GET /api-keys/:id", owner, `/api-keys/${key.id}`);
  await call("PATCH /api-keys/:id", owner, `/api-keys/${key.id}`, TEMPLATES.keyPatch);
  await call("POST /api-keys/:id/validate", owner, `/api-keys/${key.id}/validate`, {});
  await call("GET /api-keys/admin/keyring", null, "/api-keys/admin/keyring", undefined, secret);
  await call(
    "POST /api-keys/admin/rotate",
    null,
    "/api-keys/admin/rotate",
    TEMPLATES.rotate,
    secret,
  );

  const trip = await call("POST /trips", owner, "/trips", TEMPLATES.trip);
  const t = `/trips/${trip.id}`;
  await call("GET /trips", owner, "/trips");
  await call("PATCH /trips/:id", owner, t, { name: "Toured" });
  const children: Record<string, number> = {};
  for (const s of CHILD_SEGMENTS) {
    children[s] = (await call(`POST /trips/:id/${s}`, owner, `${t}/${s}`, TEMPLATES[s])).id;
    await call(`GET /trips/:id/${s}`, owner, `${t}/${s}`);
    await call(`PATCH /trips/:id/${s}/:childId`, owner, `${t}/${s}/${children[s]}`, TEMPLATES[s]);
  }
  await call("GET /trips/:id", owner, t);

  const invite = (email: string) =>
    call("POST /trips/:id/invitations", owner, `${t}/invitations`, { email });
  const accepted = await invite(friend.email);
  await call("GET /trips/invitations", friend, "/trips/invitations");
  await call(
    "POST /trips/invitations/:invitationId/accept",
    friend,
    `/trips/invitations/${accepted.id}/accept`,
    {},
  );
  const declined = await invite(other.email);
  await call(
    "POST /trips/invitations/:invitationId/decline",
    other,
    `/trips/invitations/${declined.id}/decline`,
    {},
  );
  const revoked = await invite("nobody@tour.invalid");
  await call("GET /trips/:id/invitations", owner, `${t}/invitations`);
  await call(
    "DELETE /trips/:id/invitations/:invitationId",
    owner,
    `${t}/invitations/${revoked.id}`,
  );
  await call("GET /trips/:id/collaborators", owner, `${t}/collaborators`);
  const member = `${t}/collaborators/${friend.id}`;
  await call("PATCH /trips/:id/collaborators/:userId", owner, member, TEMPLATES.permission);
  await call("DELETE /trips/:id/collaborators/:userId", owner, member);

  for (const kind of ["memory", "memories", "conversation"]) {
    await call(`POST /memories [${kind}]`, owner, "/memories", TEMPLATES[kind]);
  }
  const listed = await call("GET /memories", owner, "/memories");
  const m = `/memories/${listed.items[0].id}`;
  await call("GET /memories/:id", owner, m);
  await call("PATCH /memories/:id", owner, m, TEMPLATES.memoryPatch);
  await call("GET /memories/:id/history", owner, `${m}/history`);
  await call("POST /memories/search", owner, "/memories/search", TEMPLATES.search);
  await call("DELETE /memories/:id", owner, m);
  await call("POST /memories/:id/restore", owner, `${m}/restore`, {});

  const session = await call("POST /chat/sessions", owner, "/chat/sessions", TEMPLATES.session);
  const c = `/chat/sessions/${session.id}`;
  await call("GET /chat/sessions", owner, "/chat/sessions");
  await call("GET /chat/sessions/:id", owner, c);
  await call("PATCH /chat/sessions/:id", owner, c, TEMPLATES.sessionPatch);
  const streamed = await fetch(`${FUNCTIONS_URL()}${c}/messages`, {
    method: "POST",
    headers: { Authorization: `Bearer ${owner.token}`, "content-type": "application/json" },
    body: JSON.stringify(TEMPLATES.message),
  });
  const events = await streamed.text();
  if (streamed.status !== 200) {
    throw new Error(`api tour: chat message: ${streamed.status} ${events}`);
  }
  out["POST /chat/sessions/:id/messages"] = `${streamed.status} ${eventShapes(events)}`;
  await call("GET /chat/sessions/:id/messages", owner, `${c}/messages`);
  await call("POST /chat/admin/sweep", null, "/chat/admin/sweep", TEMPLATES.sweep, secret);
  await call("DELETE /chat/sessions/:id", owner, c);

  // What the rest no longer needs goes last.
  await call("DELETE /memories", owner, "/memories");
  for (const s of CHILD_SEGMENTS) {
    await call(`DELETE /trips/:id/${s}/:childId`, owner, `${t}/${s}/${children[s]}`);
  }
  await call("DELETE /trips/:id", owner, t);
  await call("DELETE /api-keys/:id", owner, `/api-keys/${key.id}`);
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}
