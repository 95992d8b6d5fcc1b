/**
 * Which llmbench this is. scripts/build.ts defines the three constants when it compiles a binary
 * (`--define`); from source (`bun src/cli.ts`) they are undefined, and the version line says so.
 */
import pkg from "../package.json" with { type: "json" };

/** "0.1.0+1ab4e71": the version written into result files (`tool.version`) */
declare const LLMBENCH_VERSION: string | undefined;
/** "1ab4e71", "1ab4e71-dirty" (built from a tree with changes), "" (built outside a git checkout) */
declare const LLMBENCH_COMMIT: string | undefined;
/** "linux-x64", "linux-arm64-musl", "darwin-arm64", "windows-x64": what it was compiled for */
declare const LLMBENCH_TARGET: string | undefined;

export const VERSION: string = typeof LLMBENCH_VERSION === "string" ? LLMBENCH_VERSION : `${pkg.version}-dev`;

export interface BuildInfo {
  /** package.json's version */
  version: string;
  /** short commit id, undefined when unknown */
  commit?: string;
  /** compiled: the target it was built for; from source: undefined */
  target?: string;
}

/** What the build defined; from source, only the version (the commit is asked of git on demand). */
export const BUILD: BuildInfo = {
  version: pkg.version,
  commit: typeof LLMBENCH_COMMIT === "string" && LLMBENCH_COMMIT ? LLMBENCH_COMMIT : undefined,
  target: typeof LLMBENCH_TARGET === "string" ? LLMBENCH_TARGET : undefined,
};

/**
 * `llmbench --version`:
 *   compiled     llmbench 0.1.0 (1ab4e71) linux-x64
 *   from source  llmbench 0.1.0 (1ab4e71, from source, not compiled) linux-x64, bun 1.4.5
 */
export function versionLine(b: BuildInfo, host: { os: string; arch: string; bun: string }): string {
  const commit = b.commit ?? "commit unknown";
  if (b.target) return `llmbench ${b.version} (${commit}) ${b.target}`;
  const os = host.os === "win32" ? "windows" : host.os;
  return `llmbench ${b.version} (${commit}, from source, not compiled) ${os}-${host.arch}, bun ${host.bun}`;
}
