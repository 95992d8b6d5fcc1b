/**
 * What the request path costs, this tree against another (e.g. before a change to src/io/http.ts):
 * both run `src/cli.ts run` closed loop against one built-in server with zero added latency (no
 * prefill, decode step, batch window or cache), in rounds that alternate A B A B…, so drift in the
 * machine's load hits both alike. Prints requests/s per round, the medians and their ratio.
 * Usage: bun scripts/bench-wire.ts --base DIR [--rounds 6] [--seconds 3] [--concurrency 8] [--stream]
 *   DIR: another checkout of llmbench (its own node_modules, or a symlink to this one's)
 */
const argv = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const here = `${import.meta.dir}/..`;
const base = arg("base", "");
if (!base) throw new Error("pass --base DIR: the checkout to compare against");
const rounds = Number(arg("rounds", "6"));
const seconds = Number(arg("seconds", "3"));
const concurrency = arg("concurrency", "8");
const stream = argv.includes("--stream");

const server = Bun.spawn(
  [process.execPath, `${here}/src/cli.ts`, "serve", "--port", "0", "--decode-step-ms", "0", "--batch-window-ms", "0", "--prefill-ms-per-token", "0", "--cache-size", "0"],
  { stdout: "pipe", stderr: "ignore" },
);
const reader = server.stdout.getReader();
let head = "";
while (!head.includes("\n")) head += new TextDecoder().decode((await reader.read()).value);
const url = head.match(/listening on (\S+)/)![1];

async function run(root: string): Promise<number> {
  const args = ["run", "--endpoint", `${url}/generate`, "--json", "--quiet", "--no-records", "--repeat-ratio", "0", "--warmup", "50", "--max-tokens", "8"];
  args.push("--concurrency", concurrency, "--duration", `${seconds}s`, stream ? "--stream" : "--no-stream");
  const p = Bun.spawn([process.execPath, `${root}/src/cli.ts`, ...args], { stdout: "pipe", stderr: "pipe", cwd: root });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`run in ${root} failed (${code}): ${err}`);
  const doc = JSON.parse(out);
  const failed = doc.summary.requests.failed;
  if (failed > 0) throw new Error(`run in ${root}: ${failed} requests failed`);
  return doc.summary.throughput.requests_per_s;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
console.log(`request path: this tree (A) against ${base} (B); ${stream ? "streamed" : "not streamed"}, 8 tokens, concurrency ${concurrency}, ${seconds} s a run, ${rounds} rounds`);
const a: number[] = [];
const b: number[] = [];
for (let i = 0; i < rounds; i++) {
  // alternate which goes first, so neither always runs on a warmer (or busier) machine
  const order = i % 2 === 0 ? ([["A", here, a], ["B", base, b]] as const) : ([["B", base, b], ["A", here, a]] as const);
  for (const [, root, into] of order) into.push(await run(root));
  console.log(`  round ${i + 1}: A ${a[i].toFixed(0)} req/s, B ${b[i].toFixed(0)} req/s`);
}
console.log(`median: A ${median(a).toFixed(0)} req/s, B ${median(b).toFixed(0)} req/s, A/B ${(median(a) / median(b)).toFixed(3)}`);
server.kill();
