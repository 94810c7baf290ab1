// The public API's contract of a checkout, as JSON: every route (method, path, who may
// call it), every request schema the functions validate with (the zod exports of each
// function's schemas.ts, described field by field), every error code with its status,
// and (with --responses, from a running stack) the shape of each route's answer
// (harness/api-tour.ts). tests/api_contract_test.ts compares this checkout's with the
// last release's (docs/api-contract.json) and requires each difference to be announced
// in CHANGELOG.md.
//
//   deno run -A scripts/api-contract.ts [--checkout DIR] [--write FILE] [--responses]
//     [--release VERSION --commit SHA]
//
// --checkout reads another checkout (a worktree of a release, run with that checkout's
// deno.json as --config); --write replaces FILE instead of printing; --responses tours
// the stack whose variables are in the environment (--env-file=.local/test/stack.env
// while `npm test`'s stack or `bash scripts/stack.sh test` runs). At a release:
// --env-file=.local/test/stack.env scripts/api-contract.ts --responses
//   --write docs/api-contract.json --release 0.2.0 --commit <its commit>.

import { parseArgs } from "node:util";
import { functionNames } from "./function-names.ts";

export interface Contract {
  /** "METHOD /path (user)" or "(secret key)". */
  routes: string[];
  /** "<function>.<export>" -> the schema, described. */
  requests: Record<string, unknown>;
  /** "STATUS CODE". */
  errors: string[];
  /** "METHOD /path" -> "STATUS shape" of its answer (harness/api-tour.ts), when toured. */
  responses?: Record<string, string>;
}

// deno-lint-ignore no-explicit-any -- zod's internals, read for two major versions
type ZodAny = any;

/** zod 3's type names as zod 4 spells them. */
const V3_TYPES: Record<string, string> = {
  ZodDiscriminatedUnion: "union",
  ZodEffects: "effects",
  ZodPipeline: "pipe",
  ZodNativeEnum: "enum",
};

/** A schema's kind and definition, zod 3 (`_def.typeName`) or zod 4 (`_zod.def.type`). */
function unpack(schema: ZodAny): { type: string; def: ZodAny; v4: boolean } {
  if (!schema) return { type: "none", def: {}, v4: false };
  if (schema._zod) return { type: schema._zod.def.type, def: schema._zod.def, v4: true };
  const name: string = schema?._def?.typeName ?? "unknown";
  return {
    type: V3_TYPES[name] ?? name.replace(/^Zod/, "").toLowerCase(),
    def: schema._def,
    v4: false,
  };
}

/** The rules a client's value must meet, in one vocabulary for both versions. */
function rules(type: string, def: ZodAny, v4: boolean): string[] {
  const out: string[] = [];
  if (v4) {
    if (def.format) out.push(`format ${def.format}`);
    for (const c of def.checks ?? []) {
      const d = c._zod.def;
      if (d.check === "min_length") out.push(`min ${d.minimum}`);
      else if (d.check === "max_length") out.push(`max ${d.maximum}`);
      else if (d.check === "length_equals") out.push(`length ${d.length}`);
      else if (d.check === "greater_than") out.push(`${d.inclusive ? "min" : "above"} ${d.value}`);
      else if (d.check === "less_than") out.push(`${d.inclusive ? "max" : "below"} ${d.value}`);
      else if (d.check === "number_format") out.push("int");
      else if (d.check === "string_format") {
        out.push(d.format === "regex" ? `regex ${d.pattern.source}` : `format ${d.format}`);
      }
    }
  } else {
    if (type === "array") {
      if (def.minLength) out.push(`min ${def.minLength.value}`);
      if (def.maxLength) out.push(`max ${def.maxLength.value}`);
    }
    for (const c of def.checks ?? []) {
      if (c.kind === "min") out.push(`${c.inclusive === false ? "above" : "min"} ${c.value}`);
      else if (c.kind === "max") out.push(`${c.inclusive === false ? "below" : "max"} ${c.value}`);
      else if (c.kind === "length") out.push(`length ${c.value}`);
      else if (c.kind === "int") out.push("int");
      else if (c.kind === "regex") out.push(`regex ${c.regex.source}`);
      else if (["uuid", "email", "url", "date", "datetime", "time"].includes(c.kind)) {
        out.push(`format ${c.kind}`);
      }
    }
  }
  return out.sort();
}

/** Whether an object's key may be left out. */
function optionalKey(schema: ZodAny): boolean {
  const { type, def } = unpack(schema);
  if (type === "optional" || type === "default") return true;
  if (type === "effects") return optionalKey(def.schema);
  if (type === "pipe") return optionalKey(def.in);
  return false;
}

