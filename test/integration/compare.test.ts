/**
 * `llmbench compare` end to end: result files from real runs against the built-in server
 * (runBenchmark), compared by the compiled binary as CI would run it.
 *
 * No assertion rests on two timed runs agreeing: "unchanged" is shown on a run against a copy of
 * itself and on two halves of one hand-built run (seeded, so the same numbers every time); the
 * timed runs are only compared where the change is 3× (a slower decode step), far beyond noise.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Ajv2020 from "ajv/dist/2020.js";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBenchmark } from "../../src/app/run.ts";
import { runRepeated } from "../../src/app/runs.ts";
import { parseCompareArgs } from "../../src/core/options/compare.ts";
import { createRng } from "../../src/core/rng.ts";
import { startServer, type RunningServer } from "../../src/server/index.ts";
import { resultDoc, streamed } from "../documents.ts";
import schema from "../../schema/result.schema.json" with { type: "json" };
import { BIN, freePort, runOptions, cli } from "./helpers.ts";

const validate = new Ajv2020({ strict: false }).compile(schema);

const dir = mkdtempSync(join(tmpdir(), "llmbench-compare-"));
const file = (name: string) => join(dir, name);

const compareCli = (args: string[]) => cli(["compare", ...args], { cwd: dir });

const RUN = { stream: true, concurrency: "1", "max-tokens": "8", "repeat-ratio": "0", warmup: "5" };
let fast: RunningServer;
let slow: RunningServer;
let sameDoc: Record<string, any>;

beforeAll(async () => {
  fast = await startServer({ decodeStepMs: 2 });
  slow = await startServer({ decodeStepMs: 6 }); // a 3× slower decode step
  const run = async (server: RunningServer, name: string, seed: string, requests: string) => {
    const { doc } = await runBenchmark(runOptions(`${server.url}/generate`, { ...RUN, seed, requests }));
    if (name) writeFileSync(file(name), JSON.stringify(doc));
    return doc as unknown as Record<string, any>;
  };
  await run(fast, "", "100", "20"); // warms the process (JIT) and the server; discarded
  await run(fast, "base.json", "1", "80");
  sameDoc = await run(fast, "same.json", "2", "80");
  await run(slow, "slow.json", "3", "40");
  // nothing listens on this port: every request fails to connect, and the run stops early
  const dead = await runBenchmark(
    runOptions(`http://127.0.0.1:${freePort()}/generate`, { ...RUN, seed: "4", requests: "20" }),
  );
  writeFileSync(file("dead.json"), JSON.stringify(dead.doc));

  // one hand-built run of 400 streamed requests (seeded lognormal TTFT and decode steps), and its two halves
  const rng = createRng(2026);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const records = Array.from({ length: 400 }, (_, i) =>
    streamed(
      i,
      i * 50,
      20 * Math.exp(0.1 * normal()),
      Array.from({ length: 7 }, () => 4 * Math.exp(0.05 * normal())),
    ),
  );
  writeFileSync(file("built.json"), JSON.stringify(resultDoc(records, { requests: 400, max_tokens: 8 })));
  writeFileSync(
    file("half-a.json"),
    JSON.stringify(
      resultDoc(
        records.filter((_, i) => i % 2 === 0),
        { requests: 200, max_tokens: 8, seed: 1 },
      ),
    ),
  );
  writeFileSync(
    file("half-b.json"),
    JSON.stringify(
      resultDoc(
        records.filter((_, i) => i % 2 === 1),
        { requests: 200, max_tokens: 8, seed: 2 },
      ),
    ),
  );

  const base = JSON.parse(readFileSync(file("base.json"), "utf8"));
  writeFileSync(file("base-copy.json"), JSON.stringify(base));
  writeFileSync(file("base-norecords.json"), JSON.stringify({ ...base, requests: null }));
  const reason =
    "event-loop lag p99 9.50 ms exceeds 2.00 ms (5% of TTFT p50 12.00 ms, at least 2 ms): the client was a bottleneck; lower the load or run several clients";
  // the client check of the real run may or may not have fired on a busy machine: set it both ways
  writeFileSync(
    file("clean.json"),
    JSON.stringify({
      ...base,
      summary: { ...base.summary, client: { event_loop_lag_ms: null, distorted: false, reason: null } },
    }),
  );
  writeFileSync(
    file("distorted.json"),
    JSON.stringify({
      ...base,
      summary: { ...base.summary, client: { event_loop_lag_ms: null, distorted: true, reason } },
    }),
  );
  writeFileSync(file("incomplete.json"), JSON.stringify({ ...base, complete: false }));
  writeFileSync(file("same-norecords.json"), JSON.stringify({ ...sameDoc, requests: null }));
  writeFileSync(
    file("other-config.json"),
    JSON.stringify({ ...sameDoc, config: { ...sameDoc.config, max_tokens: 64, concurrency: 4 } }),
  );
  const text = readFileSync(file("base.json"), "utf8");
  writeFileSync(file("truncated.json"), text.slice(0, Math.floor(text.length / 2)));
  writeFileSync(file("empty.json"), "");
  writeFileSync(file("foreign.json"), JSON.stringify({ name: "left-pad", version: "1.3.0", dependencies: {} }));
  mkdirSync(file("runs"));
  writeFileSync(file("runs/a1.json"), JSON.stringify(base));
  writeFileSync(file("runs/a2.json"), JSON.stringify(sameDoc));
  // the same run, as vLLM's `bench serve --save-result --save-detailed` would have written it
  const measured = sameDoc.requests.filter((r: any) => r.phase === "measured" && r.error === null);
  writeFileSync(
    file("same-vllm.json"),
    JSON.stringify({
      // no backend: its API is not the generate API, and would be refused as a different API
      num_prompts: measured.length,
      request_rate: "inf",
      burstiness: 1.0,
      max_concurrency: 1,
      completed: measured.length,
      failed: 0,
      duration: sameDoc.summary.duration_s,
      request_throughput: sameDoc.summary.throughput.requests_per_s,
      output_throughput: sameDoc.summary.throughput.output_tokens_per_s,
      ttfts: measured.map((r: any) => (r.tokenTimes[0] - r.tSend) / 1000),
      itls: measured.map((r: any) => r.tokenTimes.slice(1).map((t: number, i: number) => (t - r.tokenTimes[i]) / 1000)),
      output_lens: measured.map((r: any) => r.tokenTimes.length),
      input_lens: measured.map((r: any) => r.promptTokensCounted),
      errors: measured.map(() => ""),
      mean_ttft_ms: sameDoc.summary.ttft_ms.mean,
      median_ttft_ms: sameDoc.summary.ttft_ms.p50,
      p99_ttft_ms: sameDoc.summary.ttft_ms.p99,
    }),
  );
}, 60_000);

afterAll(async () => {
  await fast.stop();
  await slow.stop();
});

describe("against the built-in server", () => {
  test("a run against a copy of itself: unchanged, exit 0, every judged change 0", async () => {
    const r = await compareCli(["base.json", "base-copy.json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Result: UNCHANGED");
    expect(r.stdout).toContain("run-to-run noise is not covered");
    const doc = JSON.parse((await compareCli(["base.json", "base-copy.json", "--format", "json"])).stdout);
    expect(doc.verdict).toBe("unchanged");
    expect(doc.exit_code).toBe(0);
    for (const m of doc.metrics.filter((x: any) => x.kind === "distribution" && x.interval)) {
      expect(m.change).toBe(0);
      expect(m.p_value).toBe(1);
    }
  });

  test("two halves of one run (200 requests each, hand-built): unchanged, exit 0", async () => {
    const r = await compareCli(["half-a.json", "half-b.json", "--format", "json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.verdict).toBe("unchanged");
    const v = Object.fromEntries(doc.metrics.map((m: any) => [m.name, m.verdict]));
    for (const name of ["ttft_p50", "tpot_p50", "e2e_p50", "e2e_p95"]) expect(v[name]).toBe("unchanged");
    expect(doc.counts.regressed + doc.counts.improved).toBe(0);
    expect(v.ttft_p99).toBe("unjudged"); // p99 needs 368 requests per side
    expect(doc.metrics.find((m: any) => m.name === "ttft_p99").reason).toContain("p99 needs 368 requests per side");
    // the seeds differ by design: listed, not refused
    expect(doc.differences.map((d: any) => d.key)).toContain("seed");
  });

  test("a candidate run against a dead server fails the gate (exit 1), naming the file and why", async () => {
    const r = await compareCli(["base.json", "dead.json"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("Result: FAILED");
    expect(r.stdout).toContain("dead.json has no successful measured request");
    const doc = JSON.parse((await compareCli(["base.json", "dead.json", "--format", "json"])).stdout);
    expect(doc.verdict).toBe("failed");
    expect(doc.exit_code).toBe(1);
    expect(doc.failures.join(" ")).toContain("dead.json");
    // either side
    expect((await compareCli(["dead.json", "base.json"])).code).toBe(1);
  });

  test("an incomplete run fails the gate, naming the file", async () => {
    const r = await compareCli(["base.json", "incomplete.json"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("incomplete.json is incomplete (the run was interrupted or stopped early)");
  });

  test("a run the client distorted: named in a warning, its latency rows say so", async () => {
    const r = await compareCli(["clean.json", "distorted.json"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "WARNING: the client distorted what it measured in distorted.json (event-loop lag p99 9.50 ms",
    );
    const doc = JSON.parse((await compareCli(["clean.json", "distorted.json", "--format", "json"])).stdout);
    expect(doc.metrics.find((m: any) => m.name === "ttft_p50").flags).toContain("distorted run");
    expect(doc.metrics.find((m: any) => m.name === "error_rate").flags).toBeUndefined();
    const clean = JSON.parse((await compareCli(["clean.json", "clean.json", "--format", "json"])).stdout);
    expect(clean.notes.join(" ")).not.toContain("distorted");
  });

  test("a candidate with a 3× slower decode step: TPOT regressed, exit 1, a readable markdown table", async () => {
    const r = await compareCli(["base.json", "slow.json", "--format", "json"]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    const tpot = doc.metrics.find((m: any) => m.name === "tpot_p50");
    expect(tpot.verdict).toBe("regressed");
    expect(tpot.interval[0]).toBeGreaterThan(1); // the whole interval above +100%
    expect(doc.gated_regressions).toContain("tpot_p50");
    expect(doc.tests.find((t: any) => t.family === "tpot").p_value).toBeLessThan(1e-6);

    const md = await compareCli(["base.json", "slow.json", "--format", "markdown"]);
    expect(md.code).toBe(1);
    expect(md.stdout.split("\n")[0]).toBe("### llmbench compare: ❌ regressed");
    expect(md.stdout).toContain("| metric | baseline | candidate | change | 95% interval | p | verdict |");
    expect(md.stdout).toMatch(
      /\| \*\*TPOT p50\*\* \(ms\) \| [\d.]+ \| [\d.]+ \| \+\d+(\.\d)?% \| .* \| <0\.001 \| ❌ regressed( \[.*\])? \|/,
    );
  });

  test("--gate none never fails; --hide-unchanged keeps the regressions", async () => {
    expect((await compareCli(["base.json", "slow.json", "--gate", "none"])).code).toBe(0);
    const r = await compareCli(["base.json", "slow.json", "--hide-unchanged"]);
    expect(r.stdout).toContain("TPOT p50 ms *");
    expect(r.stdout).toContain("rows hidden");
  });

  test("files written with --no-records: ratios shown, never judged unless asked (--gate-on-ratios)", async () => {
    const r = await compareCli(["base-norecords.json", "slow.json"]);
    expect(r.code).toBe(2); // the gate cannot decide on a bare ratio
    expect(r.stdout).toContain("Result: UNDECIDED");
    expect(r.stdout).toContain("ratio only: no samples");
    expect(r.stdout).toContain("no per-request samples in base-norecords.json");
    expect((await compareCli(["base-norecords.json", "same-norecords.json", "--gate", "tpot_p50,e2e_p50"])).code).toBe(
      2,
    );
    // asked for: TPOT tripled, even a bare ratio is beyond 5%
    expect((await compareCli(["base-norecords.json", "slow.json", "--gate-on-ratios"])).code).toBe(1);
    // a gate on what the counts can test decides
    expect((await compareCli(["base-norecords.json", "same-norecords.json", "--gate", "error_rate"])).code).toBe(0);
  });

  test("several files per side (with --, or a glob) pool their samples", async () => {
    const r = await compareCli(["runs/a1.json", "runs/a2.json", "--", "slow.json"]);
    expect(r.code).toBe(1);
    const viaGlob = await compareCli(["--format", "json", "runs/*.json", "slow.json"]);
    const doc = JSON.parse(viaGlob.stdout);
    expect(doc.base.files).toEqual(["runs/a1.json", "runs/a2.json"]);
    expect(doc.base.requests.sent).toBe(160);
    expect(viaGlob.code).toBe(1);
  });

  test("a vLLM bench serve file of the same run compares as the same numbers", async () => {
    const r = await compareCli(["same.json", "same-vllm.json", "--format", "json"]);
    const doc = JSON.parse(r.stdout);
    expect(r.code).toBe(0);
    const m = (name: string) => doc.metrics.find((x: any) => x.name === name);
    expect(m("ttft_p50").change).toBeCloseTo(0, 12);
    expect(m("ttft_p50").cand).toBeCloseTo(m("ttft_p50").base, 9); // from the same records (µs-rounded in the file)
    expect(Math.abs(m("ttft_p50").cand - sameDoc.summary.ttft_ms.p50)).toBeLessThan(0.002);
    expect(m("cache_hit_rate").verdict).toBe("unavailable");
    expect(doc.differences.find((d: any) => d.key === "tool").cand).toBe("vllm bench serve");
  });
});

describe("run --runs N", () => {
  test("N runs, each with its own warm-up and fresh prompts, in one file that compare reads as N runs", async () => {
    const server = await startServer({ decodeStepMs: 1 });
    try {
      const out = await runRepeated(
        runOptions(`${server.url}/generate`, { ...RUN, seed: "5", requests: "10", warmup: "2", runs: "3" }),
      );
      // the server's own counters: 3 × (2 warm-up + 10 measured) requests, none answered from its cache
      expect(server.stats().requests).toBe(36);
      expect(server.stats().cache_hits).toBe(0);
      const doc = out.doc as any;
      expect(doc.runs).toHaveLength(3);
      expect(doc.requests).toBeNull();
      expect(doc.summary.requests.sent).toBe(30);
      expect(doc.runs.map((r: any) => r.summary.requests.sent)).toEqual([10, 10, 10]);
      expect(doc.config.runs).toBe(3);
      expect(validate(doc)).toBe(true); // the committed schema holds runs[]
      // every config key a run writes is declared, runs included (a nonsense value is refused)
      expect(Object.keys(doc.config).filter((k) => !(k in schema.properties.config.properties))).toEqual([]);
      expect(validate({ ...doc, config: { ...doc.config, runs: 0 } })).toBe(false);
      writeFileSync(file("runs3.json"), JSON.stringify(doc));
      const r = await compareCli(["runs3.json", "runs3.json", "--format", "json"]);
      expect(r.code).toBe(0);
      const c = JSON.parse(r.stdout);
      expect(c.base.files).toEqual(["runs3.json [run 1/3]", "runs3.json [run 2/3]", "runs3.json [run 3/3]"]);
      expect(c.notes.join(" ")).not.toContain("run-to-run noise is not covered");
      expect(c.metrics.find((m: any) => m.name === "output_throughput").method).toContain("Welch");
      const text = await compareCli(["runs3.json", "runs3.json"]);
      expect(text.stdout).toContain("baseline   runs3.json (3 runs, 30 requests;");
    } finally {
      await server.stop();
    }
  });

  test("--runs with a sweep is refused", async () => {
    const r = await cli(["run", "--runs", "2", "--concurrency", "1,2", "--endpoint", "http://127.0.0.1:9/generate"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--runs repeats one measurement; a sweep measures several levels");
  });
});

describe("files that cannot be compared exit 2, naming the file", () => {
  test.each([
    ["truncated.json", "truncated.json is not valid JSON: it ends before the document does (truncated?)"],
    ["empty.json", "empty.json is empty"],
    ["foreign.json", "foreign.json is not an llmbench result nor a vLLM bench serve result"],
    ["missing.json", "cannot read missing.json: no such file"],
    ["runs", "cannot read runs: it is a directory"],
    ["nothing-*.json", "no file matches 'nothing-*.json'"],
  ])("%s", async (bad, message) => {
    for (const args of [
      ["base.json", bad],
      [bad, "base.json"],
    ]) {
      const r = await compareCli(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain(message);
      expect(r.stderr).not.toContain("    at "); // one line, no stack trace
    }
  });

  test("runs made differently are refused with every difference listed; --allow-mismatch compares anyway", async () => {
    const r = await compareCli(["base.json", "other-config.json"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("the runs were not made the same way");
    expect(r.stderr).toContain("max_tokens: 8 in base.json, 64 in other-config.json");
    expect(r.stderr).toContain("concurrency: 1 in base.json, 4 in other-config.json");
    expect(r.stderr).toContain("--allow-mismatch");
    const forced = await compareCli(["base.json", "other-config.json", "--allow-mismatch", "--gate", "none"]);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain("Result:");
    expect(forced.stdout).toContain("DIFFERENT (compared with --allow-mismatch) max_tokens");
  });

  test.each([
    [["base.json"], "compare needs a baseline and a candidate result file (got only base.json)"],
    [["base.json", "same.json", "slow.json"], "put '--' between the baselines and the candidates"],
    [["base.json", "same.json", "--treshold", "5%"], "did you mean '--threshold'?"],
    [["base.json", "same.json", "--threshold", "5"], "needs a unit"],
    [["base.json", "same.json", "--format", "xml"], "--format must be one of text, markdown, json"],
    [["base.json", "--", "same.json", "--format", "json"], "options go before '--'"],
  ])("bad usage %j exits 2", async (args, message) => {
    const r = await compareCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  test("--help lists the options", async () => {
    const proc = Bun.spawn([BIN, "compare", "--help"], { stdout: "pipe", stderr: "pipe" });
    const out = await new Response(proc.stdout).text();
    expect(await proc.exited).toBe(0);
    for (const o of ["--threshold", "--gate", "--alpha", "--format", "--hide-unchanged", "--allow-mismatch"])
      expect(out).toContain(o);
  });
});

test("files: A B, A… -- B…, values of options are not files", () => {
  const files = (argv: string[]) => {
    const { base, cand } = parseCompareArgs(argv);
    return { base, cand };
  };
  expect(files(["a.json", "b.json"])).toEqual({ base: ["a.json"], cand: ["b.json"] });
  expect(files(["--threshold", "5%", "a.json", "-f", "md", "b.json", "--hide-unchanged"])).toEqual({
    base: ["a.json"],
    cand: ["b.json"],
  });
  expect(files(["a1", "a2", "--format=json", "--", "b1", "b2", "b3"])).toEqual({
    base: ["a1", "a2"],
    cand: ["b1", "b2", "b3"],
  });
});
