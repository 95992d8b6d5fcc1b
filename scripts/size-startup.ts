/**
 * Size and start-up time of compiled llmbench binaries, side by side with the bare Bun runtime.
 *   npx bun scripts/size-startup.ts                                  # dist/llmbench, 10 runs each
 *   npx bun scripts/size-startup.ts --bin old/llmbench --bin dist/llmbench --runs 20
 * For each binary: its size, and what it adds to the Bun runtime it carries (this Bun's executable:
 * code, tables, sourcemap); then, for `BIN --version` and the reference `bun -e 0` (the same runtime
 * doing nothing): the median wall time, the median CPU time (user + system: what the process
 * itself cost, much less moved by other load on the machine than wall time) and the largest RSS.
 * The commands take turns within each round, so all see the same load: on a shared machine,
 * compare the lines of one run, not runs of two days.
 */
import { arg } from "./lib/args.ts";

const argv = process.argv.slice(2);
const bins = argv.flatMap((a, i) => (argv[i - 1] === "--bin" ? [a] : []));
if (bins.length === 0) bins.push("dist/llmbench");
const runs = Number(arg("runs", "10"));
const bun = process.execPath;

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const runtime = Bun.file(bun).size;
console.log(`runtime   ${bun}: ${mb(runtime)}`);
for (const bin of bins) {
  if (!(await Bun.file(bin).exists())) {
    console.error(`size-startup: ${bin} does not exist; build it first: npm run build`);
    process.exit(2);
  }
  const size = Bun.file(bin).size;
  console.log(`size      ${bin}: ${mb(size)} (${size} bytes; the runtime + ${mb(size - runtime)})`);
}

interface Sample {
  wallMs: number;
  cpuMs: number;
  rssMb: number;
}
function sample(cmd: string[]): Sample {
  const t = performance.now();
  const p = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  const wallMs = performance.now() - t;
  if (p.exitCode !== 0) throw new Error(`${cmd.join(" ")} exited ${p.exitCode}: ${p.stderr.toString().trim()}`);
  const usage = p.resourceUsage;
  return {
    wallMs,
    cpuMs: usage ? Number(usage.cpuTime.total) / 1000 : Number.NaN,
    rssMb: usage ? Number(usage.maxRSS) / 1e6 : Number.NaN,
  };
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const commands: Array<[string, string[]]> = [
  ...bins.map((b): [string, string[]] => [`${b} --version`, [b, "--version"]]),
  ["bun -e 0 (reference)", [bun, "-e", "0"]],
];
const samples = new Map<string, Sample[]>(commands.map(([name]) => [name, []]));
// one untimed run each: the page cache holds every file before timing starts
for (const [, cmd] of commands) sample(cmd);
for (let i = 0; i < runs; i++) for (const [name, cmd] of commands) samples.get(name)!.push(sample(cmd));
const width = Math.max(...commands.map(([name]) => name.length));
for (const [name, cmd] of commands) {
  const xs = samples.get(name)!;
  const wall = xs.map((x) => x.wallMs);
  const said = name.endsWith("--version") ? `  → ${Bun.spawnSync(cmd).stdout.toString().trim()}` : "";
  console.log(
    `startup   ${name.padEnd(width)}  wall median ${median(wall).toFixed(1).padStart(6)} ms (min ${Math.min(...wall).toFixed(1)}, max ${Math.max(...wall).toFixed(1)}), ` +
      `cpu median ${median(xs.map((x) => x.cpuMs))
        .toFixed(1)
        .padStart(5)} ms, max rss ${Math.max(...xs.map((x) => x.rssMb)).toFixed(0)} MB, ${xs.length} runs${said}`,
  );
}
