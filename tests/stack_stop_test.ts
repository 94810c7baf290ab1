// Stopping the local stack: `npm run dev` stops everything it started, and frees every
// port, on SIGTERM or SIGINT sent to npm's own pid (even when SIGINT was ignored on
// entry, as for any background job), and `npm run stop` stops a stack started
// elsewhere. Run on the `reliability` profile (STACK_PROFILE), so a developer's dev
// stack is never touched, on a block of its ports no socket holds (RELIABILITY_PORT_BASE).
import assert from "node:assert/strict";
import { freeReliabilityBase, listening, reliabilityPorts, untilReady } from "../harness/boot.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const BASE = freeReliabilityBase();
const PORTS = reliabilityPorts(BASE);
const ENV = { STACK_PROFILE: "reliability", RELIABILITY_PORT_BASE: String(BASE) };

/**
 * `npm run dev` of the reliability profile, once it is ready; up to three tries, since
 * its ports are in the kernel's range for outgoing connections and a client socket can
 * hold one for a moment on a busy machine (the server then cannot bind it).
 */
async function startDev(ignoreSigint: boolean) {
  for (let attempt = 1;; attempt++) {
    try {
      return await startDevOnce(ignoreSigint);
    } catch (e) {
      if (attempt === 3) throw e;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

async function startDevOnce(ignoreSigint: boolean) {
  // A background job of a non-interactive shell starts with SIGINT ignored.
  const command = ignoreSigint
    ? new Deno.Command("bash", {
      args: ["-c", "trap '' INT; exec npm run dev"],
      cwd: ROOT,
      env: ENV,
      stdout: "piped",
      stderr: "null",
    })
    : new Deno.Command("npm", {
      args: ["run", "dev"],
      cwd: ROOT,
      env: ENV,
      stdout: "piped",
      stderr: "null",
    });
  const child = command.spawn();
  const { drained } = await untilReady(child.stdout, "npm run dev");
  for (const port of PORTS) assert.ok(await listening(port), `port ${port} serves once ready`);
  return { child, drained };
}

async function stopped(child: Deno.ChildProcess, drained: Promise<void>) {
  const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
  const status = await child.status;
  clearTimeout(timer);
  await drained;
  const held = [];
  for (const port of PORTS) if (await listening(port)) held.push(port);
  return { status, held };
}

Deno.test({
  name: "npm run dev: SIGTERM or SIGINT to npm, or npm run stop, stops the whole stack",
  sanitizeResources: false,
  async fn() {
    for (const port of PORTS) {
      assert.ok(!(await listening(port)), `port ${port} is free before the test`);
    }
    for (const how of ["SIGTERM to npm", "SIGINT to npm", "npm run stop"] as const) {
      const { child, drained } = await startDev(how === "SIGINT to npm");
      if (how === "npm run stop") {
        const out = await new Deno.Command("npm", {
          args: ["run", "-s", "stop", "--", "reliability"],
          cwd: ROOT,
          env: ENV,
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.ok(out.success, new TextDecoder().decode(out.stderr));
      } else child.kill(how === "SIGTERM to npm" ? "SIGTERM" : "SIGINT");
      const { status, held } = await stopped(child, drained);
      assert.deepEqual(held, [], `${how}: ports still held`);
      assert.notEqual(status.signal, "SIGKILL", `${how}: npm run dev had to be killed`);
    }
  },
});
