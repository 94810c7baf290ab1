// `-- --help` of every npm script prints what it does and starts nothing: no stack,
// no cluster, no install. Checked by the time it takes and by the stacks' lock files,
// which every start writes.
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url).pathname;

Deno.test("npm scripts: -- --help of every script prints its use and starts nothing", async () => {
  const scripts = Object.keys(JSON.parse(await Deno.readTextFile(`${ROOT}package.json`)).scripts);
  const locks = ["stack.pid", "bench/stack.pid", "eval/stack.pid", "reliability/stack.pid"]
    .map((f) => `${ROOT}.local/${f}`);
  const present = async () =>
    (await Promise.all(locks.map((f) => Deno.stat(f).then(() => f, () => null)))).filter(Boolean);
  const before = await present();
  for (const name of scripts) {
    const started = performance.now();
    const out = await new Deno.Command("npm", {
      args: ["run", "-s", name, "--", "--help"],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.ok(out.success, `${name}: ${new TextDecoder().decode(out.stderr)}`);
    assert.match(text, /npm (run|test)|`npm/, `${name} prints its use: ${text}`);
    assert.ok(performance.now() - started < 30_000, `${name} --help took too long`);
  }
  assert.deepEqual(await present(), before, "no stack was started");
});
