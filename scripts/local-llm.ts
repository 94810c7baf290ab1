// The local OpenAI-compatible server's chat model: deterministic rules, good enough
// to demo and test the memory pipeline offline (docs/memory.md). It recognises the
// pipeline's two tasks by the JSON schema's name and reads their <data> block:
//
//   memory_facts      each first-person statement of a user message becomes a fact,
//                     in the third person without the subject ("I am vegetarian." ->
//                     "Is vegetarian"); questions, requests and small talk do not.
//   memory_decisions  per fact: NONE when a memory says the same; DELETE of a memory
//                     the fact negates ("no longer", "not anymore"); UPDATE of a memory
//                     about the same thing with a different value (same leading verb,
//                     half of the words shared); ADD otherwise.
//
// Anything else gets a deterministic reply: the last user message, and the memories
// and trip the prompt's context held (what the chat function sends).

import { stem } from "./embeddings-server.ts";

export interface ChatMessage {
  role: string;
  content: unknown;
}

function dataOf(messages: ChatMessage[]): Record<string, unknown> {
  for (const m of [...messages].reverse()) {
    const text = typeof m.content === "string" ? m.content : "";
    const found = /<data>\s*([\s\S]*?)\s*<\/data>/.exec(text);
    if (found) {
      try {
        return JSON.parse(found[1]);
      } catch {
        return {};
      }
    }
  }
  return {};
}

