// BYOK crypto throughput: AES-256-GCM encrypt and decrypt of a typical provider key
// through the same module the functions use.

import {
  decryptSecret,
  encryptSecret,
  loadKeyring,
} from "../supabase/functions/_shared/byok_crypto.ts";
import { summarize, table } from "../harness/measure.ts";

export async function cryptoBench(opts: { seconds: number }) {
  const keyring = await loadKeyring();
  const binding = { userId: crypto.randomUUID(), service: "openai", keyName: "default" };
  const value = `sk-proj-${"x".repeat(156)}`; // the length of a current OpenAI project key
  const sealed = await encryptSecret(keyring, value, binding);
  const rows = [];
  for (
    const [op, fn] of [
      ["encrypt", () => encryptSecret(keyring, value, binding)],
      ["decrypt", () => decryptSecret(keyring, sealed, binding)],
    ] as const
  ) {
    for (const inFlight of [1, 64]) {
      const latencies: number[] = [];
      let n = 0;
      const until = performance.now() + opts.seconds * 1000;
      const started = performance.now();
      while (performance.now() < until) {
        const t = performance.now();
        await Promise.all(Array.from({ length: inFlight }, () => fn()));
        latencies.push((performance.now() - t) / inFlight);
        n += inFlight;
      }
      const secs = (performance.now() - started) / 1000;
      rows.push({
        op,
        in_flight: inFlight,
        ops_per_s: Math.round(n / secs),
        ...summarize(latencies),
      });
    }
  }
  table("crypto: AES-256-GCM via WebCrypto (one 164-character key)", rows);
  return { value_chars: value.length, rows };
}
