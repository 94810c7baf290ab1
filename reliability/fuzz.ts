// Property-based fuzzing of every route of every function (fast-check): params,
// query strings and bodies built from hostile values. The invariant: never a 5xx,
// the server keeps answering, every error is the envelope { code, message } with
// CORS headers. `npm test` runs a bounded number of cases (tests/fuzz_test.ts);
// `npm run reliability -- fuzz` runs the long one.

import fc from "fast-check";
import type {
  AuthMode,
  FunctionDefinition,
  RouteInfo,
} from "../supabase/functions/_shared/function.ts";
import { functionNames, functionsDir } from "../scripts/function-names.ts";
import { CHILD_SEGMENTS, TEMPLATES } from "../harness/api-requests.ts";
import { env, FUNCTIONS_URL, newUser, request, type TestUser } from "../harness/stack.ts";

/** Real ids of one user's data, so cases reach the deep paths with real rows. */
export interface Fixture {
  owner: TestUser;
  stranger: TestUser;
  /** Shares the owner's trip (view). */
  friend: TestUser;
  tripId: string;
  /** A pending invitation of the owner's trip (to an address nobody holds). */
  invitationId: string;
  childIds: Record<string, string>;
  memoryId: string;
  keyId: string;
  /** A chat session of the owner's. */
  sessionId: string;
  /** The project's secret key, for the operator routes. */
  secretKey: string;
}

async function created(user: TestUser, path: string, body: unknown): Promise<string> {
  const r = await request(user, "POST", path, body);
  if (r.status !== 201) throw new Error(`fixture ${path}: ${r.status} ${r.text}`);
  return String(r.body.id ?? r.body.ids?.[0] ?? r.body.user_id);
}

export async function fixture(): Promise<Fixture> {
  const owner = await newUser("fuzz-owner");
  const f: Fixture = {
    owner,
    stranger: await newUser("fuzz-stranger"),
    friend: await newUser("fuzz-friend"),
    tripId: "",
    invitationId: "",
    childIds: {},
    keyId: await created(owner, "/api-keys", TEMPLATES.key),
    memoryId: "",
    sessionId: "",
    secretKey: env("SUPABASE_SECRET_KEY"),
  };
  f.memoryId = await created(owner, "/memories", TEMPLATES.memory);
  f.sessionId = await created(owner, "/chat/sessions", TEMPLATES.session);
  await newTrip(f);
  return f;
}

async function newTrip(f: Fixture) {
  f.tripId = await created(f.owner, "/trips", TEMPLATES.trip);
  for (const segment of CHILD_SEGMENTS) await newChild(f, segment);
  await shareWithFriend(f);
  f.invitationId = await created(f.owner, `/trips/${f.tripId}/invitations`, TEMPLATES.invitation);
}

async function shareWithFriend(f: Fixture) {
  const id = await created(f.owner, `/trips/${f.tripId}/invitations`, { email: f.friend.email });
  const r = await request(f.friend, "POST", `/trips/invitations/${id}/accept`);
  if (r.status !== 200) throw new Error(`fixture accept: ${r.status} ${r.text}`);
}

async function newChild(f: Fixture, segment: string) {
  f.childIds[segment] = await created(f.owner, `/trips/${f.tripId}/${segment}`, TEMPLATES[segment]);
}

/**
 * Cases may have switched off, changed or deleted the owner's key, or added newer
 * ones (the newest active key is the one used): memories need exactly the fixture's.
 */
async function usableKey(f: Fixture) {
  const list = await request(f.owner, "GET", "/api-keys?service_name=openai");
  for (const k of list.body.items) {
    if (k.id !== f.keyId) await request(f.owner, "DELETE", `/api-keys/${k.id}`);
  }
  const fix = { value: TEMPLATES.key.value, is_active: true, expires_at: null };
  const r = await request(f.owner, "PATCH", `/api-keys/${f.keyId}`, fix);
  if (r.status === 404) f.keyId = await created(f.owner, "/api-keys", TEMPLATES.key);
  else if (r.status !== 200) throw new Error(`fixture key: ${r.status} ${r.text}`);
}

