/**
 * Compile llmbench: one self-contained executable per target (bun build --compile), with its version,
 * commit and target written in (`llmbench --version`).
 *   bun scripts/build.ts                       # this machine → dist/llmbench (npm run build; npm test and the demo use it)
 *   bun scripts/build.ts --release             # every release target → dist/release/ (each binary and its .gz),
 *                                              # SHA256SUMS and install.sh (npm run release)
 *   bun scripts/build.ts --release --target linux-x64 --out DIR   # some of them, elsewhere (the install test)
 *   bun scripts/build.ts --all                 # the same as --release (--target alone implies it too)
 *
 * A target other than this machine's is compiled with Bun's runtime for it, which `bun build`
 * downloads once from the npm registry (the @oven/bun-<os>-<cpu> packages, ~35–45 MB each compressed)
 * into Bun's cache (~/.bun/install/cache); later builds are offline.
 *
 * Flags given to every build, and why:
 * - --splitting: each lazily imported command and each BPE table (o200k: 2.7 MB of JS, cl100k: 1.0 MB)
 *   is its own module inside the executable, parsed only when it is imported. Without it the whole
 *   4 MB bundle was parsed at every start: `--version` cost 72 ms of CPU instead of 27 ms (bare bun: 9 ms;
 *   `npx bun scripts/size-startup.ts` measures it).
 * - --minify, --sourcemap (embedded, compressed: stack traces of an internal error name src/ files).
 * - --no-compile-autoload-bunfig, --no-compile-autoload-dotenv: the binary reads no bunfig.toml and no
 *   .env from the folder it is run in (a bunfig.toml there with `preload` ran its code inside llmbench).
 */
import { $ } from "bun";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { arg } from "./lib/args.ts";
import { sourceCommit } from "../src/io/source-commit.ts";

/** Release targets: the file's name (OS and CPU, `-musl` for musl libc) → Bun's compile target. */
export const RELEASE_TARGETS: Record<string, string> = {
  "linux-x64": "bun-linux-x64",
  "linux-arm64": "bun-linux-arm64",
  "linux-x64-musl": "bun-linux-x64-musl",
  "linux-arm64-musl": "bun-linux-arm64-musl",
  "darwin-x64": "bun-darwin-x64",
  "darwin-arm64": "bun-darwin-arm64",
  "windows-x64": "bun-windows-x64",
};

/** A release file's name: `llmbench-linux-x64`, `llmbench-windows-x64.exe`. */
export const releaseFile = (target: string) => `llmbench-${target}${target.startsWith("windows") ? ".exe" : ""}`;

/** This machine's target name, as in RELEASE_TARGETS. */
export function hostTarget(): string {
  const os =
    ({ linux: "linux", darwin: "darwin", win32: "windows" } as Record<string, string>)[process.platform] ??
    process.platform;
  const musl =
    process.platform === "linux" &&
    ["/lib", "/usr/lib"].some((d) => existsSync(d) && readdirSync(d).some((f) => f.startsWith("ld-musl-")));
  return `${os}-${process.arch}${musl ? "-musl" : ""}`;
}

