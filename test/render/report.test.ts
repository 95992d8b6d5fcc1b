/**
 * The run report, the sweep report and the live line, whole, against golden files (test/render/golden.ts
 * says how they are kept). The documents are hand-built (documents.ts): the text depends on the renderer alone.
 */
import { describe, expect, test } from "bun:test";
import { findKnee, saturation } from "../../src/core/sweep.ts";
import { renderProgress, renderReport } from "../../src/render/report.ts";
import { renderSweep } from "../../src/render/sweep.ts";
import { renderHtml } from "../../src/render/html/page.ts";
import type { ResultDocument } from "../../src/core/result.ts";
import { config, dist, document, level, summary } from "../documents.ts";
import { expectGolden } from "./golden.ts";

const unesc = (s: string) =>
  s
    .replace(/<[^>]+>/g, "")
    .replace(/&(lt|gt|quot|#39|amp);/g, (_, e: string) => ({ lt: "<", gt: ">", quot: '"', "#39": "'", amp: "&" })[e]!);
const squeeze = (s: string) =>
  s
    .trim()
    .replace(/\s+/g, " ")
    .replace(/ ← knee| \(client distorted\)$/, "");

/**
 * The golden text, and the HTML page drawing the same rows (render/rows.ts): every data row of the
 * page's tables — facts, latency, runs, sweep levels — stands, cell for cell, as a line of the text.
 * (The SLO table is laid out otherwise: its cells are checked by the golden text's terms.)
 */
function expectReport(name: string, doc: ResultDocument): void {
  const text = doc.sweep ? renderSweep(doc) : renderReport(doc);
  expectGolden(name, text);
  const lines = text.split("\n").map(squeeze);
  const page = renderHtml({
    files: [{ name: "a.json", doc, recordsFromFile: null }],
    comparisons: [],
    version: "test",
  });
  const section = page.slice(page.indexOf('<section class="file"'), page.indexOf('<details class="text">'));
  let checked = 0;
  for (const table of section.match(/<table[\s\S]*?<\/table>/g) ?? []) {
    const rows = (table.match(/<tr[^>]*>[\s\S]*?<\/tr>/g) ?? []).map((tr) =>
      (tr.match(/<t[hd][^>]*>[\s\S]*?<\/t[hd]>/g) ?? []).map((cell) => ({
        head: cell.startsWith("<th"),
        text: unesc(cell),
      })),
    );
    if (rows[0]?.[0]?.text === "term") continue;
    if (doc.sweep && !table.includes('data-table="sweep"')) continue; // the sweep's text shows no summary of its knee's level
    for (const row of rows) {
      if (row.every((c) => c.head) && row.length > 2) continue; // a header row
      const cells = row.map((c) => c.text);
      if (table.includes('data-table="summary"') && cells[1] === "n/a") continue; // the text pads n/a into its first column only
      expect(lines).toContain(squeeze(cells.join(" ")));
      checked++;
    }
  }
  expect(checked).toBeGreaterThanOrEqual(doc.sweep ? doc.sweep.levels.length : 7);
}

describe("renderReport", () => {
  test("a streamed run: every section, token TTFT", () => {
    expectReport("report-streamed.txt", document());
  });

  test("a trace run: the text and the page both say the lengths come from the trace, not from --max-tokens", () => {
    const doc = document({
      config: config({ trace: { file: "t.jsonl", speed: 1, block_tokens: 512, format: "mooncake" }, max_tokens: 100 }),
    });
    const page = renderHtml({
      files: [{ name: "a.json", doc, recordsFromFile: null }],
      comparisons: [],
      version: "test",
    });
    for (const shown of [renderReport(doc), unesc(page)]) {
      expect(shown).toContain("max tokens and prompts from the trace (blocks of 512 tokens)");
      expect(shown).not.toContain("max tokens 100");
    }
  });

  test("not streamed: TTFT is marked first-byte, TPOT and ITL n/a, the note says why", () => {
    const s = summary({
      ttft_kind: "first-byte",
      ttft_ms: dist(100, 1480.2, 1200.5, 2210, 1455, 1702.3, 1800.9, 2150.44),
      tpot_ms: null,
      itl_ms: null,
      tokens_source: "whitespace",
      tokens: {
        output: 4870,
        input: 1600,
        reasoning: 0,
        mean_output_per_request: 97.4,
        usage_vs_client: { compared: 0, disagreed: 0, mean_relative_difference: null },
        tokens_per_chunk: null,
      },
    });
    const doc = document({
      config: config({
        endpoint: "http://localhost:8000/generate",
        api: "generate",
        stream: false,
        model: null,
        tokenizer: "whitespace",
      }),
      summary: s,
      notes: [
        "responses were not streamed: TTFT is the time to the first body byte; TPOT and ITL cannot be observed and are not given (use --stream where the server supports it)",
      ],
    });
    expectReport("report-first-byte.txt", doc);
  });

  test("an open loop with SLOs: send lag, terms met, missed and not measured, goodput", () => {
    const s = summary({
      send_lag_ms: dist(100, 0.8, 0.05, 14.2, 0.31, 1.2, 2.5, 12.9),
      slo: {
        terms: [
          { name: "ttft_p95", bound_ms: 300, value_ms: 355.75, passed: false, status: "missed" },
          { name: "e2e_p99", bound_ms: 5000, value_ms: 4502.7, passed: true, status: "met" },
          { name: "itl_p50", bound_ms: 30, value_ms: null, passed: false, status: "not measured" },
        ],
        passed: false,
        good_requests: 88,
        goodput_rps: 18.862,
      },
    });
    const doc = document({
      config: config({
        rate: 20,
        concurrency: null,
        burstiness: 0.5,
        ramp_up_s: 10,
        latency_from: "due",
        slo: [{ name: "ttft_p95", bound_ms: 300 }],
      }),
      summary: s,
    });
    expectReport("report-slo.txt", doc);
  });

  test("the client was a bottleneck: the warning after the table", () => {
    const reason =
      "event-loop lag p99 14.20 ms exceeds 9.38 ms (5% of TTFT p50 187.50 ms, at least 2 ms): the client was a bottleneck; lower the load or run several clients";
    const doc = document({
      summary: summary({
        client: { event_loop_lag_ms: dist(466, 3.1, 0, 22.5, 1.4, 8.8, 11.9, 14.2), distorted: true, reason },
      }),
    });
    expectReport("report-client-warning.txt", doc);
  });

  test("prefix caching: what the workload offered against what the server reported cached", () => {
    const prefix_cache = {
      reported: 50,
      prompt_tokens: 25_600,
      cached_tokens: 14_848,
      cached_share: 0.58,
      cached_share_per_request: dist(50, 0.58, 0, 0.94, 0.62, 0.88, 0.91, 0.94),
      offered: 50,
      offered_prompt_tokens: 25_600,
      reusable_tokens: 15_872,
      reusable_share: 0.62,
      ttft_by_reusable_share: [{ from: 0, to: 0, requests: 4, ttft_ms: dist(4, 80, 70, 90, 80, 88, 89, 90) }],
    };
    expectReport("report-prefix-cached.txt", document({ summary: summary({ prefix_cache }) }));
  });

  test("prefix caching where the server reports nothing: TTFT by reusable share instead, the same rows on the page", () => {
    const bucket = (from: number, to: number, requests: number, p50: number) => ({
      from,
      to,
      requests,
      ttft_ms: requests ? dist(requests, p50, p50 - 5, p50 + 9, p50, p50 + 6, p50 + 8, p50 + 9) : null,
    });
    const prefix_cache = {
      reported: 0,
      prompt_tokens: 25_600,
      cached_tokens: 0,
      cached_share: null,
      cached_share_per_request: null,
      offered: 50,
      offered_prompt_tokens: 25_600,
      reusable_tokens: 7_680,
      reusable_share: 0.3,
      ttft_by_reusable_share: [
        bucket(0, 0, 35, 182.4),
        bucket(0, 0.25, 0, 0),
        bucket(0.25, 0.5, 0, 0),
        bucket(0.5, 0.75, 0, 0),
        bucket(0.75, 1, 15, 41.7),
      ],
    };
    expectReport("report-prefix-uncached.txt", document({ summary: summary({ prefix_cache }) }));
  });

  test("notes, reasoning tokens and a duration-bound run", () => {
    const s = summary({
      tokens: {
        output: 10000,
        input: 3200,
        reasoning: 2400,
        mean_output_per_request: 100,
        usage_vs_client: { compared: 100, disagreed: 40, mean_relative_difference: 0.18 },
        tokens_per_chunk: 3.2,
      },
    });
    const doc = document({
      config: config({ requests: null, duration_s: 60, ramp_up_s: 5 }),
      summary: s,
      notes: [
        "stream chunks carried 3.20 tokens each on average: ITL is measured between chunks, not between tokens; TPOT is per token",
        "the server's usage and the o200k tokenizer disagreed on the output length of 40 of 100 requests, by 18% on average; the server's count was used (choose --tokenizer to match the model for servers without usage)",
      ],
    });
    expectReport("report-notes.txt", doc);
  });

  test("an incomplete run: marked, failures by class, connections sent again", () => {
    const s = summary(
      {
        requests: { sent: 40, succeeded: 31, failed: 9 },
        error_rate: 9 / 40,
        cache: { hits: 0, hit_rate: 0, repeats_sent: 12, repeats_succeeded: 9, repeat_hits: 0, repeat_hit_rate: 0 },
        connections: { reconnects: 3, retried_requests: 3, retries_failed: 1 },
        duration_s: 1.2,
        ttft_ms: dist(31, 240.5, 120.25, 700, 201.5, 410.2, 512.75, 690.1),
        tpot_ms: dist(31, 22.4, 18.5, 41.25, 21.9, 25.18, 27.4, 40.77),
        itl_ms: dist(3069, 22.1, 0.5, 190.3, 21.2, 26.6, 30.04, 70.5),
        e2e_ms: dist(31, 2441.6, 1990.2, 4970.33, 2385, 2760.8, 3100.1, 4902.7),
        latency_per_token_ms: dist(31, 24.66, 19.9, 49.7, 23.85, 27.61, 31, 49.03),
        throughput: { output_tokens_per_s: 2583.33, input_tokens_per_s: 826.67, requests_per_s: 25.833 },
        tokens: {
          output: 3100,
          input: 992,
          reasoning: 0,
          mean_output_per_request: 100,
          usage_vs_client: { compared: 31, disagreed: 0, mean_relative_difference: 0.004 },
          tokens_per_chunk: 1,
        },
      },
      { http_5xx: 6, timeout: 2, aborted: 1 },
    );
    expectReport("report-incomplete.txt", document({ complete: false, summary: s }));
  });

  test("--runs 3: the pooled table, then one row per run (an unfinished run starred)", () => {
    const run = (p50: number, tps: number, complete = true, distorted = false) => ({
      complete,
      started_at: "2026-11-30T12:00:00.000Z",
      finished_at: "2026-11-30T12:00:05.000Z",
      notes: [],
      summary: summary({
        ttft_ms: dist(100, p50 + 20, p50 - 80, p50 + 400, p50, p50 + 110, p50 + 160, p50 + 390),
        throughput: { output_tokens_per_s: tps, input_tokens_per_s: tps / 3, requests_per_s: tps / 100 },
        client: { event_loop_lag_ms: null, distorted, reason: distorted ? "lag" : null },
      }),
      digests: {} as never,
      requests: null,
    });
    const doc = document({
      config: config({ runs: 3 }),
      runs: [run(180.25, 2150.2), run(192.5, 2098.75, true, true), run(9.875, 2201, false)],
    });
    expectReport("report-runs.txt", doc);
  });
});

describe("renderSweep", () => {
  // output throughput that rises with concurrency, then flattens while latency climbs: the knee at 8
  const at = (c: number, tps: number, ttft: number, e2e: number, errorRate = 0, goodput?: number) =>
    summary({
      throughput: { output_tokens_per_s: tps, input_tokens_per_s: tps / 3, requests_per_s: tps / 100 },
      ttft_ms: dist(100, ttft, ttft / 2, ttft * 3, ttft, ttft * 1.4, ttft * 1.6, ttft * 2.5),
      tpot_ms: dist(100, 20 + c / 4, 18, 40, 20 + c / 4, 25, 27, 30),
      e2e_ms: dist(100, e2e, e2e / 2, e2e * 3, e2e, e2e * 1.2, e2e * 1.3, e2e * 1.9),
      error_rate: errorRate,
      ...(goodput !== undefined
        ? { slo: { terms: [], passed: goodput > 5, good_requests: 90, goodput_rps: goodput } }
        : {}),
    });
  const levels = [
    level(1, at(1, 48.5, 41.25, 2061), 1),
    level(2, at(2, 95.2, 43.5, 2100.5), 95.2 / 48.5),
    level(4, at(4, 184.75, 48.9, 2165), 184.75 / 48.5),
    level(8, at(8, 341.2, 61.3, 2344.8), 341.2 / 48.5),
    level(16, at(16, 352.1, 310.5, 3975.25, 0.021), 352.1 / 48.5),
  ];

  test("a concurrency sweep stopped on saturation: one row per level, the knee marked and explained, the chart", () => {
    // the knee and the stop reason in the words core/sweep.ts gives them
    const knee = findKnee(
      levels.map((l) => l.summary),
      false,
    );
    expect(knee.index).toBe(3);
    const doc = document({
      config: config({ sweep: { kind: "concurrency", levels: [1, 2, 4, 8, 16, 32] } }),
      summary: levels[3].summary,
      sweep: {
        kind: "concurrency",
        levels,
        single_request_tokens_per_s: 48.5,
        knee: knee.index,
        knee_reason: knee.reason,
        stopped_early: true,
        stop_reason: `stopped after concurrency 16: ${saturation({ slo: false, plateau: 0.05 }, levels[4].summary, levels[3].summary)}`,
      },
    });
    expectReport("sweep-knee.txt", doc);
  });

  test("a rate sweep with SLOs, interrupted in its third level: goodput column, fractional rates, no knee, no gain", () => {
    const slo = (l: ReturnType<typeof level>, rate: number, goodput: number) => ({
      ...l,
      concurrency: null,
      rate,
      batching_gain: null,
      summary: { ...l.summary, slo: { terms: [], passed: goodput > 2, good_requests: 90, goodput_rps: goodput } },
    });
    const rated = [slo(levels[0], 0.5, 0.5), slo(levels[1], 1, 0.98), slo({ ...levels[2], complete: false }, 2, 1.5)];
    const doc = document({
      complete: false,
      config: config({ rate: 2, concurrency: null, sweep: { kind: "rate", levels: [0.5, 1, 2, 4] } }),
      summary: rated[2].summary,
      sweep: {
        kind: "rate",
        levels: rated,
        single_request_tokens_per_s: null,
        knee: null,
        knee_reason: "no level met the SLOs",
        stopped_early: false,
        stop_reason: null,
      },
    });
    expectReport("sweep-rate-stopped.txt", doc);
  });
});

describe("renderProgress", () => {
  test("the live line: done/total padded, rates, TTFT p50, failures only when there are some", () => {
    const lines = [
      renderProgress({
        done: 7,
        total: 1000,
        failed: 0,
        requestsPerS: 3.0214,
        outputTokensPerS: 301.44,
        ttftP50Ms: 212.3,
      }),
      renderProgress({
        done: 1000,
        total: 1000,
        failed: 12,
        requestsPerS: 1234.5,
        outputTokensPerS: 123456.78,
        ttftP50Ms: 9.876,
      }),
      renderProgress({ done: 0, total: 5, failed: 0, requestsPerS: 0, outputTokensPerS: 0, ttftP50Ms: undefined }),
    ];
    expectGolden("progress.txt", `${lines.join("\n")}\n`);
  });
});
