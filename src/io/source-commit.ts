/** The commit of the checkout llmbench runs from, when it runs from source: `1ab4e71`, `1ab4e71-dirty`. */
export function sourceCommit(dir: string = import.meta.dir): string | undefined {
  const git = (...args: string[]) => {
    try {
      const p = Bun.spawnSync(["git", "-C", dir, ...args], { stdout: "pipe", stderr: "ignore" });
      return p.exitCode === 0 ? p.stdout.toString().trim() : undefined;
    } catch {
      return undefined; // no git on this machine
    }
  };
  const sha = git("rev-parse", "--short", "HEAD");
  if (!sha) return undefined;
  return git("status", "--porcelain") ? `${sha}-dirty` : sha;
}
