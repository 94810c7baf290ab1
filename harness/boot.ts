// Processes tests start: one function served by a process of its own, loaded through
// its own deno.json as the platform loads it, with the test stack's environment plus
// `extraEnv` (e.g. an empty CACHE_URL: the same function without a cache); and the
// helpers for tests that start a whole stack (its `ready` line, its ports).
import { functionsDir } from "../scripts/function-names.ts";

const root = new URL("../", import.meta.url);

export const configOf = (name: string, from = functionsDir) =>
  new URL(`${name}/deno.json`, from).pathname;

/** The reliability profile's ports from its base (scripts/lib.sh): API, Postgres, Redis, embeddings. */
export const reliabilityPorts = (base: number) => [base, base + 1, base + 8, base + 9];

/** Whether `port` can be bound now: no listener and no client socket holds it. */
function bindable(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

/**
 * A RELIABILITY_PORT_BASE whose ports no socket holds now. The profile's ports are in
 * the kernel's range for outgoing connections, and a test suite holds many pooled client
 * connections: one can sit on a fixed port for minutes, and the server then cannot bind
 * it. Tests that start that profile mid-run take a block that is free.
 */
export function freeReliabilityBase(): number {
  const base = [54381, 55381, 56381, 57381, 58381, 59381]
    .find((b) => reliabilityPorts(b).every(bindable));
  if (base === undefined) throw new Error("no free block of ports for the reliability stack");
  return base;
}

export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * Boots `name` with the `deno` binary; `base` is its /functions/v1 URL. `checkout` is
 * another tree of this repository (a benchmark's baseline), by default this one.
 */
export async function boot(
  deno: string,
  name: string,
  extraEnv: Record<string, string> = {},
  checkout: URL = root,
) {
  const port = freePort();
  const child = new Deno.Command(deno, {
    args: [
      "run",
      "--allow-all",
      "--no-lock",
      "--config",
      configOf(name, new URL("supabase/functions/", checkout)),
      new URL("scripts/functions-server.ts", checkout).pathname,
    ],
    env: { API_PORT: String(port), FUNCTIONS: name, ...extraEnv },
    // Request logs are not read: a pipe nobody drains would block the server when full.
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const base = `http://127.0.0.1:${port}/functions/v1`;
  const stop = async () => {
    try {
      child.kill("SIGKILL"); // a graceful stop waits for the pool's idle connections
    } catch {
      // already gone
    }
    const out = await child.output();
    return new TextDecoder().decode(out.stderr);
  };
  // The first boot on a fresh cache downloads the npm packages: allow for it.
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      const res = await fetch(`${base}/${name}`, { method: "OPTIONS" });
      await res.body?.cancel();
      if (res.status === 204) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name} did not boot:\n${await stop()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { base, stop };
}

/** Is something listening on 127.0.0.1:`port`? */
export async function listening(port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads a stack's output (scripts/stack.sh, npm run dev) until its `ready` line, then
 * keeps draining it so that it never blocks on a full pipe; throws with what it printed
 * if it ends first.
 */
export async function untilReady(
  stdout: ReadableStream<Uint8Array>,
  what: string,
): Promise<{ drained: Promise<void> }> {
  const lines = stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!/^ready$/m.test(seen)) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`${what} did not get ready:\n${seen}`);
    seen += value;
  }
  const drained = (async () => {
    while (!(await lines.read()).done) { /* discard */ }
  })();
  return { drained };
}