/** The fixture's memory, active: stored again (201) or found already stored (200). */
async function activeMemory(f: Fixture): Promise<string> {
  const r = await request(f.owner, "POST", "/memories", TEMPLATES.memory);
  if (r.status !== 201 && r.status !== 200) {
    throw new Error(`fixture memory: ${r.status} ${r.text}`);
  }
  return String(r.body.ids[0]);
}

/** Puts back what a successful DELETE of a real id removed, so later cases still reach rows. */
async function repair(f: Fixture, route: Route) {
  const [, fn, , segment] = route.path.split("/");
  if (fn === "chat") f.sessionId = await created(f.owner, "/chat/sessions", TEMPLATES.session);
  else if (fn === "memories" || fn === "api-keys") {
    await usableKey(f);
    if (fn === "memories") f.memoryId = await activeMemory(f);
  } else if (route.path === "/trips/:id") await newTrip(f);
  else if (segment === "collaborators") await shareWithFriend(f);
  else if (segment === "invitations") {
    f.invitationId = await created(f.owner, `/trips/${f.tripId}/invitations`, TEMPLATES.invitation);
  } else await newChild(f, segment);
}

interface Route {
  method: string;
  /** Hono's path, with the function's own placeholders (:id, :childId, :userId). */
  path: string;
  auth: AuthMode;
  body?: keyof typeof TEMPLATES;
  query?: string[];
}

/** How to fuzz a route: its body template(s) and query parameters. */
interface RouteSpec {
  bodies?: (keyof typeof TEMPLATES)[];
  query?: string[];
}

/**
 * What the fuzz knows about each route, keyed "METHOD path". The routes themselves
 * come from the functions (their `routeList()`), so a new route without an entry
 * here fails the run instead of escaping it.
 */
const SPECS: Record<string, RouteSpec> = {
  "GET /health": {},
  "GET /trips": {
    query: [
      "status",
      "trip_type",
      "destination",
      "start_from",
      "start_to",
      "sort",
      "limit",
      "cursor",
    ],
  },
  "POST /trips": { bodies: ["trip"] },
  "GET /trips/:id": {},
  "PATCH /trips/:id": { bodies: ["trip"] },
  "DELETE /trips/:id": {},
  "GET /trips/:id/collaborators": {},
  "PATCH /trips/:id/collaborators/:userId": { bodies: ["permission"] },
  "DELETE /trips/:id/collaborators/:userId": {},
  "GET /trips/:id/invitations": {},
  "POST /trips/:id/invitations": { bodies: ["invitation"] },
  "DELETE /trips/:id/invitations/:invitationId": {},
  "GET /trips/invitations": {},
  "POST /trips/invitations/:invitationId/accept": { bodies: ["empty"] },
  "POST /trips/invitations/:invitationId/decline": { bodies: ["empty"] },
  ...Object.fromEntries(CHILD_SEGMENTS.flatMap((s) => [
    [`GET /trips/:id/${s}`, { query: ["limit", "cursor"] }],
    [`POST /trips/:id/${s}`, { bodies: [s] }],
    [`PATCH /trips/:id/${s}/:childId`, { bodies: [s] }],
    [`DELETE /trips/:id/${s}/:childId`, {}],
  ])),
  "POST /memories": { bodies: ["memory", "memories", "conversation"] },
  "DELETE /memories": {},
  "GET /memories": { query: ["content_type", "metadata", "limit", "cursor"] },
  "POST /memories/search": { bodies: ["search"] },
  "GET /memories/:id": {},
  "PATCH /memories/:id": { bodies: ["memoryPatch"] },
  "DELETE /memories/:id": {},
  "POST /memories/:id/restore": { bodies: ["empty"] },
  "GET /memories/:id/history": {},
  "POST /chat/sessions": { bodies: ["session"] },
  "GET /chat/sessions": { query: ["limit", "cursor"] },
  "GET /chat/sessions/:id": {},
  "PATCH /chat/sessions/:id": { bodies: ["sessionPatch"] },
  "DELETE /chat/sessions/:id": {},
  "GET /chat/sessions/:id/messages": { query: ["limit", "cursor"] },
  "POST /chat/sessions/:id/messages": { bodies: ["message"] },
  "POST /chat/admin/sweep": { bodies: ["sweep"] },
  "GET /api-keys": { query: ["service_name"] },
  "POST /api-keys": { bodies: ["key"] },
  "GET /api-keys/:id": {},
  "PATCH /api-keys/:id": { bodies: ["keyPatch"] },
  "DELETE /api-keys/:id": {},
  "POST /api-keys/:id/validate": { bodies: ["empty"] },
  "GET /api-keys/admin/keyring": {},
  "POST /api-keys/admin/rotate": { bodies: ["rotate"] },
};

