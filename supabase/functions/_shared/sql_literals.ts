// Bind parameters as SQL literals, so that a whole transaction (claims, role, timeout
// and the query) travels as one simple-protocol message: one round trip (db.ts). The
// simple protocol has no bind parameters; each $n outside quotes and comments becomes
// a quoted literal of the text node-postgres would have sent as that parameter. A
// quoted literal has type unknown, as a text parameter does, so Postgres resolves its
// type from the context exactly as before (the casts in our SQL, column types).

/** The text form node-postgres sends for a parameter value (null: SQL NULL). */
export function parameterText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) {
    return "\\x" + Array.from(value, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  if (Array.isArray(value)) return arrayText(value);
  return JSON.stringify(value);
}

/** A Postgres array literal: {"a","b",NULL,{...}} with \ and " escaped in elements. */
function arrayText(items: unknown[]): string {
  const parts = items.map((item) => {
    if (item === null || item === undefined) return "NULL";
    if (Array.isArray(item)) return arrayText(item);
    const text = parameterText(item)!;
    return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
  });
  return `{${parts.join(",")}}`;
}

/** A quoted literal; backslashes switch to E'' form (standard_conforming_strings or not). */
export function quoteLiteral(text: string): string {
  const doubled = text.replace(/'/g, "''");
  return text.includes("\\") ? `E'${doubled.replace(/\\/g, "\\\\")}'` : `'${doubled}'`;
}

/**
 * `text` with each placeholder $1..$n replaced by its parameter as a literal. Quoted
 * strings, quoted identifiers, comments and dollar-quoted bodies are copied as they are.
 */
export function inlineParameters(text: string, params: unknown[]): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    const next = text[i + 1];
    let end = i + 1;
    if (ch === "'" || ch === '"') {
      end = text.indexOf(ch, i + 1);
      while (end !== -1 && text[end + 1] === ch) end = text.indexOf(ch, end + 2);
      end = end === -1 ? text.length : end + 1;
    } else if (ch === "-" && next === "-") {
      end = text.indexOf("\n", i);
      end = end === -1 ? text.length : end;
    } else if (ch === "/" && next === "*") {
      end = text.indexOf("*/", i + 2);
      end = end === -1 ? text.length : end + 2;
    } else if (ch === "$") {
      const placeholder = /^\$(\d+)/.exec(text.slice(i, i + 12));
      const tag = /^\$[A-Za-z_][A-Za-z0-9_]*\$|^\$\$/.exec(text.slice(i, i + 64));
      if (placeholder && !/[A-Za-z0-9_]/.test(text[i - 1] ?? "")) {
        const n = Number(placeholder[1]);
        if (n < 1 || n > params.length) throw new Error(`no parameter $${n}`);
        const value = parameterText(params[n - 1]);
        out += value === null ? "NULL" : quoteLiteral(value);
        i += placeholder[0].length;
        continue;
      }
      if (tag) {
        const close = text.indexOf(tag[0], i + tag[0].length);
        end = close === -1 ? text.length : close + tag[0].length;
      }
    }
    out += text.slice(i, end);
    i = end;
  }
  return out;
}
