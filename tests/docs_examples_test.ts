// The examples of README.md and docs/api.md print what the page shows when pasted in
// order into a shell, on a database just built from the seed (npm run db:reset). The
// runnable blocks are the ones fenced as ```sh example (a shell session, one per
// page: variables carry over) and ```ts example (supabase-js, each run by Deno after
// the page's shell session, against what it left). A command's expected output is the `# ` lines under it:
// whitespace is ignored, `…` stands for anything, and a leading HTTP status (`201 {...}`)
// is compared with the status curl received. A TypeScript example must run without
// throwing and without any non-2xx answer it did not ask for.
//
// Each page runs against a throwaway stack of its own (the `reliability` profile,
// started fresh, so the seed's ids hold), with `.local/stack.env` read from that stack
// and `npm run -s token` minting its tokens (STACK_PROFILE).
import assert from "node:assert/strict";
import { freeReliabilityBase, listening, reliabilityPorts, untilReady } from "../harness/boot.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const PROFILE = "reliability";
const STACK_ENV = `.local/${PROFILE}/stack.env`;

interface Unit {
  kind: "sh" | "ts";
  line: number;
  code: string;
  /** sh: the `# ` lines under the command. */
  expected?: string;
}

/** Does shell text end inside a quoted string (a value spanning lines)? */
function openQuote(text: string): boolean {
  let quote = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = "";
    } else if (quote === '"') {
      if (c === "\\") i++;
      else if (c === '"') quote = "";
    } else if (c === "\\") i++;
    else if (c === "'" || c === '"') quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(text[i - 1]))) {
      const end = text.indexOf("\n", i); // a comment: skip to the end of its line
      if (end < 0) break;
      i = end;
    }
  }
  return quote !== "";
}

/** The runnable examples of a page, in order. */
export function examples(markdown: string): Unit[] {
  const lines = markdown.split("\n");
  const units: Unit[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(sh|ts) example\s*$/.exec(lines[i]);
    if (!fence) continue;
    const body: { text: string; line: number }[] = [];
    for (i++; i < lines.length && !lines[i].startsWith("```"); i++) {
      body.push({ text: lines[i], line: i + 1 });
    }
    if (fence[1] === "ts") {
      units.push({
        kind: "ts",
        line: body[0]?.line ?? i,
        code: body.map((b) => b.text).join("\n"),
      });
      continue;
    }
    for (let j = 0; j < body.length; j++) {
      const { text, line } = body[j];
      if (!text.trim() || text.startsWith("#")) continue;
      const code = [text];
      const continues = () => /(\\|\||&&)\s*$/.test(code.at(-1)!) || openQuote(code.join("\n"));
      while (continues() && j + 1 < body.length) {
        code.push(body[++j].text);
      }
      const expected: string[] = [];
      while (j + 1 < body.length && /^#( |$)/.test(body[j + 1].text)) {
        expected.push(body[++j].text.replace(/^# ?/, ""));
      }
      units.push({
        kind: "sh",
        line,
        code: code.join("\n"),
        expected: expected.length ? expected.join("\n") : undefined,
      });
    }
  }
  return units;
}

/** `"key":value` pairs of JSON text whose value is a string, number, boolean or null. */
const PAIRS = /"([^"\\]+)":("(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*…?|true|false|null)/g;

/**
 * Does `actual` (a command's output) show what `expected` says? A leading status
 * (`201 {...}`) is compared with curl's. JSON is compared pair by pair, in any order
 * (the database orders an object's keys its own way): every `"key":value` shown must be
 * in the answer, a value ending in `…` as a prefix. Anything else is compared as text,
 * whitespace ignored, `…` standing for anything.
 */