/** A zod schema as plain JSON: what a client must send, not how it is checked. */
export function describe(schema: ZodAny): unknown {
  const { type, def, v4 } = unpack(schema);
  const checked = (name: string) => {
    const r = rules(type, def, v4);
    return r.length ? `${name} (${r.join(", ")})` : name;
  };
  switch (type) {
    case "object": {
      const out: Record<string, unknown> = {};
      const shape = typeof def.shape === "function" ? def.shape() : def.shape;
      for (const key of Object.keys(shape).sort()) {
        out[optionalKey(shape[key]) ? `${key}?` : key] = describe(shape[key]);
      }
      const strict = v4 ? unpack(def.catchall).type === "never" : def.unknownKeys === "strict";
      if (strict) out["(other keys)"] = "refused";
      return out;
    }
    case "string":
    case "number":
    case "bigint":
      return checked(type);
    case "boolean":
    case "date":
    case "null":
      return type;
    case "any":
    case "unknown":
      return "any";
    case "literal":
      return { literal: v4 ? [...def.values][0] : def.value };
    case "enum":
      return {
        enum: v4
          ? Object.values(def.entries)
          : [...(def.values.length ? def.values : Object.values(def.values))],
      };
    case "array": {
      const r = rules(type, def, v4);
      const of = describe(v4 ? def.element : def.type);
      return r.length ? { array: of, items: r.join(", ") } : { array: of };
    }
    case "record":
      return { record: describe(def.valueType) };
    case "tuple":
      return { tuple: def.items.map(describe) };
    case "union":
      return { oneOf: [...(def.options.values?.() ?? def.options)].map(describe) };
    case "intersection":
      return { allOf: [describe(def.left), describe(def.right)] };
    case "optional":
      return describe(def.innerType);
    case "nullable":
      return { nullable: describe(def.innerType) };
    case "default":
      return {
        default: typeof def.defaultValue === "function" ? def.defaultValue() : def.defaultValue,
        of: describe(def.innerType),
      };
    case "catch":
    case "readonly":
    case "branded":
      return describe(def.innerType ?? def.type);
    case "effects":
      return describe(def.schema);
    case "pipe":
      return describe(def.in);
    case "transform":
      return "any";
    case "lazy":
      return "recursive";
    default:
      return type;
  }
}

async function sources(dir: URL, out: string[] = []): Promise<string[]> {
  for await (const e of Deno.readDir(dir)) {
    const url = new URL(e.isDirectory ? `${e.name}/` : e.name, dir);
    if (e.isDirectory) await sources(url, out);
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".types.ts")) {
      out.push(await Deno.readTextFile(url));
    }
  }
  return out;
}

/**
 * What a function needs at import, when the caller has no stack: a keyring of one
 * throwaway key (the contract encrypts nothing).
 */
function importableEnv() {
  if (!Deno.env.get("BYOK_KEYS")) {
    Deno.env.set("BYOK_KEYS", JSON.stringify({ contract: btoa("\0".repeat(32)) }));
    Deno.env.set("BYOK_ACTIVE_KID", "contract");
  }
}

/** The contract of the checkout at `root` (a directory URL ending in /). */
export async function contractOf(root: URL): Promise<Contract> {
  importableEnv();
  const functions = new URL("supabase/functions/", root);
  const routes: string[] = [];
  const requests: Record<string, unknown> = {};
  for (const name of await functionNames(functions)) {
    const fn = (await import(new URL(`${name}/index.ts`, functions).href)).default as {
      routeList(): { method: string; path: string; auth: string }[];
    };
    // Who may call: a user's token or the secret key (user+admin is a user route whose
    // handler also holds the admin client: nothing a client sees).
    for (const r of fn.routeList()) {
      routes.push(`${r.method} ${r.path} (${r.auth === "secret" ? "secret key" : "user"})`);
    }
    const schemas = new URL(`${name}/schemas.ts`, functions);
    if (await Deno.stat(schemas).then(() => true, () => false)) {
      for (const [key, value] of Object.entries(await import(schemas.href))) {
        if ((value as ZodAny)?._zod || (value as ZodAny)?._def?.typeName) {
          requests[`${name}.${key}`] = describe(value);
        }
      }
    }
  }
  // Every error built with a literal status and code (`new ApiError(404, "NOT_FOUND"`,
  // auth.ts's `authError(401, "INVALID_JWT"`), wherever it is built.
  const errors = new Set<string>();
  for (const text of await sources(functions)) {
    for (const m of text.matchAll(/[A-Za-z]+Error\(\s*(\d{3}),\s*"([A-Z][A-Z0-9_]+)"/g)) {
      errors.add(`${m[1]} ${m[2]}`);
    }
  }
  return { routes: [...new Set(routes)].sort(), requests, errors: [...errors].sort() };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      checkout: { type: "string" },
      write: { type: "string" },
      release: { type: "string" },
      commit: { type: "string" },
      responses: { type: "boolean" },
    },
  });
  const root = values.checkout
    ? new URL(`file://${Deno.realPathSync(values.checkout).replace(/\/?$/, "/")}`)
    : new URL("../", import.meta.url);
  const contract = await contractOf(root);
  if (values.responses) {
    const { tourResponses } = await import("../harness/api-tour.ts");
    contract.responses = await tourResponses();
  }
  const text = JSON.stringify(
    values.release ? { release: values.release, commit: values.commit, ...contract } : contract,
    null,
    2,
  ) + "\n";
  if (values.write) await Deno.writeTextFile(values.write, text);
  else console.log(text);
  // The functions' imports may leave pools or timers behind: the contract is written.
  Deno.exit(0);
}