const SMALL_TALK =
  /^(i think|i guess|i see|i wonder|i hope you|i appreciate|i love (it|that|this)|i('m| am) (just )?(curious|wondering|fine|good|great|ok|okay|back|here)\b)/i;
const LEAD_INS =
  /^(actually|also|and|but|so|well|oh|btw|by the way|just so you know|fyi|ok|okay|yes|no|hmm|anyway|now|plus|however)\b[,\s]*/i;

/** "prefer" -> "prefers", "fly" -> "flies", "go" -> "goes". */
function thirdPerson(verb: string): string {
  if (/[^aeiou]y$/i.test(verb)) return verb.slice(0, -1) + "ies";
  if (/(s|sh|ch|x|z|o)$/i.test(verb)) return verb + "es";
  return verb + "s";
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** One first-person sentence as a fact without the subject, or null. */
export function toFact(sentence: string): string | null {
  let s = sentence.trim();
  for (let i = 0; i < 3; i++) s = s.replace(LEAD_INS, "");
  s = s.replace(/[,\s]+(now|these days|nowadays)$/i, "").trim();
  if (!s || SMALL_TALK.test(s)) return null;
  const rules: [RegExp, (m: RegExpExecArray) => string][] = [
    [/^i(?: am|'m|’m| m) (.+)$/i, (m) => `Is ${m[1]}`],
    [/^i (?:do not|don't|don’t) (\w+)(.*)$/i, (m) => `Does not ${m[1]}${m[2]}`],
    [/^i (?:cannot|can't|can’t) (.+)$/i, (m) => `Cannot ${m[1]}`],
    [/^i(?: would|'d|’d) (.+)$/i, (m) => `Would ${m[1]}`],
    [/^i(?: will|'ll|’ll) (.+)$/i, (m) => `Will ${m[1]}`],
    [/^i(?: have|'ve|’ve) (been|got|never|always|already) (.+)$/i, (m) => `Has ${m[1]} ${m[2]}`],
    [/^i have (.+)$/i, (m) => `Has ${m[1]}`],
    [/^i no longer (\w+)(.*)$/i, (m) => `No longer ${thirdPerson(m[1])}${m[2]}`],
    [
      /^i (never|always|usually|often|rarely|only|really|also|still|definitely) (\w+)(.*)$/i,
      (m) => `${capitalize(m[1])} ${thirdPerson(m[2])}${m[3]}`,
    ],
    [/^i (\w+)(.*)$/i, (m) => `${capitalize(thirdPerson(m[1]))}${m[2]}`],
    [/^my (.+)$/i, (m) => capitalize(m[1])],
    [/^we(?: are|'re|’re) (.+)$/i, (m) => `Are ${m[1]}`],
    [/^we (\w+)(.*)$/i, (m) => `${capitalize(m[1])}${m[2]}`],
    [/^our (.+)$/i, (m) => capitalize(m[1])],
  ];
  for (const [re, make] of rules) {
    const m = re.exec(s);
    if (m) return make(m).replace(/\s+/g, " ").trim();
  }
  return null;
}

/** The facts of a conversation: first-person statements of its user messages. */
export function extractFacts(data: Record<string, unknown>): string[] {
  const messages = Array.isArray(data.messages) ? data.messages : [];
  const facts: string[] = [];
  for (const m of messages) {
    if (m?.role !== "user" || typeof m.content !== "string") continue;
    for (const raw of m.content.split(/(?<=[.!?;])\s+|\n+/)) {
      const sentence = raw.trim();
      if (!sentence || sentence.endsWith("?")) continue; // questions are not statements
      const fact = toFact(sentence.replace(/[.!;]+$/, ""));
      if (fact && !facts.includes(fact)) facts.push(fact);
    }
  }
  return facts;
}

const NEGATED = /\b(no longer|not anymore|anymore|not|never)\b/i;
const NEGATIONS = /\b(no longer|not anymore|anymore|not|never|does|do)\b/gi;
const words = (text: string) =>
  (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).map((w) => stem(w));

function jaccard(a: string[], b: string[]): number {
  const x = new Set(a), y = new Set(b);
  const shared = [...x].filter((w) => y.has(w)).length;
  return shared / (x.size + y.size - shared || 1);
}

/** Decisions for new facts against existing memories, by number. */
export function decide(data: Record<string, unknown>) {
  const list = (v: unknown): { id: number; text: string }[] =>
    (Array.isArray(v) ? v : []).filter((x) =>
      typeof x?.text === "string" && Number.isInteger(x?.id)
    );
  const memories = list(data.existing_memories);
  const facts = list(data.new_facts);
  const decisions = facts.map((f) => {
    const same = memories.find((m) => m.text.toLowerCase() === f.text.toLowerCase());
    if (same) return { fact: f.id, event: "NONE", memory: same.id };
    if (NEGATED.test(f.text)) {
      // "Is no longer vegetarian" against "Is vegetarian": the rest of the words agree.
      const positive = words(f.text.replace(NEGATIONS, " "));
      const target = memories.find((m) =>
        !NEGATED.test(m.text) && jaccard(words(m.text), positive) >= 0.5
      );
      if (target) return { fact: f.id, event: "DELETE", memory: target.id };
    }
    const fw = words(f.text);
    const update = memories.find((m) => {
      const mw = words(m.text);
      return mw[0] === fw[0] && jaccard(mw, fw) >= 0.5;
    });
    if (update) return { fact: f.id, event: "UPDATE", memory: update.id };
    return { fact: f.id, event: "ADD", memory: null };
  });
  return { decisions };
}

/**
 * A chat reply that says what the prompt held: the last user message, and from the
 * system messages' <data> blocks the memories and the trip (the chat function's
 * context), so tests and demos can see the grounding.
 */
function groundedReply(messages: ChatMessage[]): string {
  const lastUser = [...messages].reverse().find((m) => m.role === "user");
  const said = typeof lastUser?.content === "string" ? lastUser.content.trim() : "";
  const context = dataOf(messages.filter((m) => m.role === "system"));
  const parts = [`(local model) You said: ${said.slice(0, 200)}`];
  const memories = Array.isArray(context.memories) ? context.memories : [];
  const texts = memories.map((m) => m?.text).filter((t) => typeof t === "string");
  if (texts.length) parts.push(`I remember: ${texts.join("; ")}.`);
  const trip = context.trip as Record<string, unknown> | undefined;
  if (trip && typeof trip.name === "string") {
    const when = trip.start_date ? `, ${trip.start_date} to ${trip.end_date}` : "";
    parts.push(`Your trip: ${trip.name} (${trip.destination ?? "no destination yet"}${when}).`);
  }
  return parts.join(" ");
}

/** The assistant's answer to a chat completion request, as text. */
export function localAnswer(body: Record<string, unknown>): string {
  const messages = (Array.isArray(body.messages) ? body.messages : []) as ChatMessage[];
  const format = body.response_format as
    | { type?: string; json_schema?: { name?: string } }
    | undefined;
  const task = format?.type === "json_schema" ? format.json_schema?.name : undefined;
  if (task === "memory_facts") return JSON.stringify({ facts: extractFacts(dataOf(messages)) });
  if (task === "memory_decisions") return JSON.stringify(decide(dataOf(messages)));
  const reply = groundedReply(messages);
  if (format?.type === "json_object" || format?.type === "json_schema") {
    return JSON.stringify({ reply });
  }
  return reply;
}

/** A rough token count (4 characters a token), as the usage fields need one. */
export const tokens = (text: string) => Math.ceil(text.length / 4);
