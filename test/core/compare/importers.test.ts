/** Reading result files: llmbench (any schema version) and vLLM bench serve; refusing anything else by name. */
import { describe, expect, test } from "bun:test";
import { importRun } from "../../../src/core/importers/index.ts";
import { upgradeResult } from "../../../src/core/result.ts";
import { deriveRequest } from "../../../src/core/metrics.ts";
import { resultDoc, streamed } from "../../documents.ts";
import { usageError } from "../helpers.ts";

const records = [
  streamed(0, 0, 50, [9, 9, 9], { phase: "warmup" }),
  streamed(1, 100, 12, [4, 5, 6]),
  streamed(2, 130, 15, [5, 5, 5]),
  streamed(3, 160, 11, [4, 4, 7], { error: { class: "http_5xx", message: "HTTP 500" }, tEnd: 200 }),
  streamed(4, 190, 20, [6, 6, 6]),
];

describe("llmbench result files", () => {
  test("samples of successful measured requests, derived by deriveRequest; warm-up and failures left out", () => {
    const run = importRun(JSON.stringify(resultDoc(records)), "a.json");
    const ok = [records[1], records[2], records[4]].map((r) => deriveRequest(r));
    expect(run.samples!.ttft).toEqual(ok.map((m) => m.ttftMs!));
    expect(run.samples!.tpot).toEqual(ok.map((m) => m.tpotMs!));
    expect(run.samples!.e2e).toEqual(ok.map((m) => m.e2eMs!));
    expect(run.samples!.itl).toEqual(ok.map((m) => m.itlMs));
    expect(run.requests).toEqual({ sent: 4, succeeded: 3, failed: 1 });
    expect(run.cache).toEqual({ hits: 0, of: 3 });
    expect(run.format).toBe("llmbench.result/v1");
    expect(run.tool).toBe("llmbench 0.1.0");
    expect(run.ttftKind).toBe("token");
    // the summary's exact percentiles are those of the same samples
    expect(run.summary.ttft!.p50).toBe(15);
  });

  test("--latency-from due: TTFT and E2E from when the request was due", () => {
    const due = [streamed(1, 100, 12, [4, 5], { tSched: 95 })];
    const run = importRun(JSON.stringify(resultDoc(due, { latency_from: "due" })), "due.json");
    expect(run.samples!.ttft).toEqual([17]);
  });

  test("written with --no-records: no samples, the summary and digests are kept", () => {
    const run = importRun(JSON.stringify(resultDoc(records, {}, false)), "n.json");
    expect(run.samples).toBeNull();
    expect(run.summary.e2e!.p99).toBeGreaterThan(0);
    expect(run.digests!.ttft!.count).toBe(3);
  });

  test("goodput comes from the run's own SLO check", () => {
    const doc = resultDoc(records) as { summary: Record<string, unknown> };
    doc.summary.slo = {
      terms: [{ name: "ttft_p95", bound_ms: 200, value_ms: 20, passed: true }],
      passed: true,
      good_requests: 3,
      goodput_rps: 12.5,
    };
    expect(importRun(JSON.stringify(doc), "s.json").goodput).toEqual({ rps: 12.5, slo: "ttft_p95≤200ms" });
  });

  test("a damaged document: the error names the file and the field", () => {
    const doc = resultDoc(records) as { summary: { requests: Record<string, unknown> }; requests: unknown[] };
    delete doc.summary.requests.sent;
    expect(usageError(() => importRun(JSON.stringify(doc), "broken.json")).message).toBe(
      "broken.json is a damaged llmbench result: summary.requests.sent is missing, expected an integer ≥ 0",
    );
    const doc2 = resultDoc(records) as { requests: Array<Record<string, unknown>> };
    doc2.requests[2].tokenTimes = "soon";
    expect(usageError(() => importRun(JSON.stringify(doc2), "b2.json")).message).toContain(
      "b2.json is a damaged llmbench result: requests[2].tokenTimes",
    );
  });

  test("schema versions: a newer one is refused with the reason; an upgrade chain brings old ones up", () => {
    const v2 = { ...resultDoc(records), schema: "llmbench.result/v2" };
    const e = usageError(() => importRun(JSON.stringify(v2), "new.json"));
    expect(e.message).toContain("new.json was written by a newer llmbench");
    expect(e.hint).toContain("upgrade llmbench");
    expect(
      usageError(() => importRun(JSON.stringify({ schema: "llmbench.result/beta" }), "odd.json")).message,
    ).toContain('unknown llmbench schema "llmbench.result/beta"');

    // the mechanism a v0 → v1 upgrade would use
    const v1 = resultDoc(records);
    const v0 = { schema: "llmbench.result/v0", cfg: v1.config, rest: v1 };
    const chain = {
      "llmbench.result/v0": {
        to: "llmbench.result/v1",
        upgrade: (d: Record<string, unknown>) => ({ ...(d.rest as object), config: d.cfg }),
      },
    };
    const { doc, from } = upgradeResult(v0, "old.json", chain);
    expect(from).toBe("llmbench.result/v0");
    expect(doc.schema).toBe("llmbench.result/v1");
    expect(doc.config).toEqual(v1.config);
  });
});