/** Every route of every function in supabase/functions/, as the functions define them. */
async function functionRoutes(): Promise<RouteInfo[]> {
  const routes: RouteInfo[] = [];
  for (const name of await functionNames()) {
    const fn = (await import(new URL(`${name}/index.ts`, functionsDir).href))
      .default as FunctionDefinition;
    routes.push(...fn.routeList());
  }
  return routes;
}

const ROUTES: Route[] = (await functionRoutes()).flatMap((r) => {
  const spec = SPECS[`${r.method} ${r.path}`];
  if (!spec) {
    throw new Error(
      `reliability/fuzz.ts has no spec for ${r.method} ${r.path}: add it to SPECS (body templates, query names)`,
    );
  }
  const base = { method: r.method, path: r.path, auth: r.auth, query: spec.query };
  return spec.bodies ? spec.bodies.map((body) => ({ ...base, body })) : [base];
});

// Hostile values -------------------------------------------------------------

const INJECTIONS = [
  "' or '1'='1",
  "1; drop table public.trips; --",
  "1) union select encrypted_value from public.api_keys --",
  "$1",
  "%s%s%s%n",
  "\\x00",
  "\u0000",
  "${jndi:ldap://x}",
  "{{7*7}}",
  "__proto__",
  "constructor",
  "../../etc/passwd",
  "<script>alert(1)</script>",
  '{"$gt":""}',
  '"},"role":"service_role","x":{"',
  "NaN",
  "Infinity",
  "-0",
  "1e309",
  "0x7fffffff",
  "9223372036854775808",
  "99999999999999999999999",
  "\ud800",
  "\u202e\u0041",
  "🧳✈️🏝️",
  " ",
  "",
];

const EDGE_NUMBERS = [
  0,
  -0,
  -1,
  1,
  0.001,
  0.1 + 0.2,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 53,
  -(2 ** 53),
  Number.MAX_SAFE_INTEGER + 2,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MIN_VALUE,
  1e21,
  1e-7,
];

/** Nested arrays/objects `depth` levels deep, as JSON text (JSON.stringify would recurse). */
function deepJson(depth: number, open: "[" | "{"): string {
  return open === "["
    ? "[".repeat(depth) + "]".repeat(depth)
    : '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
}

/** A marker object: its JSON text is spliced in raw, unparsed, when the body is serialized. */
class RawJson {
  constructor(readonly text: string) {}
}

const hugeString = fc.integer({ min: 5_000, max: 120_000 }).map((n) => "x".repeat(n));

/** Text holding control characters (C0 and DEL), which no route may pass to Postgres. */
const withControl: fc.Arbitrary<string> = fc.tuple(
  fc.string({ maxLength: 6 }),
  fc.integer({ min: 0, max: 32 }).map((c) => String.fromCharCode(c === 32 ? 127 : c)),
  fc.string({ maxLength: 6 }),
).map(([a, c, b]) => a + c + b);

