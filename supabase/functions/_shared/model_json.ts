// The JSON inside a chat model's text answer. OpenAI's strict json_schema mode answers
// bare JSON, but the OpenAI-compatible endpoints a deployment may use instead (Azure,
// OpenRouter, Groq, vLLM, Ollama, LM Studio) often wrap it in ```json fences or put a
// sentence before or after it. Reading those is not guessing: only text that parses as
// JSON is taken, the first such value in the answer.

/**
 * Bounds on the search for embedded JSON, so a hostile endpoint's answer cannot make
 * it quadratic: the characters read (our completions are capped at ~1,000 tokens) and
 * the brackets tried as a start.
 */
const MAX_SCAN_CHARS = 32_000;
const MAX_STARTS = 20;

/** Index of the bracket closing the `{` or `[` at `start`, or -1; strings are skipped. */
function closingBracket(text: string, start: number): number {
  const stack: string[] = [];
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === "{") stack.push("}");
    else if (ch === "[") stack.push("]");
    else if (ch === "}" || ch === "]") {
      if (stack.pop() !== ch) return -1;
      if (stack.length === 0) return i;
    }
  }
  return -1;
}

const parse = (text: string): { value: unknown } | null => {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return null;
  }
};

/**
 * The JSON value a model answered: the whole text, else the first fenced block that
 * parses, else the first balanced object or array in the text that parses.
 * `undefined` when there is none (JSON's own `null` is returned as null).
 */
export function jsonInText(text: string): unknown {
  const t = text.trim().slice(0, MAX_SCAN_CHARS);
  if (!t) return undefined;
  const whole = parse(t);
  if (whole) return whole.value;
  for (const fence of t.matchAll(/```[\w-]*[ \t]*\r?\n?([\s\S]*?)```/g)) {
    const inside = parse(fence[1].trim());
    if (inside) return inside.value;
  }
  for (let i = 0, tried = 0; i < t.length && tried < MAX_STARTS; i++) {
    if (t[i] !== "{" && t[i] !== "[") continue;
    tried++;
    const end = closingBracket(t, i);
    if (end < 0) continue;
    const found = parse(t.slice(i, end + 1));
    if (found) return found.value;
  }
  return undefined;
}