describe("files that are not results", () => {
  test.each([
    ["", "empty.json is empty"],
    ["  \n", "empty.json is empty"],
    [
      '{"schema": "llmbench.result/v1", "summary": {"requests": {"sent": 4',
      "empty.json is not valid JSON: it ends before the document does (truncated?)",
    ],
    ["hello", "empty.json is not valid JSON"],
    [
      '{"name": "left-pad", "version": "1.3.0"}',
      'empty.json is not an llmbench result nor a vLLM bench serve result: it is a JSON object with "name", "version"',
    ],
    ["[1, 2, 3]", "it is a JSON list of 3 items"],
    ['{"schema": "other/v1"}', '(schema "other/v1")'],
  ])("%j → a UsageError naming the file", (text, message) => {
    const e = usageError(() => importRun(text, "empty.json"));
    expect(e.message).toContain(message);
    expect(e.exitCode).toBe(2);
  });
});

describe("vLLM bench serve results", () => {
  // two successes and a failure, with --save-detailed; times in seconds
  const detailed = {
    date: "20261127-101500",
    backend: "openai-chat",
    model_id: "meta-llama/Llama-3.1-8B-Instruct",
    tokenizer_id: "meta-llama/Llama-3.1-8B-Instruct",
    num_prompts: 3,
    request_rate: "inf",
    burstiness: 1.0,
    max_concurrency: 4,
    duration: 2.5,
    completed: 2,
    failed: 1,
    total_input_tokens: 200,
    total_output_tokens: 7,
    request_throughput: 0.8,
    output_throughput: 2.8,
    input_lens: [100, 100, 100],
    output_lens: [4, 3, 0],
    ttfts: [0.05, 0.08, 0],
    itls: [[0.01, 0.02, 0.01], [0.03, 0.01], []],
    errors: ["", "", "Traceback: ClientConnectorError"],
    mean_ttft_ms: 65,
    median_ttft_ms: 65,
    p99_ttft_ms: 79.7,
  };

  test("per-request samples through deriveRequest: E2E = TTFT + Σ ITL, TPOT = (E2E − TTFT)/(n − 1)", () => {
    const run = importRun(JSON.stringify(detailed), "vllm.json");
    expect(run.format).toBe("vllm bench serve");
    expect(run.samples!.ttft).toEqual([50, 80]);
    expect(run.samples!.e2e[0]).toBeCloseTo(90, 10);
    expect(run.samples!.e2e[1]).toBeCloseTo(120, 10);
    expect(run.samples!.tpot[0]).toBeCloseTo(40 / 3, 10);
    expect(run.samples!.tpot[1]).toBeCloseTo(20, 10);
    expect(run.samples!.itl[0].map((x) => Math.round(x * 1e9) / 1e9)).toEqual([10, 20, 10]);
    expect(run.requests).toEqual({ sent: 3, succeeded: 2, failed: 1 });
    expect(run.throughput).toEqual({ outputTokensPerS: 2.8, requestsPerS: 0.8 });
    expect(run.cache).toBeNull();
    expect(run.config).toEqual({
      stream: true,
      api: "openai-chat",
      model: "meta-llama/Llama-3.1-8B-Instruct",
      concurrency: 4,
      rate: null,
      burstiness: 1,
      requests: 3,
    });
    expect(run.summary.ttft).toEqual({ mean: 65, p50: 65, p99: 79.7 });
  });

  test("without --save-detailed: the summary fields only, and a note saying so", () => {
    const { ttfts, itls, errors, input_lens, output_lens, ...summaryOnly } = detailed;
    const run = importRun(JSON.stringify(summaryOnly), "v.json");
    expect(run.samples).toBeNull();
    expect(run.summary.ttft!.p99).toBe(79.7);
    expect(run.notes.join(" ")).toContain("--save-detailed");
  });

  test("a damaged vLLM file names the field", () => {
    expect(usageError(() => importRun(JSON.stringify({ ...detailed, itls: [[0.01]] }), "v.json")).message).toContain(
      "v.json is a damaged vLLM bench serve result: itls",
    );
  });
});
