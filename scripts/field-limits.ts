// The field limits of every request body and query string, read from the zod schemas
// the functions validate with, as the markdown table docs/api.md shows between its
// `field-limits` markers. `deno run -A scripts/field-limits.ts` prints it;
// tests/field_limits_test.ts fails when the page and the schemas disagree, or when a
// schema is exported without a route named for it here.

import { z } from "zod";
import * as trips from "../supabase/functions/trips/schemas.ts";
import * as memories from "../supabase/functions/memories/schemas.ts";
import * as chat from "../supabase/functions/chat/schemas.ts";
import * as apiKeys from "../supabase/functions/api-keys/schemas.ts";
import { jsonObject } from "../supabase/functions/_shared/validation.ts";

/** Each request schema and the route (and part of the request) it validates. */
export const ROUTES: [string, z.ZodTypeAny][] = [
  ["POST /trips", trips.tripCreate],
  ["PATCH /trips/:id", trips.tripPatch],
  ["GET /trips (query)", trips.tripListQuery],
  ["POST /trips/:id/invitations", trips.invitationCreate],
  ["PATCH /trips/:id/collaborators/:userId", trips.collaboratorPatch],
  ["GET /trips/:id/<children> (query)", trips.childListQuery],
  ["POST, PATCH /trips/:id/flights", trips.CHILDREN.flights.create],
  ["POST, PATCH /trips/:id/accommodations", trips.CHILDREN.accommodations.create],
  ["POST, PATCH /trips/:id/itinerary-items", trips.CHILDREN["itinerary-items"].create],
  ["POST /memories (one memory)", memories.memory],
  ["POST /memories (a batch)", memories.memoryBatch],
  ["POST /memories (a conversation)", memories.conversation],
  ["PATCH /memories/:id", memories.memoryPatch],
  ["POST /memories/search", memories.searchBody],
  ["GET /memories (query)", memories.listQuery],
  ["POST /chat/sessions", chat.newSession],
  ["PATCH /chat/sessions/:id", chat.sessionPatch],
  ["POST /chat/sessions/:id/messages", chat.newMessage],
  ["GET /chat/sessions (query)", chat.sessionListQuery],
  ["GET /chat/sessions/:id/messages (query)", chat.messageListQuery],
  ["POST /api-keys", apiKeys.keyCreate],
  ["PATCH /api-keys/:id", apiKeys.keyPatch],
  ["GET /api-keys (query)", apiKeys.keyListQuery],
  ["POST /api-keys/admin/rotate", apiKeys.rotateBody],
];

/** The schemas' modules, to find exported schemas that no route above names. */
export const MODULES: Record<string, Record<string, unknown>> = {
  trips,
  memories,
  chat,
  "api-keys": apiKeys,
};

type Def = { typeName: string; [k: string]: unknown };
const def = (s: z.ZodTypeAny) => s._def as Def;

const range = (min?: number, max?: number, unit = "") =>
  min !== undefined && max !== undefined
    ? `${min}..${max}${unit}`
    : max !== undefined
    ? `at most ${max}${unit}`
    : min !== undefined
    ? `at least ${min}${unit}`
    : "";

/** One schema in words; `rows` gets a row per field of an object, nested with dots. */
function describe(schema: z.ZodTypeAny, field: string, rows: [string, string][]): string {
  if (schema === jsonObject) return "a JSON object, at most 16 KiB as JSON";
  const d = def(schema);
  switch (d.typeName) {
    case "ZodOptional":
      return `${describe(d.innerType as z.ZodTypeAny, field, rows)} (optional)`;
    case "ZodNullable":
      return `${describe(d.innerType as z.ZodTypeAny, field, rows)}, or null`;
    case "ZodDefault":
      return `${describe(d.innerType as z.ZodTypeAny, field, rows)} (default ${
        JSON.stringify((d.defaultValue as () => unknown)())
      })`;
    case "ZodEffects":
      return describe(d.schema as z.ZodTypeAny, field, rows);
    case "ZodString": {
      const checks = d.checks as { kind: string; value?: number; message?: string }[];
      const min = checks.find((c) => c.kind === "min")?.value;
      const max = checks.find((c) => c.kind === "max")?.value;
      const formats = checks.flatMap((c) =>
        c.kind === "email"
          ? ["an email address"]
          : c.kind === "uuid"
          ? ["a uuid"]
          : c.kind === "date"
          ? ["a date, YYYY-MM-DD"]
          : c.kind === "datetime"
          ? ["an ISO 8601 date-time with a time zone"]
          : c.kind === "regex" && c.message
          ? [c.message.replace(/^must (be )?/, "")]
          : []
      );
      return [range(min, max, " characters"), ...formats].filter(Boolean).join("; ") || "text";
    }
    case "ZodNumber": {
      const checks = d.checks as { kind: string; value?: number; inclusive?: boolean }[];
      const int = checks.some((c) => c.kind === "int") ? "an integer" : "a number";
      const min = checks.find((c) => c.kind === "min");
      const max = checks.find((c) => c.kind === "max")?.value;
      if (min && !min.inclusive) {
        return `${int} > ${min.value}${max !== undefined ? `, at most ${max}` : ""}`;
      }
      return `${int} ${range(min?.value, max)}`.trim();
    }
    case "ZodBoolean":
      return "true or false";
    case "ZodEnum":
      return `one of ${(d.values as string[]).join(", ")}`;
    case "ZodArray": {
      const items = describe(d.type as z.ZodTypeAny, `${field}[]`, rows);
      const n = range(
        (d.minLength as { value: number } | null)?.value,
        (d.maxLength as { value: number } | null)?.value,
        " items",
      );
      return `an array${n ? ` of ${n}` : ""}, each ${items}`;
    }
    case "ZodObject": {
      const shape = (schema as z.AnyZodObject).shape as Record<string, z.ZodTypeAny>;
      for (const [k, v] of Object.entries(shape)) {
        const name = field ? `${field}.${k}` : k;
        const text = describe(v, name, rows);
        if (def(v).typeName !== "ZodObject") rows.push([name, text]);
      }
      return "an object";
    }
    case "ZodRecord":
      return "a JSON object";
    default:
      return d.typeName.replace(/^Zod/, "").toLowerCase();
  }
}

/** The table docs/api.md holds between its field-limits markers. */
export function fieldLimitsTable(): string {
  const lines = ["| route | field | accepted |", "| --- | --- | --- |"];
  for (const [route, schema] of ROUTES) {
    const rows: [string, string][] = [];
    describe(schema, "", rows);
    for (const [field, rule] of rows) {
      lines.push(`| ${route} | \`${field}\` | ${rule.replaceAll("|", "\\|")} |`);
    }
  }
  return lines.join("\n");
}

if (import.meta.main) console.log(fieldLimitsTable());
