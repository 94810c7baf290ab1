// The functions of this project: every folder of supabase/functions/ but _shared and
// hidden ones, sorted. Used by the local server, the fuzz run, the platform tests, the
// startup bench and the API contract (also of another checkout's `dir`), so they all
// agree on what a function is.

export const functionsDir = new URL("../supabase/functions/", import.meta.url);

export async function functionNames(dir: URL = functionsDir): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory && !e.name.startsWith("_") && !e.name.startsWith(".")) names.push(e.name);
  }
  return names.sort();
}
