import { describe, expect, test } from "bun:test";
import { UsageError } from "../../src/core/errors.ts";
import type { RunSummary } from "../../src/core/metrics.ts";
import { parseLevels, parseStopOn } from "../../src/core/options.ts";
import { findKnee, saturation } from "../../src/core/sweep.ts";

const summary = (tokPerS: number, errorRate = 0, sloPassed?: boolean) =>
  ({
    error_rate: errorRate,
    throughput: { output_tokens_per_s: tokPerS, input_tokens_per_s: 0, requests_per_s: 0 },
    ...(sloPassed === undefined
      ? {}
      : {
          slo: {
            passed: sloPassed,
            terms: [{ name: "ttft_p95", bound_ms: 1, value_ms: 2, passed: sloPassed }],
            good_requests: 0,
            goodput_rps: 0,
          },
        }),
  }) as unknown as RunSummary;

describe("sweep levels", () => {
  test("lists and ranges", () => {
    expect(parseLevels("concurrency", "1,2,4,8", true)).toEqual([1, 2, 4, 8]);
    expect(parseLevels("concurrency", "1..64x2", true)).toEqual([1, 2, 4, 8, 16, 32, 64]);
    expect(parseLevels("concurrency", "1..20x2", true)).toEqual([1, 2, 4, 8, 16]);
    expect(parseLevels("rate", "10..50+10", false)).toEqual([10, 20, 30, 40, 50]);
    expect(parseLevels("rate", "0.5..2x2", false)).toEqual([0.5, 1, 2]);
    expect(parseLevels("concurrency", "5", true)).toEqual([5]);
  });
  test.each([
    ["0..8x2", "does not rise"],
    ["8..1x2", "does not rise"],
    ["1..8x1", "does not rise"],
    ["1,two", "must be an integer"],
    ["1..1000+1", "makes 1000 levels"],
  ])("rejects %s", (v, msg) => {
    expect(() => parseLevels("concurrency", v, true)).toThrow(msg);
  });
  test("stop conditions", () => {
    expect(parseStopOn("saturation", false)).toEqual({ errorRate: 0.05, slo: false, plateau: 0.05 });
    expect(parseStopOn("error-rate=10%,plateau=2", true)).toEqual({ slo: false, errorRate: 0.1, plateau: 0.02 });
    expect(() => parseStopOn("slo", false)).toThrow(UsageError);
    expect(() => parseStopOn("latency", false)).toThrow("unknown condition 'latency'");
  });
});

describe("saturation and the knee", () => {
  test("a level saturates on errors, a missed SLO, or a plateau", () => {
    const all = { errorRate: 0.05, slo: true, plateau: 0.05 };
    expect(saturation(all, summary(100, 0.06), undefined)).toContain("error rate 6.0% is above 5.0%");
    expect(saturation(all, summary(100, 0, false), undefined)).toBe("SLO missed: ttft_p95");
    expect(saturation(all, summary(104, 0), summary(100))).toContain("rose 4.0%, less than 5.0%");
    expect(saturation(all, summary(106, 0), summary(100))).toBeNull();
    expect(saturation({ slo: false }, summary(50, 0.5, false), summary(100))).toBeNull();
  });
  test("without SLOs the knee is the last level whose throughput still rose", () => {
    expect(findKnee([summary(100), summary(190), summary(300), summary(305), summary(400)], false)).toEqual({
      index: 2,
      reason: "throughput stopped rising (by 5% or more) after this level",
    });
    expect(findKnee([summary(100), summary(200)], false).index).toBe(1);
    expect(findKnee([summary(100), summary(200)], false).reason).toContain("may lie beyond the sweep");
  });
  test("with SLOs the knee is the highest level that met them", () => {
    expect(findKnee([summary(1, 0, true), summary(2, 0, true), summary(3, 0, false)], true).index).toBe(1);
    expect(findKnee([summary(1, 0, false)], true)).toEqual({ index: null, reason: "no level met the SLOs" });
  });
});
