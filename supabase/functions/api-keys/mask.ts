// What a list may show of a stored key: a recognisable prefix such as `sk-` and,
// for keys long enough that it gives nothing useful away, the last four characters.

const PREFIX = /^[A-Za-z]{2,8}[-_]/;

/** `sk-proj-abcd…wxyz` -> `sk-…wxyz`; short keys show no tail. */
export function maskKey(value: string): string {
  const prefix = value.match(PREFIX)?.[0] ?? "";
  const tail = value.length >= 20 ? value.slice(-4) : "";
  return `${prefix}…${tail}`;
}
