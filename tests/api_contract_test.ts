// The public API against the last release's (docs/api-contract.json, written by
// scripts/api-contract.ts at the release): every route added or removed, every error
// code added or removed, every request field added, removed or changed, and every route
// whose answer changed shape (a tour of the stack, harness/api-tour.ts) must be named in
// CHANGELOG.md above that release's heading. A change a client would see and the
// CHANGELOG does not announce fails here.
import assert from "node:assert/strict";
import { tourResponses } from "../harness/api-tour.ts";
import { type Contract, contractOf } from "../scripts/api-contract.ts";

const ROOT = new URL("../", import.meta.url);
const released = JSON.parse(
  await Deno.readTextFile(new URL("docs/api-contract.json", ROOT)),
) as Contract & { release: string; commit: string };
const changelog = await Deno.readTextFile(new URL("CHANGELOG.md", ROOT));
const current = await contractOf(ROOT);

/** What CHANGELOG.md says after the release the contract file is of. */
function announcements(): string {
  const heading = changelog.search(
    new RegExp(`^## v${released.release.replaceAll(".", "\\.")}\\b`, "m"),
  );
  assert.ok(heading > 0, `CHANGELOG.md has no "## v${released.release}" heading`);
  return changelog.slice(0, heading);
}

/** Code spans of the text. */
const spans = (text: string) => [...text.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]);

/** `GET /a/:id`, or several methods at once: `GET/PATCH/DELETE /a/:id`. */
function routeAnnounced(route: string, text: string): boolean {
  const [method, path] = route.split(" ");
  return spans(text).some((s) => {
    const m = /^([A-Z]+(?:\/[A-Z]+)*) (\/\S+)$/.exec(s);
    return m !== null && m[2] === path && m[1].split("/").includes(method);
  });
}

const diff = (before: string[], after: string[]) => ({
  added: after.filter((x) => !before.includes(x)),
  removed: before.filter((x) => !after.includes(x)),
});

Deno.test("api contract: every route added or removed since the release is announced", () => {
  const text = announcements();
  const { added, removed } = diff(released.routes, current.routes);
  const silent = [...added, ...removed].filter((r) => !routeAnnounced(r, text));
  assert.deepEqual(
    silent,
    [],
    `routes changed since ${released.release} that CHANGELOG.md does not name`,
  );
});

Deno.test("api contract: every error code added or removed since the release is announced", () => {
  const named = new Set(spans(announcements()));
  const { added, removed } = diff(released.errors, current.errors);
  const silent = [...added, ...removed].filter((e) => !named.has(e.split(" ")[1]));
  assert.deepEqual(
    silent,
    [],
    `error codes changed since ${released.release} that CHANGELOG.md does not name`,
  );
});

Deno.test("api contract: every request field changed since the release is announced", () => {
  const named = new Set(spans(announcements()));
  const silent: string[] = [];
  for (const [name, before] of Object.entries(released.requests)) {
    const after = current.requests[name];
    // A schema of the release gone or new: its route's change is what a client sees.
    if (after === undefined || typeof before !== "object" || typeof after !== "object") continue;
    const fields = (o: object) => Object.keys(o).filter((k) => !k.startsWith("("));
    const keys = new Set([...fields(before as object), ...fields(after as object)]);
    for (const key of keys) {
      const was = JSON.stringify((before as Record<string, unknown>)[key]);
      const is = JSON.stringify((after as Record<string, unknown>)[key]);
      if (was !== is && !named.has(key.replace(/\?$/, ""))) silent.push(`${name}: ${key}`);
    }
  }
  assert.deepEqual(
    silent,
    [],
    `request fields changed since ${released.release} that CHANGELOG.md does not name`,
  );
});

Deno.test("api contract: the tour answers every route, and every answer that changed shape since the release is announced", async () => {
  const toured = await tourResponses();
  const route = (key: string) => key.replace(/ \[.*\]$/, "");
  const routes = current.routes.map((r) => r.replace(/ \((user|secret key)\)$/, ""));
  assert.deepEqual(
    routes.filter((r) => !Object.keys(toured).some((k) => route(k) === r)),
    [],
    "routes harness/api-tour.ts does not call: add them to the tour",
  );
  if (!released.responses) return; // a release recorded before response shapes were
  const text = announcements();
  const silent = Object.keys({ ...released.responses, ...toured })
    .filter((k) => released.responses![k] !== toured[k] && !routeAnnounced(route(k), text));
  assert.deepEqual(
    silent.map((k) => `${k}: ${released.responses![k]} -> ${toured[k]}`),
    [],
    `answers that changed shape since ${released.release} that CHANGELOG.md does not name`,
  );
});

Deno.test("api contract: the release's file is what scripts/api-contract.ts writes", () => {
  // The recorder's own shape: a contract file edited by hand, or of another format, fails.
  for (const key of ["routes", "errors"] as const) {
    assert.deepEqual(released[key], [...released[key]].sort(), `${key} sorted`);
  }
  assert.match(released.commit, /^[0-9a-f]{7,40}$/);
  assert.ok(released.routes.every((r) => /^[A-Z]+ \/\S* \((user|secret key)\)$/.test(r)));
});
