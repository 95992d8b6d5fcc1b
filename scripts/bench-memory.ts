/**
 * Memory flat in the number of requests: peak RSS and requests/s of one `llmbench run` process at
 * 10k, 100k and 1M requests, against the built-in server with zero decode time (no prefill, no
 * decode step, no batch window, cache off) in a separate process. Each run is its own process;
 * its peak RSS is the kernel's (`resourceUsage().maxRSS`). Modes:
 *   records-file  --records-file: records go to disk as they finish; exact percentiles from the file
 *   bounded       --bounded: nothing per request held; percentiles from the t-digests
 *   in-memory     the default (records kept and written into the result), for contrast, up to 100k
 * Then `compare` of each result with itself, its peak RSS: compare reads such files within the bound.
 * Usage: bun scripts/bench-memory.ts [--sizes 10000,100000,1000000] [--modes records-file,bounded,in-memory]
 *        [--concurrency 64] [--max-tokens 4] [--bin dist/llmbench]   (default: the compiled binary if built, else bun src/cli.ts)
 */
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { arg } from "./lib/args.ts";
import { startZeroServer } from "./lib/zero-server.ts";

const sizes = arg("sizes", "10000,100000,1000000").split(",").map(Number);
const modes = arg("modes", "records-file,bounded,in-memory").split(",");
const concurrency = arg("concurrency", "64");
const maxTokens = arg("max-tokens", "4");
const built = `${import.meta.dir}/../dist/llmbench`;
const binArg = arg("bin", existsSync(built) ? built : "");
const bin = binArg ? [binArg] : [process.execPath, `${import.meta.dir}/../src/cli.ts`];
const dir = mkdtempSync(join(tmpdir(), "llmbench-bench-memory-"));

const { url, server } = await startZeroServer(bin);

async function measure(args: string[]): Promise<{ code: number; maxRssMb: number; seconds: number; stderr: string }> {
  const t = performance.now();
  const p = Bun.spawn([...bin, ...args], { stdout: "ignore", stderr: "pipe" });
  const [stderr, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
  return { code, maxRssMb: p.resourceUsage()!.maxRSS / 2 ** 20, seconds: (performance.now() - t) / 1000, stderr };
}

const f = (x: number, d = 1) => x.toFixed(d);
console.log(
  `llmbench memory benchmark — ${new Date().toISOString()}, ${navigator.hardwareConcurrency} cores, ${bin.join(" ")}`,
);
console.log(
  `server: built-in, zero decode time, separate process; load: concurrency ${concurrency}, ${maxTokens} streamed tokens per request, repeat ratio 0.3`,
);
console.log("\n  requests  mode          peak RSS MB  × 10k   req/s   records file MB  compare peak RSS MB");
const base = new Map<string, number>();
for (const mode of modes) {
  for (const n of sizes) {
    if (mode === "in-memory" && n > 100_000) continue; // ~2 KB a request: it is what the other modes avoid
    const out = join(dir, `${mode}-${n}.json`);
    const records = join(dir, `${mode}-${n}.ndjson`);
    const extra = mode === "records-file" ? ["--records-file", records] : mode === "bounded" ? ["--bounded"] : [];
    const r = await measure([
      "run",
      "--endpoint",
      `${url}/generate`,
      "--stream",
      "-n",
      String(n),
      "-c",
      concurrency,
      "--max-tokens",
      maxTokens,
      "--seed",
      "1",
      "--quiet",
      "--output",
      out,
      ...extra,
    ]);
    if (r.code !== 0 && r.code !== 1) throw new Error(`run exited ${r.code}: ${r.stderr}`);
    const doc = JSON.parse(await Bun.file(out).text());
    const s = doc.summary;
    if (s.requests.failed > 0) throw new Error(`${s.requests.failed} requests failed: ${JSON.stringify(s.errors)}`);
    const cmp = await measure(["compare", out, out, "--gate-on-ratios"]);
    if (cmp.code !== 0 && cmp.code !== 1) throw new Error(`compare exited ${cmp.code}: ${cmp.stderr}`);
    if (!base.has(mode)) base.set(mode, r.maxRssMb);
    const fileMb = existsSync(records) ? statSync(records).size / 2 ** 20 : 0;
    console.log(
      `  ${String(n).padStart(8)}  ${mode.padEnd(12)}  ${f(r.maxRssMb).padStart(11)}  ${f(r.maxRssMb / base.get(mode)!, 2).padStart(5)}  ${f(s.throughput.requests_per_s, 0).padStart(6)}  ${(fileMb ? f(fileMb) : "-").padStart(15)}  ${f(cmp.maxRssMb).padStart(19)}`,
    );
    rmSync(records, { force: true });
    rmSync(out, { force: true });
  }
}
server.kill();
rmSync(dir, { recursive: true, force: true });
