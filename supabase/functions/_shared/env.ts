// Numeric settings from the environment: a missing, empty or malformed value is the
// default, never NaN or 0 by accident.

/** A positive whole number (pool sizes, milliseconds). */
export function envInt(name: string, fallback: number): number {
  const v = Number(Deno.env.get(name));
  return Number.isInteger(v) && v > 0 ? v : fallback;
}

/** A number >= 0 (rates, seconds; 0 may mean "off"). */
export function envNumber(name: string, fallback: number): number {
  const raw = Deno.env.get(name);
  const v = Number(raw);
  return raw !== undefined && raw !== "" && Number.isFinite(v) && v >= 0 ? v : fallback;
}
