import { describe, expect, test } from "bun:test";
import { checkSlo, meetsSlo, parseSlo } from "../../src/core/slo.ts";
import { parseTimeMs } from "../../src/core/options/values.ts";

describe("SLOs", () => {
  test("parse terms with units; a bare metric means its p50", () => {
    expect(parseSlo("ttft_p95=200ms, tpot_p50=30ms,e2e_p99=5s,itl=0.1s")).toEqual([
      { name: "ttft_p95", metric: "ttft", percentile: "p95", boundMs: 200 },
      { name: "tpot_p50", metric: "tpot", percentile: "p50", boundMs: 30 },
      { name: "e2e_p99", metric: "e2e", percentile: "p99", boundMs: 5000 },
      { name: "itl_p50", metric: "itl", percentile: "p50", boundMs: 100 },
    ]);
    expect(parseTimeMs("2m", "s")).toBe(120_000);
    expect(parseTimeMs("1.5", "s")).toBe(1500);
    expect(parseTimeMs("1.5", "ms")).toBe(1.5);
  });

  test.each([
    ["ttft_p95", "is not metric_pNN=TIME"],
    ["speed_p95=1s", "unknown metric 'speed'"],
    ["ttft_p42=1s", "unknown percentile 'p42'"],
    ["ttft_p95=fast", "is not a positive time"],
    ["ttft_p95=0ms", "is not a positive time"],
  ])("rejects %s", (value, message) => {
    expect(() => parseSlo(value)).toThrow(message);
  });

  test("a request meets the SLO when every per-request bound holds; unmeasured TPOT does not", () => {
    const terms = parseSlo("ttft_p95=100ms,tpot_p50=20ms,itl_p99=1ms");
    expect(meetsSlo(terms, { ttftMs: 100, tpotMs: 20, e2eMs: 999 })).toBe(true); // bounds are inclusive; itl is run-level only
    expect(meetsSlo(terms, { ttftMs: 101, tpotMs: 10, e2eMs: 1 })).toBe(false);
    expect(meetsSlo(terms, { ttftMs: 50, tpotMs: null, e2eMs: 1 })).toBe(false);
  });

  test("run-level check and goodput", () => {
    const d = (p50: number, p95: number) => ({ count: 10, mean: p50, min: 0, max: p95, p50, p90: p95, p95, p99: p95 });
    const r = checkSlo(
      parseSlo("ttft_p95=100ms,tpot_p50=20ms"),
      { ttft_ms: d(50, 120), tpot_ms: d(15, 30), itl_ms: null, e2e_ms: null },
      6,
      2,
    );
    expect(r).toEqual({
      terms: [
        { name: "ttft_p95", bound_ms: 100, value_ms: 120, passed: false, status: "missed" },
        { name: "tpot_p50", bound_ms: 20, value_ms: 15, passed: true, status: "met" },
      ],
      passed: false,
      good_requests: 6,
      goodput_rps: 3,
    });
    expect(
      checkSlo(parseSlo("itl_p99=5ms"), { ttft_ms: null, tpot_ms: null, itl_ms: null, e2e_ms: null }, 0, 1).passed,
    ).toBe(false);
  });

  test("a metric the run did not measure is 'not measured', not missed, and not passed", () => {
    const d = { count: 4, mean: 9, min: 5, max: 12, p50: 9, p90: 12, p95: 12, p99: 12 };
    const r = checkSlo(
      parseSlo("e2e_p50=10ms,tpot_p50=30ms"),
      { ttft_ms: d, tpot_ms: null, itl_ms: null, e2e_ms: d },
      4,
      1,
    );
    expect(r.terms.map((t) => [t.name, t.status, t.passed])).toEqual([
      ["e2e_p50", "met", true],
      ["tpot_p50", "not measured", false],
    ]);
    expect(r.passed).toBe(false);
  });
});
