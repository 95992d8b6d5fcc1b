/**
 * Compile dist/llmbench: one self-contained executable (bun build --compile), version injected.
 *   bun scripts/build.ts                 # this machine's target → dist/llmbench
 *   bun scripts/build.ts --all           # + linux-arm64, darwin-x64, darwin-arm64, windows-x64 (downloads each runtime)
 *   bun scripts/build.ts --target bun-linux-arm64
 */
import { $ } from "bun";
import pkg from "../package.json" with { type: "json" };

const CROSS = ["bun-linux-x64", "bun-linux-arm64", "bun-darwin-x64", "bun-darwin-arm64", "bun-windows-x64"];
const argv = process.argv.slice(2);
const targets: string[] = [];
if (argv.includes("--all")) targets.push(...CROSS);
for (let i = 0; i < argv.length; i++) if (argv[i] === "--target") targets.push(argv[++i]);

const commit = (await $`git rev-parse --short HEAD`.quiet().nothrow()).stdout.toString().trim();
const version = commit ? `${pkg.version}+${commit}` : pkg.version;

async function build(target: string | undefined, outfile: string) {
  const t0 = performance.now();
  const args = ["build", "--compile", "--minify", "--sourcemap", `--define`, `LLMBENCH_VERSION=${JSON.stringify(version)}`, "--define", `LLMBENCH_DECODE_WORKER=${JSON.stringify("./io/decode-worker.ts")}`];
  if (target) args.push(`--target=${target}`);
  await $`${process.execPath} ${args} src/cli.ts src/io/decode-worker.ts --outfile ${outfile}`.quiet();
  const size = Bun.file(outfile.endsWith(".exe") || !target?.includes("windows") ? outfile : `${outfile}.exe`).size;
  console.error(`built ${outfile} (${target ?? "host"}, ${version}, ${(size / 1e6).toFixed(1)} MB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

await build(undefined, "dist/llmbench");
for (const target of targets) await build(target, `dist/llmbench-${target.replace(/^bun-/, "")}`);
