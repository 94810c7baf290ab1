// A baseline for old-versus-new benchmarks: a detached worktree of a git ref.

/** A detached worktree of `ref` under .local/bench/baseline/ (made once, kept). */
export async function worktree(ref: string): Promise<URL> {
  const root = new URL("../", import.meta.url);
  const git = async (...args: string[]) => {
    const out = await new Deno.Command("git", { args, cwd: root.pathname, stderr: "piped" })
      .output();
    if (!out.success) {
      throw new Error(`git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
    }
    return new TextDecoder().decode(out.stdout).trim();
  };
  const sha = await git("rev-parse", "--verify", `${ref}^{commit}`);
  const dir = new URL(`.local/bench/baseline/${sha.slice(0, 12)}/`, root);
  try {
    await Deno.stat(dir);
  } catch {
    await git("worktree", "add", "--detach", dir.pathname, sha);
  }
  return dir;
}
