// The repository's own imports: no module reaches itself through others (no import
// circle), the functions import nothing outside supabase/functions/ (what is deployed is
// all there), and harness/ imports nothing from the tests, benchmarks or reliability
// runs that use it (ARCHITECTURE.md, "Tests, benchmarks and reliability runs").
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const DIRS = ["supabase/functions", "scripts", "tests", "bench", "harness", "reliability", "eval"];

async function sources(dir: string, out: string[] = []): Promise<string[]> {
  for await (const e of Deno.readDir(new URL(`${dir}/`, ROOT))) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory && !e.name.startsWith(".") && e.name !== "node_modules") {
      await sources(path, out);
    } else if (e.isFile && /\.(ts|mjs)$/.test(e.name)) out.push(path);
  }
  return out;
}

/** A path relative to the repository, `..` and `.` resolved. */
function resolve(from: string, specifier: string): string {
  const parts = from.split("/").slice(0, -1);
  for (const p of specifier.split("/")) {
    if (p === "..") parts.pop();
    else if (p !== ".") parts.push(p);
  }
  return parts.join("/");
}

/** Each module's relative imports (static, dynamic and re-exports), as repository paths. */
async function graph(): Promise<Map<string, string[]>> {
  const files = (await Promise.all(DIRS.map((d) => sources(d)))).flat();
  const edges = new Map<string, string[]>();
  for (const file of files) {
    const text = await Deno.readTextFile(new URL(file, ROOT));
    const specifiers = [
      ...text.matchAll(/(?:^|\s)(?:import|export)[^"'`;]*?from\s*["'](\.{1,2}\/[^"']+)["']/gm),
      ...text.matchAll(/import\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g),
      ...text.matchAll(/^import\s+["'](\.{1,2}\/[^"']+)["']/gm),
    ].map((m) => resolve(file, m[1]));
    edges.set(file, [...new Set(specifiers)]);
  }
  return edges;
}

const edges = await graph();

Deno.test("imports: no module imports itself through others", () => {
  const circles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === "done") return;
    if (state.get(file) === "open") {
      circles.push([...path.slice(path.indexOf(file)), file].join(" -> "));
      return;
    }
    state.set(file, "open");
    for (const next of edges.get(file) ?? []) visit(next, [...path, file]);
    state.set(file, "done");
  };
  for (const file of edges.keys()) visit(file, []);
  assert.deepEqual(circles, []);
});

Deno.test("imports: every relative import names a file that exists", async () => {
  const missing: string[] = [];
  for (const [file, targets] of edges) {
    for (const t of targets) {
      if (!(await Deno.stat(new URL(t, ROOT)).then(() => true, () => false))) {
        missing.push(`${file} -> ${t}`);
      }
    }
  }
  assert.deepEqual(missing, []);
});

Deno.test("imports: the functions and the harness stay in their layers", () => {
  const crossings: string[] = [];
  for (const [file, targets] of edges) {
    for (const t of targets) {
      if (file.startsWith("supabase/functions/") && !t.startsWith("supabase/functions/")) {
        crossings.push(`${file} -> ${t}`);
      }
      if (file.startsWith("harness/") && /^(tests|bench|reliability)\//.test(t)) {
        crossings.push(`${file} -> ${t}`);
      }
    }
  }
  assert.deepEqual(crossings, []);
});
