/** Verdicts, thresholds, comparability, and the comparison of whole runs (pure). */
import { describe, expect, test } from "bun:test";
import { compareRuns, judge, type CompareSettings } from "../../../src/core/compare/compare.ts";
import { checkComparable, configDifferences, summarizeDifferences } from "../../../src/core/compare/config.ts";
import { DEFAULT_GATE } from "../../../src/core/compare/metrics.ts";
import { parseAlpha, parseGate, parseThresholds } from "../../../src/core/compare/thresholds.ts";
import { UsageError } from "../../../src/core/errors.ts";
import { importRun } from "../../../src/core/importers/index.ts";
import { resultDoc, streamed } from "../../documents.ts";
import { syntheticRun } from "./helpers.ts";

const settings = (over: Partial<CompareSettings> = {}): CompareSettings => ({
  thresholds: parseThresholds([]),
  gate: parseGate(undefined),
  alpha: 0.05,
  gateOnRatios: false,
  ...over,
});

describe("judge: the whole interval against the threshold", () => {
  test.each([
    // change, interval, threshold, direction, verdict
    [0.2, [0.1, 0.3], 0.05, "lower", "regressed"],
    [0.2, [0.04, 0.3], 0.05, "lower", "inconclusive"], // significant, but not wholly beyond 5%
    [0.02, [-0.01, 0.04], 0.05, "lower", "unchanged"],
    [-0.2, [-0.3, -0.1], 0.05, "lower", "improved"],
    [0.05, [0.05, 0.06], 0.05, "lower", "inconclusive"], // at the threshold is not beyond it
    [0.2, [0.1, 0.3], 0.05, "higher", "improved"], // throughput up
    [-0.2, [-0.3, -0.1], 0.05, "higher", "regressed"],
    [0.0, [-0.3, 0.3], 0.05, "lower", "inconclusive"], // "too few samples to tell"
    [0.1, null, 0.05, "lower", "regressed"], // a ratio alone stands for its interval
    [0.01, null, 0.05, "higher", "unchanged"],
  ] as const)("change %p in %p, threshold %p, %p is better → %p", (change, interval, threshold, direction, verdict) => {
    expect(judge(change, interval ? [interval[0], interval[1]] : null, threshold, direction)).toBe(verdict);
  });
});

describe("--threshold, --gate, --alpha", () => {
  test("defaults: 5% relative, error rate 1pp, cache hit rate 5pp", () => {
    const t = parseThresholds([]);
    expect(t.ttft_p95).toBe(0.05);
    expect(t.output_throughput).toBe(0.05);
    expect(t.error_rate).toBe(0.01);
    expect(t.cache_hit_rate).toBe(0.05);
  });

  test("global values by unit, then per-metric and per-group overrides, in any order; repeated flags add up", () => {
    const t = parseThresholds(["ttft_p95=10%,error_rate=0.5pp", "3%", "tpot=8%", "2pp"]);
    expect(t.ttft_p95).toBe(0.1);
    expect(t.ttft_p50).toBe(0.03);
    expect([t.tpot_p50, t.tpot_p95, t.tpot_p99]).toEqual([0.08, 0.08, 0.08]);
    expect(t.error_rate).toBe(0.005);
    expect(t.cache_hit_rate).toBe(0.02);
  });

  test.each([
    ["5", "needs a unit"],
    ["ttft_p95=10", "needs a unit"],
    ["error_rate=1%", "error_rate is a rate; give its threshold in percentage points"],
    ["ttft_p95=2pp", "ttft_p95 changes are relative"],
    ["ttft_p96=5%", "unknown metric 'ttft_p96'"],
  ])("--threshold %p is refused: %p", (value, message) => {
    expect(() => parseThresholds([value])).toThrow(message);
  });

  test("--gate: default set, names, groups, default+extra, all, none", () => {
    expect(parseGate(undefined)).toEqual([...DEFAULT_GATE]);
    expect(parseGate("tpot,error_rate")).toEqual(["tpot_p50", "tpot_p95", "tpot_p99", "error_rate"]);
    expect(parseGate("default,throughput")).toEqual([
      ...DEFAULT_GATE.slice(0, 6),
      "error_rate",
      "output_throughput",
      "request_throughput",
    ]);
    // 18, and the six of multi-turn sessions (TTFT of first and of later turns, p50/p95/p99)
    expect(parseGate("all")).toHaveLength(18 + 6);
    expect(parseGate("none")).toEqual([]);
    expect(() => parseGate("latency")).toThrow(UsageError);
  });

  test("--alpha in (0, 0.5)", () => {
    expect(parseAlpha(undefined)).toBe(0.05);
    expect(parseAlpha("0.01")).toBe(0.01);
    for (const bad of ["0", "0.5", "1", "x", "-0.1", "1e-2"]) expect(() => parseAlpha(bad)).toThrow("--alpha");
  });
});

