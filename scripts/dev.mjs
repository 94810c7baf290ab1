// `npm run dev`: installs what is missing, then runs the developer stack in the
// foreground (scripts/stack.sh dev; STACK_PROFILE=<profile> runs another profile's).
// Ctrl-C, or SIGINT or SIGTERM sent to this process (or to npm, which passes them on),
// stops the whole stack: PostgreSQL, Redis and both servers, and frees their ports.
//
// Why Node and not the shell script itself: npm runs a script through `sh -c`, which
// dies on SIGTERM without passing it on (the stack kept running, orphaned), and a
// shell started with SIGINT ignored (any background job) can never trap it. Node
// catches both, and starts the stack in a process group of its own, with the default
// signal dispositions, so that one signal reaches all of it.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const scripts = dirname(fileURLToPath(import.meta.url));
const profile = process.env.STACK_PROFILE || "dev";

if (process.argv.includes("--help") || process.argv.includes("-h")) {
  const header = readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n");
  const end = header.findIndex((l) => !l.startsWith("//"));
  console.log(header.slice(0, end).map((l) => l.replace(/^\/\/ ?/, "")).join("\n"));
  process.exit(0);
}

const installed = spawnSync("bash", [join(scripts, "install.sh")], { stdio: "inherit" });
if (installed.status !== 0) process.exit(installed.status ?? 1);

const stack = spawn("bash", [join(scripts, "stack.sh"), profile], {
  stdio: "inherit",
  detached: true, // its own process group: one kill reaches every server it starts
});

let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  // stack.sh traps TERM and stops what it started, by pid; the group gets it too.
  try {
    process.kill(-stack.pid, "SIGTERM");
  } catch {
    // already gone
  }
  process.exitCode = signal === "SIGINT" ? 130 : 143;
}
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGHUP", () => stop("SIGTERM"));

stack.on("exit", (code, signal) => {
  if (!stopping) process.exitCode = code ?? (signal ? 1 : 0);
  process.exit();
});