async function build(target: string, outfile: string, commit: string | undefined): Promise<void> {
  const t0 = performance.now();
  // bun names a Windows executable .exe whatever it is told
  if (target.startsWith("windows") && !outfile.endsWith(".exe")) outfile += ".exe";
  const version = commit ? `${pkg.version}+${commit}` : pkg.version;
  const define: Record<string, string> = {
    LLMBENCH_VERSION: version,
    LLMBENCH_COMMIT: commit ?? "",
    LLMBENCH_TARGET: target,
  };
  const args = [
    "build",
    "--compile",
    "--minify",
    "--sourcemap",
    "--splitting",
    "--no-compile-autoload-bunfig",
    "--no-compile-autoload-dotenv",
  ];
  for (const [k, v] of Object.entries(define)) args.push("--define", `${k}=${JSON.stringify(v)}`);
  if (target !== hostTarget()) args.push(`--target=${RELEASE_TARGETS[target]}`);
  // into a scratch folder beside the output: with --splitting, bun also writes a .map file per chunk
  // there, which nothing needs (the binary carries the whole sourcemap inside); only the binary moves
  const scratch = join(dirname(outfile), `.build-${target}`);
  rmSync(scratch, { recursive: true, force: true });
  const built = join(scratch, basename(outfile));
  const r = await $`${process.execPath} ${args} src/cli.ts --outfile ${built}`
    .cwd(join(import.meta.dir, ".."))
    .quiet()
    .nothrow();
  if (r.exitCode !== 0) {
    rmSync(scratch, { recursive: true, force: true });
    console.error(`build: ${target} failed:\n${r.stderr.toString().trim()}`);
    process.exit(1);
  }
  renameSync(built, outfile);
  rmSync(scratch, { recursive: true, force: true });
  const size = Bun.file(outfile).size;
  console.error(
    `built ${outfile} (${target}, ${version}, ${(size / 1e6).toFixed(1)} MB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}

/**
 * FILE.gz beside FILE: what install.sh downloads where gzip is at hand (116.6 MB → 56.2 MB for
 * linux-x64, level 6: ~6 s a file; level 9 saves 1.3 MB more for 2.5× the time).
 */
async function gzip(path: string): Promise<void> {
  const t0 = performance.now();
  const packed = Bun.gzipSync(new Uint8Array(await Bun.file(path).arrayBuffer()), { level: 6 });
  await Bun.write(`${path}.gz`, packed);
  console.error(
    `packed ${path}.gz (${(packed.length / 1e6).toFixed(1)} MB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}

/** sha256 of a file, read in chunks */
async function sha256(path: string): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  for await (const chunk of Bun.file(path).stream()) hasher.update(chunk);
  return hasher.digest("hex");
}

/** `<sha256>  <file>` lines, as `sha256sum` writes them and `sha256sum -c` / install.sh read them */
async function writeChecksums(dir: string, files: string[]): Promise<void> {
  const lines = [];
  for (const f of files) lines.push(`${await sha256(join(dir, f))}  ${f}`);
  await Bun.write(join(dir, "SHA256SUMS"), `${lines.join("\n")}\n`);
}

/** install.sh, with the repository it downloads from set to this one when GitHub Actions builds the release */
async function copyInstaller(dir: string): Promise<void> {
  let text = await Bun.file(join(import.meta.dir, "../install.sh")).text();
  const repo = process.env.GITHUB_REPOSITORY;
  if (repo && /^[\w.-]+\/[\w.-]+$/.test(repo)) text = text.replace(/^REPO_DEFAULT=.*$/m, `REPO_DEFAULT="${repo}"`);
  await Bun.write(join(dir, "install.sh"), text);
}

if (import.meta.main) {
  const argv = process.argv.slice(2);
  const commit = sourceCommit(join(import.meta.dir, ".."));
  if (argv.includes("--release") || argv.includes("--all") || argv.includes("--target")) {
    const out = arg("out", "dist/release", argv);
    const chosen = argv.flatMap((a, i) => (argv[i - 1] === "--target" ? [a] : []));
    const targets = chosen.length ? chosen : Object.keys(RELEASE_TARGETS);
    const unknown = targets.filter((t) => !RELEASE_TARGETS[t]);
    if (unknown.length) {
      console.error(`build: unknown target ${unknown.join(", ")}; targets: ${Object.keys(RELEASE_TARGETS).join(", ")}`);
      process.exit(2);
    }
    // the folder holds this release only: SHA256SUMS lists exactly what is in it
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    for (const t of targets) {
      await build(t, join(out, releaseFile(t)), commit);
      await gzip(join(out, releaseFile(t)));
    }
    await copyInstaller(out);
    const files = [...targets.flatMap((t) => [releaseFile(t), `${releaseFile(t)}.gz`]), "install.sh"];
    await writeChecksums(out, files);
    console.error(`wrote ${join(out, "SHA256SUMS")} (${files.length} files)`);
  } else {
    await build(hostTarget(), "dist/llmbench", commit);
  }
}
