/**
 * How fast is `compare` on big files? Writes two seeded result files of N streamed requests each
 * (lognormal TTFT and decode gaps, 16 tokens per request, summaries by summarizeRun), then runs the
 * compiled binary's `compare` on them and prints its CPU time and peak memory.
 *
 * Usage: bun scripts/compare-bench.ts [--requests 100000] [--tokens 16]   (needs dist/llmbench: bun run build)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRng } from "../src/core/rng.ts";
import { resultDoc, streamed } from "../test/documents.ts";
import { arg } from "./lib/args.ts";

const n = Number(arg("requests", "100000"));
const tokens = Number(arg("tokens", "16"));
const bin = `${import.meta.dir}/../dist/llmbench`;
const dir = mkdtempSync(join(tmpdir(), "llmbench-compare-bench-"));

const files: string[] = [];
for (const seed of [1, 2]) {
  const rng = createRng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const records = Array.from({ length: n }, (_, i) =>
    streamed(
      i,
      i * 20,
      20 * Math.exp(0.3 * normal()),
      Array.from({ length: tokens - 1 }, () => 4 * Math.exp(0.2 * normal())),
      { promptTokensCounted: 32 },
    ),
  );
  // a schema-valid document, as `run` writes it (a hand-made one with empty dates was refused: exit 2)
  const doc = resultDoc(records, { requests: n, concurrency: 5, max_tokens: tokens, warmup: 5, seed });
  const file = join(dir, `side${seed}.json`);
  await Bun.write(file, JSON.stringify(doc));
  files.push(file);
}
const size = (Bun.file(files[0]).size / 1e6).toFixed(0);
const proc = Bun.spawn([bin, "compare", ...files], { stdout: "ignore", stderr: "pipe" });
const [err, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
// 0 or 1 (a verdict); anything else is a refusal, whose time says nothing about comparing
if (code !== 0 && code !== 1) throw new Error(`compare exited ${code}: ${err}`);
const usage = proc.resourceUsage()!;
const cpu = (Number(usage.cpuTime.user) + Number(usage.cpuTime.system)) / 1e6;
console.log(
  `compare of ${n} requests per side (${tokens} tokens each, ${size} MB per file): exit ${code}, ${cpu.toFixed(2)} s CPU (user ${(Number(usage.cpuTime.user) / 1e6).toFixed(2)}, system ${(Number(usage.cpuTime.system) / 1e6).toFixed(2)}), peak ${(usage.maxRSS / 1e6).toFixed(0)} MB (max RSS)`,
);
rmSync(dir, { recursive: true, force: true });