describe("comparability", () => {
  const a = syntheticRun("a.json");
  test("same configuration: the seed and the port are notes, output and timeout are ignored", () => {
    const b = syntheticRun("b.json", {
      config: { seed: 7, endpoint: "http://127.0.0.1:9001/generate", output: "b.json", timeout_s: 5 },
    });
    const d = configDifferences(a, b);
    expect(d.map((x) => [x.key, x.severity])).toEqual([
      ["endpoint host", "note"],
      ["seed", "note"],
    ]);
  });

  test("a trace or sessions file is told apart by its contents: the same file at another path is a note, another file at the same path refuses, and the part that differs shows", () => {
    const trace = (file: string, sha256: string, speed = 1) =>
      syntheticRun(`${sha256}.json`, {
        config: { trace: { file, speed, block_tokens: 512, format: "mooncake", sha256 } },
      });
    const base = trace("/work/a/synthetic.jsonl", "aa11");
    expect(configDifferences(base, trace("synthetic.jsonl", "aa11")).map((x) => [x.key, x.severity])).toEqual([
      ["trace.file", "note"],
    ]);
    expect(configDifferences(base, trace("/work/a/synthetic.jsonl", "bb22")).map((x) => [x.key, x.severity])).toEqual([
      ["trace.sha256", "refuse"],
    ]);
    expect(
      configDifferences(base, trace("/work/a/synthetic.jsonl", "aa11", 2)).map((x) => [
        x.key,
        x.base,
        x.cand,
        x.severity,
      ]),
    ).toEqual([["trace.speed", "1", "2", "refuse"]]);
    const sessions = (file: string, sha256: string) =>
      syntheticRun(`${sha256}.json`, {
        config: { sessions: { file, sha256, turns: null, think_time_s: 0, concurrency: 4 } },
      });
    expect(
      configDifferences(sessions("s.jsonl", "cc33"), sessions("s.jsonl", "dd44")).map((x) => [x.key, x.severity]),
    ).toEqual([["sessions.sha256", "refuse"]]);
  });

  test("--tokenizer FILE: another file refuses; the same file (equal SHA-256) under another name is a note", () => {
    const label = (name: string, sha: string) =>
      syntheticRun(`${sha}.json`, { config: { tokenizer: `${name}@sha256:${sha}` } });
    const base = label("Mistral-7B/tokenizer.json", "fc4f0bd70b37");
    expect(
      configDifferences(base, label("mistral/tokenizer.json", "fc4f0bd70b37")).map((x) => [x.key, x.severity, x.why]),
    ).toEqual([["tokenizer", "note", "the same tokenizer file (equal SHA-256) under another name"]]);
    expect(
      configDifferences(base, label("Mistral-7B/tokenizer.json", "0123456789ab")).map((x) => [x.key, x.severity]),
    ).toEqual([["tokenizer", "refuse"]]);
    expect(
      configDifferences(base, syntheticRun("o.json", { config: { tokenizer: "o200k" } })).map((x) => [
        x.key,
        x.severity,
      ]),
    ).toEqual([["tokenizer", "refuse"]]);
  });

  test("what changes the measurement refuses, every difference listed; unknown keys too; unrecorded keys are notes", () => {
    const b = syntheticRun("b.json", {
      config: {
        max_tokens: 64,
        concurrency: 8,
        stream: false,
        endpoint: "http://127.0.0.1:8000/v1/completions",
        api: "openai-completions",
        some_new_option: 3,
        rate: 10,
      },
    });
    const d = configDifferences(syntheticRun("a.json", { config: { some_new_option: 2 } }), b);
    const refuse = d.filter((x) => x.severity === "refuse").map((x) => x.key);
    expect(refuse.sort()).toEqual(["api", "concurrency", "endpoint path", "max_tokens", "some_new_option", "stream"]);
    expect(d.find((x) => x.key === "rate")).toMatchObject({ severity: "note", why: "not recorded by a.json" });
  });

  test("several files per side: within each side and across; one line per key", () => {
    const lines = summarizeDifferences(
      checkComparable(
        [a, syntheticRun("a2.json", { config: { seed: 2 } })],
        [syntheticRun("b.json", { config: { seed: 3 } })],
      ),
    );
    expect(lines).toEqual([
      {
        severity: "note",
        text: "seed: 1 in a.json, 2 in a2.json, 3 in b.json (the default seed is random per run, so that a rerun is not served from the first run's cache)",
      },
    ]);
  });
});

