// Work that outlives its response: the platform keeps the isolate until it settles.

/** The platform's EdgeRuntime.waitUntil (the local server provides the same API). */
export function inBackground(work: Promise<unknown>) {
  const runtime = (globalThis as {
    EdgeRuntime?: { waitUntil?: (p: Promise<unknown>) => void };
  })
    .EdgeRuntime;
  runtime?.waitUntil?.(work);
}