/** Any hostile JSON value. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { depthSize: "small" },
  withControl,
  fc.constantFrom(...INJECTIONS),
  fc.constantFrom(...EDGE_NUMBERS),
  fc.constant(null),
  fc.boolean(),
  fc.string(),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.string({ unit: "grapheme", maxLength: 50 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  hugeString,
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(fc.constantFrom(...INJECTIONS), { maxLength: 5 }),
  fc.integer({ min: 100, max: 20_000 }).chain((d) =>
    fc.constantFrom("[", "{").map((o) => new RawJson(deepJson(d, o as "[" | "{")))
  ),
);

/** A hostile path segment (it is percent-encoded when the URL is built). */
const hostileSegment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...INJECTIONS.filter((s) => s !== "")),
  fc.constantFrom("0", "-1", "1.5", "1e3", "0x10", " 1", "01", "18446744073709551616"),
  fc.bigInt({ min: 1n, max: 2n ** 70n }).map(String),
  fc.uuid().map(String),
  fc.string({ minLength: 1, maxLength: 40 }),
  fc.string({ unit: "binary", minLength: 1, maxLength: 20 }),
  fc.integer({ min: 300, max: 3000 }).map((n) => "9".repeat(n)),
  withControl,
);

// Cases ----------------------------------------------------------------------

type BodyCase =
  | { kind: "template" }
  | { kind: "mutate"; edits: [string, unknown][] }
  | { kind: "drop"; field: number }
  | { kind: "replace"; value: unknown }
  | { kind: "text"; text: string }
  | { kind: "type"; type: string };

interface Case {
  route: number;
  /** Which placeholder values: the owner's real ids, the stranger's view, or hostile text. */
  ids: "real" | "hostile";
  segments: string[];
  caller: "owner" | "stranger";
  query: [string, unknown][];
  body: BodyCase;
}

const bodyCase: fc.Arbitrary<BodyCase> = fc.oneof(
  { arbitrary: fc.constant({ kind: "template" as const }), weight: 1 },
  {
    arbitrary: fc.array(
      fc.tuple(fc.oneof(fc.constantFrom("*"), fc.string({ maxLength: 12 })), hostileValue),
      { minLength: 1, maxLength: 3 },
    ).map((edits) => ({ kind: "mutate" as const, edits })),
    weight: 8,
  },
  {
    arbitrary: fc.nat(20).map((field) => ({ kind: "drop" as const, field })),
    weight: 1,
  },
  { arbitrary: hostileValue.map((value) => ({ kind: "replace" as const, value })), weight: 2 },
  {
    arbitrary: fc.oneof(
      fc.string(),
      fc.constantFrom('{"a":', "{'a':1}", "[1,]", "\u0000", "null", "{}}", "\ufeff{}"),
    ).map((text) => ({ kind: "text" as const, text })),
    weight: 1,
  },
  {
    arbitrary: fc.constantFrom("text/plain", "application/x-www-form-urlencoded", "", "json")
      .map((type) => ({ kind: "type" as const, type })),
    weight: 1,
  },
);

const caseArb: fc.Arbitrary<Case> = fc.record({
  route: fc.nat(ROUTES.length - 1),
  ids: fc.constantFrom<"real" | "hostile">("real", "real", "hostile"),
  segments: fc.array(hostileSegment, { minLength: 5, maxLength: 5 }),
  caller: fc.constantFrom<"owner" | "stranger">("owner", "owner", "owner", "stranger"),
  query: fc.array(fc.tuple(fc.constantFrom("*", "limit", "cursor", "x"), hostileValue), {
    maxLength: 3,
  }),
  body: bodyCase,
});

