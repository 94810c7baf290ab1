// The memory pipeline's two model answers, read tolerantly (docs/memory.md, "Formats
// accepted"): the shapes our JSON schemas ask for, and the shapes real models answer
// instead when an endpoint does not enforce the schema. A reader returns null when
// nothing usable is left, never an empty answer that would look like "nothing to
// remember".

import { type Event, MAX_FACT_CHARS, MAX_FACTS } from "./memory_prompts.ts";

/** What the extraction call yields: facts to remember, and facts the user asked to forget. */
export interface Extraction {
  facts: string[];
  forget: string[];
}

/** One decision as the model meant it: a fact by number, an event, a memory by number. */
export interface Decision {
  fact: number;
  event: Event;
  memory: number | null;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** The first of `keys` that `o` has (not undefined). */
const pick = (o: Json, keys: string[]): unknown => {
  for (const k of keys) if (o[k] !== undefined) return o[k];
  return undefined;
};

const FACT_LIST_KEYS = ["facts", "memories", "memory", "items", "results", "statements"];
const FORGET_KEYS = ["forget", "forget_requests", "to_forget", "forgotten"];
const FACT_TEXT_KEYS = ["fact", "text", "memory", "content", "statement", "value"];

/** Our form of a fact: one line, trimmed, no final full stop. */
export const normaliseFact = (text: string) => text.replace(/\s+/g, " ").trim().replace(/\.$/, "");

/** Fact strings from a list of strings or of objects holding one; null when none is usable. */
function factTexts(list: unknown): string[] | null {
  const items = Array.isArray(list) ? list : typeof list === "string" ? [list] : null;
  if (items === null) return null;
  const texts = items.map((f) => {
    const text = isObject(f) ? pick(f, FACT_TEXT_KEYS) : f;
    return typeof text === "string" ? text : null;
  });
  const usable = texts.filter((t): t is string => t !== null);
  return items.length > 0 && usable.length === 0 ? null : usable;
}

/** Strings trimmed, bounded, each once (case-insensitive), at most MAX_FACTS. */
export function cleanFacts(raw: string[]): string[] {
  const seen = new Set<string>();
  const facts: string[] = [];
  for (const f of raw) {
    const text = normaliseFact(f);
    if (!text || text.length > MAX_FACT_CHARS || seen.has(text.toLowerCase())) continue;
    seen.add(text.toLowerCase());
    facts.push(text);
    if (facts.length === MAX_FACTS) break;
  }
  return facts;
}

/**
 * The extraction answer: `{"facts": [...], "forget": [...]}` as asked, or a top-level
 * array, `memories` (or another list key) for `facts`, facts as objects (`{"fact": ...}`,
 * `{"text": ...}`), one fact as a string. An object with nothing we know is unusable.
 */
export function readExtraction(value: unknown): Extraction | null {
  if (Array.isArray(value)) {
    const facts = factTexts(value);
    return facts === null ? null : { facts: cleanFacts(facts), forget: [] };
  }
  if (!isObject(value)) return null;
  let list = pick(value, FACT_LIST_KEYS);
  const forgetList = pick(value, FORGET_KEYS);
  if (list === undefined && forgetList === undefined) {
    // One list under a name of the model's own ("preferences", "user_facts").
    const arrays = Object.values(value).filter(Array.isArray);
    if (arrays.length !== 1) return null;
    list = arrays[0];
  }
  const facts = list === undefined ? [] : factTexts(list);
  const forget = forgetList === undefined ? [] : factTexts(forgetList);
  if (facts === null || forget === null) return null;
  return { facts: cleanFacts(facts), forget: cleanFacts(forget) };
}

const EVENT_WORDS: Record<string, Event> = {
  ADD: "ADD",
  CREATE: "ADD",
  INSERT: "ADD",
  NEW: "ADD",
  UPDATE: "UPDATE",
  REPLACE: "UPDATE",
  MODIFY: "UPDATE",
  EDIT: "UPDATE",
  DELETE: "DELETE",
  REMOVE: "DELETE",
  RETIRE: "DELETE",
  NONE: "NONE",
  NOOP: "NONE",
  NO_OP: "NONE",
  NOTHING: "NONE",
  NO_CHANGE: "NONE",
  KEEP: "NONE",
  SKIP: "NONE",
};

const eventOf = (v: unknown): Event | null =>
  typeof v === "string"
    ? EVENT_WORDS[v.trim().toUpperCase().replace(/[\s-]+/g, "_")] ?? null
    : null;

/** A number as the model wrote it: 3, "3", "#3", " 3 ". */
function indexOf(v: unknown): number | null {
  if (typeof v === "number") return Number.isInteger(v) ? v : null;
  if (typeof v !== "string") return null;
  const m = /^\s*#?\s*(\d{1,4})\s*$/.exec(v);
  return m ? Number(m[1]) : null;
}

const words = (text: string) => new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);

