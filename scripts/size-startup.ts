/**
 * Size and start-up time of a compiled llmbench, side by side with the bare Bun runtime it carries.
 *   npx bun scripts/size-startup.ts                      # dist/llmbench, 10 runs each
 *   npx bun scripts/size-startup.ts --bin dist/release/llmbench-linux-x64 --runs 20
 * Prints the binary's size, the runtime's size (this Bun's executable) and the difference (what
 * llmbench adds: code, tables, sourcemap), then the median wall time of `BIN --version` and of the
 * reference `bun -e 0` (the same runtime doing nothing), run alternately so both see the same load.
 * A median of wall times on a shared machine: compare the two lines of one run, not runs of two days.
 */
import { arg } from "./lib/args.ts";

const bin = arg("bin", "dist/llmbench");
const runs = Number(arg("runs", "10"));
const bun = process.execPath;

const file = Bun.file(bin);
if (!(await file.exists())) {
  console.error(`size-startup: ${bin} does not exist; build it first: npm run build`);
  process.exit(2);
}
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const size = file.size;
const runtime = Bun.file(bun).size;
console.log(`size      ${bin}: ${mb(size)} (${size} bytes)`);
console.log(`runtime   ${bun}: ${mb(runtime)}; llmbench adds ${mb(size - runtime)}`);

function wallMs(cmd: string[]): number {
  const t = performance.now();
  const p = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  const ms = performance.now() - t;
  if (p.exitCode !== 0) throw new Error(`${cmd.join(" ")} exited ${p.exitCode}: ${p.stderr.toString().trim()}`);
  return ms;
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const version = Bun.spawnSync([bin, "--version"]).stdout.toString().trim();
// one untimed run each: the page cache holds both files before timing starts
wallMs([bin, "--version"]);
wallMs([bun, "-e", "0"]);
const mine: number[] = [];
const ref: number[] = [];
for (let i = 0; i < runs; i++) {
  mine.push(wallMs([bin, "--version"]));
  ref.push(wallMs([bun, "-e", "0"]));
}
const fmt = (xs: number[]) => `median ${median(xs).toFixed(1)} ms (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)}, ${xs.length} runs)`;
console.log(`startup   ${bin} --version: ${fmt(mine)}  → ${version}`);
console.log(`reference bun -e 0: ${fmt(ref)}`);
