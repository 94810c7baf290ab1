// One cold start of one function, in a process of its own that loads the function
// through its own deno.json (bench/startup.ts spawns it): module import, then the first
// request, as the platform would serve it. Prints one JSON line.
//
// Usage: deno run -A --config <functions>/<name>/deno.json bench/startup_probe.ts <entry URL> <path>
// Env: the stack's settings, TOKEN (a user's access token).

const [entry, path] = Deno.args;
const importStart = performance.now();
const mod = await import(entry);
const importMs = performance.now() - importStart;
const requestStart = performance.now();
const res = await mod.default.fetch(
  new Request(`http://localhost${path}`, {
    headers: { Authorization: `Bearer ${Deno.env.get("TOKEN")}` },
  }),
);
await res.arrayBuffer();
const firstRequestMs = performance.now() - requestStart;
console.log(JSON.stringify({
  status: res.status,
  // performance.now() counts from the process's time origin: all of it before import
  // is the runtime's own boot.
  boot_ms: importStart,
  import_ms: importMs,
  first_request_ms: firstRequestMs,
}));
Deno.exit(0);