function serialize(v: unknown): string {
  if (v instanceof RawJson) return v.text;
  if (Array.isArray(v)) return `[${v.map(serialize).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${
      Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${serialize(x)}`).join(",")
    }}`;
  }
  return JSON.stringify(v) ?? "null";
}

// Deno's HTTP server answers a bare 400 (before any function code) to a request
// line over ~64 KiB, and gateways cut far lower: query values stay within 4,000
// characters so the cases test our code, not the HTTP parser.
const MAX_QUERY_VALUE = 4000;

function asQueryValue(v: unknown): string {
  const text = typeof v === "string" ? v : v instanceof RawJson ? v.text : serialize(v);
  return text.slice(0, MAX_QUERY_VALUE);
}

/** The HTTP request a case describes. */
export function buildRequest(c: Case, f: Fixture): {
  method: string;
  path: string;
  body?: string;
  contentType?: string;
  token: string;
  apikey?: string;
} {
  const route = ROUTES[c.route];
  const fn = route.path.split("/")[1];
  const real: Record<string, string> = {
    id: ({ memories: f.memoryId, "api-keys": f.keyId, chat: f.sessionId } as Record<
      string,
      string
    >)[fn] ?? f.tripId,
    userId: f.friend.id,
    invitationId: f.invitationId,
    childId: f.childIds[route.path.split("/")[3]] ?? "1",
  };
  let n = 0;
  let path = route.path.replace(
    /:(\w+)/g,
    (_, name: string) =>
      c.ids === "real"
        ? real[name]
        : encodeURIComponent(c.segments[n++ % c.segments.length].toWellFormed()),
  );
  if (c.query.length) {
    const names = route.query ?? [];
    const qs = new URLSearchParams();
    for (const [k, v] of c.query) {
      const key = k === "*" && names.length ? names[c.route % names.length] : k;
      qs.append(key, asQueryValue(v));
    }
    path += `?${qs}`;
  }
  const token = c.caller === "owner" ? f.owner.token : f.stranger.token;
  // Operator routes: the owner case carries the secret key, the stranger a user's token.
  const apikey = route.auth === "secret" && c.caller === "owner" ? f.secretKey : undefined;
  if (route.method === "GET" || route.method === "DELETE") {
    return { method: route.method, path, token, apikey };
  }
  const template = TEMPLATES[route.body ?? "empty"];
  const fields = Object.keys(template);
  let body: string;
  let contentType = "application/json";
  switch (c.body.kind) {
    case "template":
      body = serialize(template);
      break;
    case "mutate": {
      const copy: Record<string, unknown> = { ...template };
      for (const [k, v] of c.body.edits) {
        copy[k === "*" && fields.length ? fields[(c.route + n++) % fields.length] : k] = v;
      }
      body = serialize(copy);
      break;
    }
    case "drop": {
      const copy: Record<string, unknown> = { ...template };
      delete copy[fields[c.body.field % Math.max(1, fields.length)]];
      body = serialize(copy);
      break;
    }
    case "replace":
      body = serialize(c.body.value);
      break;
    case "text":
      body = c.body.text;
      break;
    case "type":
      body = serialize(template);
      contentType = c.body.type;
      break;
  }
  return { method: route.method, path, body, contentType, token, apikey };
}

export interface Outcome {
  status: number;
  problem?: string;
}

// deno-lint-ignore no-control-regex -- matching them is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A query parameter or path segment of `path` holds a control character once decoded. */
export function hasControl(path: string): boolean {
  const url = new URL(path, "http://x");
  if ([...url.searchParams].some(([k, v]) => CONTROL.test(k) || CONTROL.test(v))) return true;
  return url.pathname.split("/").some((s) => {
    try {
      return CONTROL.test(decodeURIComponent(s));
    } catch {
      return false;
    }
  });
}

/**
 * Sends one request and judges the answer against the invariant: never a 5xx, CORS
 * and the error envelope on every error, and 400 for control characters in the URL.
 */
async function judge(req: ReturnType<typeof buildRequest>): Promise<Outcome> {
  const headers = new Headers(
    req.apikey ? { apikey: req.apikey } : { Authorization: `Bearer ${req.token}` },
  );
  if (req.contentType !== undefined) headers.set("content-type", req.contentType);
  let res: Response;
  try {
    res = await fetch(`${FUNCTIONS_URL()}${req.path}`, {
      method: req.method,
      headers,
      body: req.body,
    });
  } catch (e) {
    return { status: 0, problem: `no answer: ${e instanceof Error ? e.message : e}` };
  }
  const text = await res.text();
  const status = res.status;
  if (status >= 500) return { status, problem: `HTTP ${status}: ${text.slice(0, 300)}` };
  if (res.headers.get("access-control-allow-origin") !== "*") {
    return { status, problem: "no CORS header" };
  }
  // (A body over the cap is refused first, from its Content-Length: 413.)
  if (hasControl(req.path) && status !== 400 && status !== 413) {
    return { status, problem: `a control character in the URL got ${status}, not 400` };
  }
  if (status >= 400) {
    let body: { code?: unknown; message?: unknown } | null = null;
    try {
      body = JSON.parse(text);
    } catch {
      // judged below
    }
    if (typeof body?.code !== "string" || typeof body?.message !== "string") {
      return { status, problem: `not the error envelope: ${text.slice(0, 300)}` };
    }
  }
  return { status };
}

export interface FuzzReport {
  cases: number;
  seed: number;
  statuses: Record<string, number>;
  routes_hit: number;
  failures: { request: string; problem: string }[];
  ms: number;
}

/**
 * Runs `cases` requests (each a fast-check case) and shrinks the first failure.
 * `onCase` sees the count, for a progress bar.
 */
export async function runFuzz(
  f: Fixture,
  opts: { cases: number; seed?: number; onCase?: (n: number) => void },
): Promise<FuzzReport> {
  const seed = opts.seed ?? Date.now() % 2 ** 31;
  const statuses: Record<string, number> = {};
  const routes = new Set<number>();
  const failures: FuzzReport["failures"] = [];
  let n = 0;
  const started = performance.now();
  const property = fc.asyncProperty(caseArb, async (c) => {
    const req = buildRequest(c, f);
    const out = await judge(req).catch((e) => ({ status: -1, problem: `threw: ${e}` }));
    n++;
    opts.onCase?.(n);
    statuses[out.status] = (statuses[out.status] ?? 0) + 1;
    routes.add(c.route);
    const route = ROUTES[c.route];
    // A DELETE that worked on real rows (by id, or a whole collection) is undone.
    const wholeCollection = !route.path.includes(":");
    if (route.method === "DELETE" && out.status < 300 && (c.ids === "real" || wholeCollection)) {
      await repair(f, route).catch((e) => {
        out.problem = `repairing the fixture after the DELETE failed: ${e}`;
      });
    }
    if (out.problem) {
      // Shrinking replays variants of a failure: keep the first few, distinct.
      const shown = `${req.method} ${req.path.slice(0, 200)} ${(req.body ?? "").slice(0, 300)}`;
      if (failures.length < 5 && !failures.some((x) => x.problem === out.problem)) {
        failures.push({ request: shown, problem: out.problem });
      }
      return false;
    }
    return true;
  });
  const result = await fc.check(property, { numRuns: opts.cases, seed });
  if (result.failed && result.counterexample) {
    const req = buildRequest(result.counterexample[0], f);
    failures.push({
      request: `${req.method} ${req.path.slice(0, 200)} ${(req.body ?? "").slice(0, 300)}`,
      problem: "the smallest failing case fast-check found (after shrinking)",
    });
  }
  return {
    cases: n,
    seed,
    statuses,
    routes_hit: routes.size,
    failures,
    ms: Math.round(performance.now() - started),
  };
}

export const ROUTE_COUNT = ROUTES.length;