export function shows(actual: string, status: string, expected: string): boolean {
  const squash = (s: string) => s.replace(/\s+/g, "");
  let want = squash(expected);
  const got = squash(actual);
  const shownStatus = /^(\d{3})(\D|$)/.exec(want)?.[1];
  if (shownStatus && !/^HTTP\//.test(want)) {
    if (shownStatus !== status) return false;
    want = want.slice(3);
  }
  const pairs = [...want.matchAll(PAIRS)];
  if (pairs.length > 0 && /^[{[]/.test(want)) {
    return pairs.every(([, key, value]) => {
      const shown = `"${key}":${value.replace(/…"?$/, "")}`;
      return value.includes("…") ? got.includes(shown) : got.includes(`"${key}":${value}`);
    });
  }
  const pattern = want.split("…").map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join("[\\s\\S]*?");
  return new RegExp(`^${pattern}$`).test(got);
}

/**
 * Starts the profile's stack on a block of ports no socket holds (RELIABILITY_PORT_BASE),
 * up to three tries. Its ports are in the kernel's range for outgoing connections, and
 * by the time this test runs the suite holds many pooled client connections: one of
 * them can sit on a fixed port for minutes (the server then fails to bind it).
 */
async function startStack() {
  for (let attempt = 1;; attempt++) {
    const base = freeReliabilityBase();
    Deno.env.set("RELIABILITY_PORT_BASE", String(base));
    try {
      return await startStackOnce();
    } catch (e) {
      if (attempt === 3) throw e;
      for (
        let i = 0;
        i < 20 && (await Promise.all(reliabilityPorts(base).map(listening))).some(Boolean);
        i++
      ) {
        await new Promise((r) => setTimeout(r, 500));
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

async function startStackOnce() {
  const child = new Deno.Command("bash", {
    args: [`${ROOT}scripts/stack.sh`, PROFILE],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Its log lines, kept so that a stack that stops before `ready` says why.
  let log = "";
  const logged = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      log = (log + chunk).slice(-4000);
    }
  })();
  let drained: Promise<void>;
  try {
    ({ drained } = await untilReady(child.stdout, `the ${PROFILE} stack`));
  } catch (e) {
    await logged;
    throw new Error(`${(e as Error).message}\n${log}`);
  }
  return async () => {
    child.kill("SIGTERM");
    await child.status;
    await Promise.all([drained, logged]);
  };
}

const MARK = "@@example";

/** Runs a page's shell units in one bash session; each unit's output and status. */
async function runShell(units: Unit[]): Promise<{ out: string; status: string }[]> {
  const script = [
    "cd " + JSON.stringify(ROOT),
    `export STACK_PROFILE=${PROFILE}`,
    // curl as pasted, plus its status on stderr after a marker the harness strips (on
    // stderr, so that a command capturing curl's output in a variable is not disturbed).
    `curl() { command curl -sS -w '%{stderr}\\n${MARK}-status %{http_code}\\n' "$@"; }`,
    ...units.flatMap((u, i) => [
      `printf '\\n${MARK}-begin ${i}\\n'`,
      `{\n${u.code.replaceAll(".local/stack.env", STACK_ENV)}\n} 2>&1`,
      `printf '\\n${MARK}-end ${i}\\n'`,
    ]),
  ].join("\n");
  const out = await new Deno.Command("bash", {
    args: ["-c", script],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  return units.map((_, i) => {
    const body = text.split(`${MARK}-begin ${i}\n`)[1]?.split(`\n${MARK}-end ${i}\n`)[0] ?? "";
    const statuses = [...body.matchAll(/@@example-status (\d{3})/g)].map((m) => m[1]);
    return {
      out: body.replace(/\n?@@example-status \d{3}\n?/g, "\n").trim(),
      status: statuses.at(-1) ?? "",
    };
  });
}

/** Runs a TypeScript example with the page's settings; throws what went wrong. */
async function runTs(unit: Unit, env: Record<string, string>, token: string, bobToken: string) {
  const imports = [...unit.code.matchAll(/^import .*$/gm)].map((m) => m[0]);
  const body = unit.code.replace(/^import .*$/gm, "");
  const module = `
import { createClient as realCreateClient } from "@supabase/supabase-js";
const SUPABASE_URL = ${JSON.stringify(env.SUPABASE_URL)};
const SUPABASE_PUBLISHABLE_KEY = ${JSON.stringify(env.SUPABASE_PUBLISHABLE_KEY)};
const FUNCTIONS_URL = ${JSON.stringify(env.SUPABASE_FUNCTIONS_URL)};
const TOKEN = ${JSON.stringify(token)};
const BOB_TOKEN = ${JSON.stringify(bobToken)};
const accessToken = TOKEN;
const apiKeyFromTheUser = ${JSON.stringify(env.LOCAL_OPENAI_KEY)};
const failures: string[] = [];
// Every answer the example gets is checked: a non-2xx is a failure of the example.
const checkedFetch: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  if (!res.ok) failures.push(\`\${init?.method ?? "GET"} \${input}: \${res.status} \${await res.clone().text()}\`);
  return res;
};
const createClient = ((url: string, key: string, options: Record<string, unknown> = {}) =>
  realCreateClient(url, key, { ...options, global: { fetch: checkedFetch } })) as typeof realCreateClient;
const supabase = createClient(SUPABASE_URL, SUPABASE_PUBLISHABLE_KEY, {
  accessToken: async () => TOKEN,
});
${imports.filter((i) => !/@supabase\/supabase-js/.test(i)).join("\n")}
{
${body}
}
if (failures.length) throw new Error(failures.join("\\n"));
`;
  const file = await Deno.makeTempFile({ dir: `${ROOT}.local`, suffix: ".ts" });
  try {
    await Deno.writeTextFile(file, module);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check", "--config", `${ROOT}deno.json`, file],
      cwd: ROOT,
      env: { ...env, STACK_PROFILE: PROFILE },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  } finally {
    await Deno.remove(file);
  }
}

function readEnv(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of Deno.readTextFileSync(path).split("\n")) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) env[m[1]] = m[2].replace(/^'(.*)'$/, "$1").replace(/^"(.*)"$/, "$1");
  }
  return env;
}

for (const page of ["README.md", "docs/api.md"]) {
  Deno.test({
    name: `docs: the examples of ${page} print what it shows, pasted in order`,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const units = examples(await Deno.readTextFile(`${ROOT}${page}`));
      assert.ok(units.length >= 5, `${page} has runnable examples`);
      const stop = await startStack();
      try {
        const env = readEnv(`${ROOT}${STACK_ENV}`);
        const failures: string[] = [];
        // The shell units in one session, in order.
        const shell = units.filter((u) => u.kind === "sh");
        const results = await runShell(shell);
        shell.forEach((u, k) => {
          if (u.expected && !shows(results[k].out, results[k].status, u.expected)) {
            failures.push(
              `${page}:${u.line}: ${u.code.split("\n")[0]}\n  expected: ${u.expected}\n  got: ${
                results[k].status
              } ${results[k].out}`,
            );
          }
        });
        // TypeScript examples, in order, after the whole shell session.
        const tokenOf = async (email: string) =>
          new TextDecoder().decode(
            (await new Deno.Command("npm", {
              args: ["run", "-s", "token", "--", email],
              cwd: ROOT,
              env: { STACK_PROFILE: PROFILE },
              stdout: "piped",
            }).output()).stdout,
          ).trim();
        const [alice, bob] = [await tokenOf("alice@example.com"), await tokenOf("bob@example.com")];
        for (const u of units.filter((x) => x.kind === "ts")) {
          try {
            await runTs(u, env, alice, bob);
          } catch (e) {
            failures.push(`${page}:${u.line}: TypeScript example failed: ${e}`);
          }
        }
        assert.deepEqual(failures, []);
      } finally {
        await stop();
      }
    },
  });
}