/** The fact a text names: the same text, or the one sharing most of its words (>= 0.6). */
function factByText(text: unknown, facts: string[]): number | null {
  if (typeof text !== "string") return null;
  const t = normaliseFact(text).toLowerCase();
  const same = facts.findIndex((f) => f.toLowerCase() === t);
  if (same >= 0) return same;
  const w = words(t);
  let best: number | null = null, bestScore = 0.6;
  facts.forEach((f, i) => {
    const fw = words(f);
    const shared = [...w].filter((x) => fw.has(x)).length;
    const score = shared / Math.max(w.size, fw.size, 1);
    if (score >= bestScore) [best, bestScore] = [i, score + 1e-9];
  });
  return best;
}

const DECISION_LIST_KEYS = ["decisions", "memory", "memories", "results", "operations", "actions"];
const EVENT_KEYS = ["event", "action", "operation", "op", "decision", "type"];
const FACT_KEYS = ["fact", "fact_id", "fact_index", "new_fact", "new_fact_id"];
const MEMORY_KEYS = [
  "memory",
  "memory_id",
  "memory_index",
  "target",
  "existing_memory",
  "existing_memory_id",
];

/**
 * The decision answer as decisions on fact numbers: `{"decisions": [{fact, event,
 * memory}]}` as asked, a top-level array, one decision alone, numbers as strings, any
 * case of event names and common synonyms, facts named by their text, and Mem0's own
 * `{"memory": [{"id", "text", "event"}]}`, where `id` is a memory's number and `text`
 * the fact (an ADD's `id` is a new number and means nothing). A decision that names no
 * fact is tied to one by `candidatesOf`: the only undecided fact that memory is a
 * candidate of. Null when no decision is usable.
 */
export function readDecisions(
  value: unknown,
  facts: string[],
  candidatesOf: (fact: number) => number[],
): Decision[] | null {
  let list: unknown = value;
  if (isObject(value)) {
    const inner = pick(value, DECISION_LIST_KEYS);
    list = Array.isArray(inner) ? inner : isObject(inner) ? [inner] : [value];
  }
  if (!Array.isArray(list)) return null;
  const decisions: Decision[] = [];
  const unplaced: { event: Event; memory: number }[] = [];
  for (const item of list) {
    if (!isObject(item)) continue;
    const event = eventOf(pick(item, EVENT_KEYS));
    if (!event) continue;
    const factField = pick(item, FACT_KEYS);
    const mem0 = factField === undefined && item.id !== undefined;
    let fact = indexOf(factField) ?? factByText(factField, facts);
    let memory = indexOf(mem0 ? item.id : pick(item, MEMORY_KEYS));
    if (mem0) {
      if (event === "ADD") memory = null;
      fact = factByText(item.text, facts);
    }
    if (fact !== null && fact >= 0 && fact < facts.length) {
      decisions.push({ fact, event, memory });
    } else if (factField === undefined && memory !== null && event !== "ADD") {
      unplaced.push({ event, memory }); // names no fact: placed below, if only one can be meant
    }
  }
  for (const { event, memory } of unplaced) {
    const open = facts.flatMap((_, i) =>
      !decisions.some((d) => d.fact === i) && candidatesOf(i).includes(memory) ? [i] : []
    );
    if (open.length === 1) decisions.push({ fact: open[0], event, memory });
  }
  return decisions.length === 0 && facts.length > 0 ? null : decisions;
}