describe("compareRuns", () => {
  test("a candidate with 3× the TPOT: TPOT and E2E regress, TTFT does not; gated → verdict regressed", () => {
    const base = syntheticRun("base.json");
    const cand = syntheticRun("cand.json", { tpot: (k) => 3 * (4 + ((k * 17) % 13) / 20) });
    const c = compareRuns([base], [cand], settings());
    const v = Object.fromEntries(c.metrics.map((m) => [m.name, m.verdict]));
    expect(v.tpot_p50).toBe("regressed");
    expect(v.tpot_p95).toBe("regressed");
    expect(v.itl_p50).toBe("regressed");
    expect(v.e2e_p50).toBe("regressed");
    expect(v.ttft_p50).toBe("unchanged");
    expect(c.verdict).toBe("regressed");
    expect(c.gatedRegressions).toEqual(["tpot_p50", "tpot_p95", "e2e_p50", "e2e_p95"]);
    const tpot = c.metrics.find((m) => m.name === "tpot_p50")!;
    expect(tpot.change).toBeCloseTo(2, 10);
    expect(tpot.interval![0]).toBeGreaterThan(1.9);
    expect(c.tests.find((t) => t.family === "tpot")!.effect).toBe(1); // every candidate value is larger
  });

  test("a gated metric neither side measured (per-turn TTFT of runs without sessions) is said to decide nothing", () => {
    const c = compareRuns(
      [syntheticRun("a.json")],
      [syntheticRun("b.json")],
      settings({ gate: parseGate("ttft_later_turns_p50,ttft_p50") }),
    );
    expect(c.metrics.some((m) => m.name === "ttft_later_turns_p50")).toBe(false);
    expect(c.notes).toContain("gated but measured by neither side, so they decide nothing: ttft_later_turns_p50");
    expect(
      compareRuns([syntheticRun("a.json")], [syntheticRun("b.json")], settings()).notes.some((n) =>
        n.startsWith("gated but"),
      ),
    ).toBe(false);
  });

  test("the same samples: everything unchanged or too few samples to tell, exit-worthy nothing", () => {
    const c = compareRuns([syntheticRun("a.json")], [syntheticRun("b.json")], settings());
    expect(c.verdict).toBe("unchanged");
    expect(c.counts.regressed + c.counts.improved).toBe(0);
    const ttft = c.metrics.find((m) => m.name === "ttft_p50")!;
    expect(ttft.change).toBe(0);
    expect(ttft.pValue).toBe(1);
  });

  test("only gated metrics decide: a regressed p99 outside the gate leaves the verdict alone", () => {
    const tail = (k: number) => (k % 20 === 0 ? 40 : 10 + ((k * 37) % 23) / 10);
    // p99 needs 368 requests per side for a 95% interval
    const c = compareRuns(
      [syntheticRun("a.json", { n: 400 })],
      [syntheticRun("b.json", { n: 400, ttft: tail })],
      settings({ gate: ["ttft_p50"] }),
    );
    expect(c.metrics.find((m) => m.name === "ttft_p99")!.verdict).toBe("regressed");
    expect(c.verdict).toBe("unchanged");
  });

  test("error rate: Newcombe interval in percentage points, Fisher's p; a 1pp threshold", () => {
    const c = compareRuns(
      [syntheticRun("a.json", { failed: 0 })],
      [syntheticRun("b.json", { failed: 40 })],
      settings(),
    );
    const e = c.metrics.find((m) => m.name === "error_rate")!;
    expect(e.changeUnit).toBe("pp");
    expect(e.cand).toBeCloseTo(40 / 240, 12);
    expect(e.interval![0]).toBeGreaterThan(0.01);
    expect(e.pValue).toBeLessThan(1e-6);
    expect(e.verdict).toBe("regressed");
    expect(c.gatedRegressions).toContain("error_rate");
  });

  test("throughput: one run per side is a ratio with a note; several runs per side get Welch's test", () => {
    const one = compareRuns(
      [syntheticRun("a.json", { throughput: 400 })],
      [syntheticRun("b.json", { throughput: 300 })],
      settings(),
    );
    const t1 = one.metrics.find((m) => m.name === "output_throughput")!;
    expect(t1.change).toBeCloseTo(-0.25, 12);
    expect(t1.interval).toBeNull();
    expect(t1.verdict).toBe("unjudged"); // a bare ratio is not judged...
    expect(t1.reason).toBe("ratio only: one run per side");
    expect(t1.gated).toBe(false);
    expect(one.notes.join(" ")).toContain(
      "one run on the baseline and the candidate: run-to-run noise is not covered by the intervals",
    );
    expect(one.notes.join(" ")).toContain("llmbench run --runs 3");
    // ...unless asked for
    const asked = compareRuns(
      [syntheticRun("a.json", { throughput: 400 })],
      [syntheticRun("b.json", { throughput: 300 })],
      settings({ gateOnRatios: true }),
    );
    expect(asked.metrics.find((m) => m.name === "output_throughput")!.verdict).toBe("regressed");
    const several = compareRuns(
      [400, 410, 395].map((t, i) => syntheticRun(`a${i}.json`, { throughput: t })),
      [300, 310, 305].map((t, i) => syntheticRun(`b${i}.json`, { throughput: t })),
      settings(),
    );
    const t2 = several.metrics.find((m) => m.name === "output_throughput")!;
    expect(t2.interval).not.toBeNull();
    expect(t2.pValue).toBeLessThan(0.001);
    expect(t2.method).toContain("Welch");
  });

  test("files without records: percentile ratios, no interval, and a note saying so; several such files pool their digests", () => {
    const recs = (scale: number) =>
      Array.from({ length: 30 }, (_, i) => streamed(i, i * 100, 10 + (i % 7), [4 * scale, 4 * scale, 4 * scale]));
    const a = importRun(JSON.stringify(resultDoc(recs(1), {}, false)), "a.json");
    const b = importRun(JSON.stringify(resultDoc(recs(2), {}, false)), "b.json");
    const c = compareRuns([a], [b], settings());
    const tpot = c.metrics.find((m) => m.name === "tpot_p50")!;
    expect(tpot.interval).toBeNull();
    expect(tpot.pValue).toBeNull();
    expect(tpot.change).toBeCloseTo(24.05 / 12.05 - 1, 10); // E2E ends 0.05 ms after the last token
    expect(tpot.verdict).toBe("unjudged"); // no samples, no verdict
    expect(tpot.reason).toBe("ratio only: no samples");
    expect(c.verdict).toBe("undecided"); // gated metrics with a bare ratio: the gate cannot decide
    expect(c.undecided).toEqual(["ttft_p50", "ttft_p95", "tpot_p50", "tpot_p95", "e2e_p50", "e2e_p95"]);
    expect(c.tests).toEqual([]);
    const asked = compareRuns([a], [b], settings({ gateOnRatios: true }));
    expect(asked.metrics.find((m) => m.name === "tpot_p50")!.verdict).toBe("regressed");
    expect(asked.verdict).toBe("regressed");
    // gated on what has a test (error rate: counts), the gate decides
    expect(compareRuns([a], [b], settings({ gate: ["error_rate"] })).verdict).toBe("unchanged");
    expect(c.notes.join(" ")).toContain("no per-request samples in a.json, b.json");
    const pooled = compareRuns([a, a], [b, b], settings());
    expect(pooled.metrics.find((m) => m.name === "tpot_p50")!.change).toBeCloseTo(24.05 / 12.05 - 1, 10);
  });

  test("never pass what was not measured: a side without a successful request, an incomplete run, a gated metric one side lacks", () => {
    const dead = { ...syntheticRun("dead.json", { n: 0, failed: 20 }), complete: false };
    const c = compareRuns([syntheticRun("a.json")], [dead], settings());
    expect(c.verdict).toBe("failed");
    expect(c.failures).toContain(
      "dead.json has no successful measured request (all 20 measured requests failed): nothing was measured to compare",
    );
    expect(c.failures.join(" ")).toContain("dead.json is incomplete");
    expect(c.failures).toHaveLength(2); // one line per reason, not one per metric
    expect(c.metrics.find((m) => m.name === "ttft_p50")!.verdict).toBe("unavailable");

    const noTpot = { ...syntheticRun("b.json"), samples: { ...syntheticRun("b.json").samples!, tpot: [], itl: [] } };
    const one = compareRuns([syntheticRun("a.json")], [noTpot], settings());
    expect(one.verdict).toBe("failed");
    expect(one.failures).toEqual([
      "tpot_p50 (gated) not measured in b.json (responses not streamed, or one token each)",
      "tpot_p95 (gated) not measured in b.json (responses not streamed, or one token each)",
    ]);
    // measured by neither side (both not streamed): nothing to compare, not a failure
    const neither = compareRuns([noTpot], [{ ...noTpot, source: "c.json" }], settings());
    expect(neither.verdict).toBe("unchanged");
    expect(neither.metrics.find((m) => m.name === "tpot_p50")!.reason).toContain("not measured in either side");
    // --gate none: nothing fails
    expect(compareRuns([syntheticRun("a.json")], [dead], settings({ gate: [] })).verdict).toBe("unchanged");
  });

  test("too few samples: a percentile is not judged, and the row says how many it needs", () => {
    const c = compareRuns(
      [syntheticRun("a.json", { n: 50 })],
      [syntheticRun("b.json", { n: 50, ttft: (k) => 30 + (k % 7) })],
      settings(),
    );
    const p95 = c.metrics.find((m) => m.name === "ttft_p95")!;
    expect(p95.verdict).toBe("unjudged");
    expect(p95.interval).toBeNull();
    expect(p95.reason).toBe("too few samples: p95 needs 72 requests per side for a 95% interval (has 50)");
    expect(c.unjudged).toEqual(["ttft_p95", "tpot_p95", "e2e_p95"]);
    expect(c.metrics.find((m) => m.name === "ttft_p50")!.verdict).toBe("regressed"); // 30+ ms against 10–12 ms
    expect(c.verdict).toBe("regressed");
  });

  test("bimodal honesty: a percentile in a gap and different cache-hit shares are flagged on the rows", () => {
    // half the requests ~2 ms (cache hits), half ~130 ms: the median falls between the modes
    const bimodal = (k: number) => (k % 2 === 0 ? 2 + (k % 5) / 10 : 130 + (k % 7));
    const c = compareRuns(
      [syntheticRun("a.json", { ttft: bimodal, hits: 100 })],
      [syntheticRun("b.json", { ttft: bimodal, hits: 40 })],
      settings(),
    );
    const p50 = c.metrics.find((m) => m.name === "ttft_p50")!;
    expect(p50.flags!.some((f) => f.startsWith("in a gap of the baseline: no sample between 2.40 and 130 ms"))).toBe(
      true,
    );
    expect(p50.flags).toContain("cache hits 50% vs 20%");
    expect(p50.verdict).toBe("inconclusive");
    expect(c.notes.join(" ")).toContain("measure latency with --repeat-ratio 0");
    expect(c.metrics.find((m) => m.name === "error_rate")!.flags).toBeUndefined();
  });

  test("a distorted run is named in a warning and flags every latency row", () => {
    const d = { ...syntheticRun("b.json"), distorted: "event-loop lag p99 9 ms exceeds 2 ms" };
    const c = compareRuns([syntheticRun("a.json")], [d], settings());
    expect(c.notes).toContain(
      "WARNING: the client distorted what it measured in b.json (event-loop lag p99 9 ms exceeds 2 ms): latency verdicts include the client's own delays",
    );
    expect(c.metrics.filter((m) => m.kind === "distribution").every((m) => m.flags?.includes("distorted run"))).toBe(
      true,
    );
  });

  test("a metric not measured on one side is n/a with the reason", () => {
    const a = syntheticRun("a.json");
    const b = { ...syntheticRun("b.json"), samples: { ...syntheticRun("b.json").samples!, tpot: [], itl: [] } };
    const c = compareRuns([a], [b], settings());
    const tpot = c.metrics.find((m) => m.name === "tpot_p95")!;
    expect(tpot.verdict).toBe("unavailable");
    expect(tpot.reason).toContain("not measured in b.json");
  });

  test("the same files and seed give the same comparison", () => {
    const run = () =>
      compareRuns([syntheticRun("a.json")], [syntheticRun("b.json", { ttft: (k) => 11 + (k % 9) / 10 })], settings());
    expect(run()).toEqual(run());
  });
});
