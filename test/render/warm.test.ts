import { describe, expect, test } from "bun:test";
import { countErrors } from "../../src/core/errors.ts";
import { WARM_SCHEMA, windowStats, type WarmDocument, type WarmPoint } from "../../src/core/steady.ts";
import { renderCurve, renderWarmProgress, renderWarmReport } from "../../src/render/warm.ts";

const point = (n: number, e2e: number | null): WarmPoint => ({
  n,
  ok: e2e !== null,
  e2e_ms: e2e,
  ttft_ms: e2e,
  error: e2e === null ? "http_5xx" : null,
});

describe("renderCurve", () => {
  test("one column per request, scaled lowest → highest, ┴ under the steady request", () => {
    expect(renderCurve([point(1, 80), point(2, 40), point(3, 20), point(4, 20)], 4, { height: 2 })).toEqual([
      "Latency by request (E2E ms; ┴ steady at request 4)",
      "  80.0 ┤█",
      "  20.0 ┤█▆▁▁",
      "       └───┴",
      "        1  4",
    ]);
  });

  test("a failed request is ×; more requests than columns are averaged in groups", () => {
    expect(renderCurve([point(1, 30), point(2, null), point(3, 10)], null, { height: 1 })).toEqual([
      "Latency by request (E2E ms)",
      "  30.0 ┤█×▁",
      "       └───",
      "        1 3",
    ]);
    const many = Array.from({ length: 8 }, (_, i) => point(i + 1, i < 4 ? 100 : 50));
    const lines = renderCurve(many, 7, { height: 1, width: 4 });
    expect(lines[0]).toBe("Latency by request (E2E ms, each column the mean of 2 requests; ┴ steady at request 7)");
    expect(lines[1]).toBe("   100 ┤██▁▁");
    expect(lines[2]).toBe("       └───┴");
  });

  test("all equal: one full row", () => {
    expect(renderCurve([point(1, 5), point(2, 5)], null, { height: 2 }).slice(1, 3)).toEqual([
      "  5.00 ┤",
      "  5.00 ┤██",
    ]);
  });
});

describe("renderWarmReport", () => {
  const doc: WarmDocument = {
    schema: WARM_SCHEMA,
    tool: { name: "llmbench", version: "9.9.9" },
    complete: true,
    started_at: "2025-01-01T00:00:00.000Z",
    finished_at: "2025-01-01T00:00:05.000Z",
    config: {
      endpoint: "http://h:1/generate",
      api: "generate",
      stream: false,
      model: null,
      max_tokens: 8,
      seed: 3,
      concurrency: 1,
      requests: null,
      max_requests: 100,
      window: 4,
      max_cv: 0.1,
      max_drop: 0.05,
      prompts: "synthetic",
    },
    ready: true,
    time_to_first_success_ms: 2410,
    attempts: 6,
    error: null,
    steady: true,
    requests_to_steady: 8,
    latency_ms: { first: 300, steady: 100, last_window: 100 },
    ttft_ms: { first: 299, steady: 99, last_window: 99 },
    ttft_kind: "first-byte",
    window: windowStats([100, 100, 100, 100]),
    requests: { sent: 8, succeeded: 8, failed: 0 },
    errors: countErrors(),
    curve: [300, 240, 180, 120, 100, 100, 100, 100].map((x, i) => point(i + 1, x)),
  };

  test("time to first success, requests to steady, first against steady latency, the curve", () => {
    const text = renderWarmReport(doc);
    expect(text).toContain("llmbench 9.9.9 — warm generate http://h:1/generate");
    expect(text).toContain("until steady (window 4, cv ≤ 10.0%, trend ≥ −5.0%), at most 100 requests, concurrency 1");
    expect(text).toContain("Ready         after 2.41 s (the first success was attempt 6)");
    expect(text).toContain("Steady        after 8 requests: cv 0.0%, trend +0.0% across the last 4");
    expect(text).toContain(
      "Latency       first 300 ms → steady 100 ms (median of the steady window), 3.0× the steady latency",
    );
    expect(text).toContain("TTFT*         first 299 ms → steady 99.0 ms");
    expect(text).toContain("not streamed");
    expect(text).toContain("┴ steady at request 8");
    expect(text.endsWith("\n")).toBe(true);
  });

  test("not steady: says so, with the window it judged and the limits", () => {
    const text = renderWarmReport({
      ...doc,
      steady: false,
      requests_to_steady: null,
      latency_ms: { first: 300, steady: null, last_window: 180 },
      window: windowStats([300, 240, 180, 120]),
    });
    expect(text).toContain(
      "Steady        not reached in 8 requests: cv 36.9%, trend −85.7% across the last 4 (needs 4 latencies with cv ≤ 10.0% and trend ≥ −5.0%)",
    );
    expect(text).toContain("Latency       first 300 ms → last 4: 180 ms (median)");
  });

  test("progress lines", () => {
    expect(
      renderWarmProgress({ phase: "wait", elapsedMs: 3100, waitMs: 120_000, attempts: 5, last: "connection refused" }),
    ).toBe("waiting 3.1/120 s, attempt 5: connection refused");
    expect(
      renderWarmProgress({ phase: "warm", done: 12, total: 100, lastMs: 105.2, window: windowStats([100, 110]) }),
    ).toBe("[12/100] last 105 ms; last 2: median 105 ms, cv 6.7%, trend +9.5%");
  });
});
