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
import { summarizeRun, type RawRecord } from "../src/core/metrics.ts";
import { createRng } from "../src/core/rng.ts";
import { arg } from "./lib/args.ts";

const n = Number(arg("requests", "100000"));
const tokens = Number(arg("tokens", "16"));
const bin = `${import.meta.dir}/../dist/llmbench`;
const dir = mkdtempSync(join(tmpdir(), "llmbench-compare-bench-"));

function record(seq: number, tSend: number, ttft: number, gaps: number[]): RawRecord {
  const tokenTimes = [tSend + ttft];
  for (const g of gaps) tokenTimes.push(tokenTimes[tokenTimes.length - 1] + g);
  return {
    seq,
    phase: "measured",
    promptId: seq,
    repeat: false,
    tSched: null,
    tSend,
    tFirstByte: tSend + ttft - 0.1,
    tokenTimes,
    tEnd: tokenTimes[tokenTimes.length - 1] + 0.05,
    streamed: true,
    status: 200,
    outputTokensCounted: tokenTimes.length,
    reasoningTokensCounted: 0,
    promptTokensCounted: 32,
    usage: null,
    cached: false,
    error: null,
  } as RawRecord;
}

const files: string[] = [];
for (const seed of [1, 2]) {
  const rng = createRng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const records = Array.from({ length: n }, (_, i) =>
    record(
      i,
      i * 20,
      20 * Math.exp(0.3 * normal()),
      Array.from({ length: tokens - 1 }, () => 4 * Math.exp(0.2 * normal())),
    ),
  );
  const { summary, digests } = summarizeRun(records, "whitespace");
  const config = {
    endpoint: "http://127.0.0.1:8000/generate",
    api: "generate",
    stream: true,
    model: null,
    requests: n,
    concurrency: 5,
    max_tokens: tokens,
    repeat_ratio: 0,
    warmup: 5,
    seed,
    tokenizer: "whitespace",
  };
  const doc = {
    schema: "llmbench.result/v1",
    tool: { name: "llmbench", version: "bench" },
    complete: true,
    started_at: "",
    finished_at: "",
    config,
    environment: {},
    notes: [],
    summary,
    digests,
    requests: records,
  };
  const file = join(dir, `side${seed}.json`);
  await Bun.write(file, JSON.stringify(doc));
  files.push(file);
}
const size = (Bun.file(files[0]).size / 1e6).toFixed(0);
const proc = Bun.spawn([bin, "compare", ...files], { stdout: "ignore", stderr: "pipe" });
const code = await proc.exited;
const usage = proc.resourceUsage()!;
const cpu = (Number(usage.cpuTime.user) + Number(usage.cpuTime.system)) / 1e6;
console.log(
  `compare of ${n} requests per side (${tokens} tokens each, ${size} MB per file): exit ${code}, ${cpu.toFixed(2)} s CPU (user ${(Number(usage.cpuTime.user) / 1e6).toFixed(2)}, system ${(Number(usage.cpuTime.system) / 1e6).toFixed(2)}), peak ${(usage.maxRSS / 1e6).toFixed(0)} MB (max RSS)`,
);
rmSync(dir, { recursive: true, force: true });
