import { describe, expect, test } from "bun:test";
import { quantileSorted, summarize } from "../../../src/core/stats/percentiles.ts";

// Expected values are numpy 2.4 outputs (np.percentile, default method="linear"),
// printed with repr(): the implementation matches them bit for bit.

describe("quantileSorted", () => {
  test("numpy.percentile([1,2,3,4], q)", () => {
    const x = [1, 2, 3, 4];
    expect(quantileSorted(x, 0)).toBe(1);
    expect(quantileSorted(x, 0.25)).toBe(1.75);
    expect(quantileSorted(x, 0.5)).toBe(2.5);
    expect(quantileSorted(x, 0.9)).toBe(3.7);
    expect(quantileSorted(x, 0.95)).toBe(3.8499999999999996);
    expect(quantileSorted(x, 0.99)).toBe(3.9699999999999998);
    expect(quantileSorted(x, 1)).toBe(4);
  });

  test("h = (n-1)q, interpolating between neighbours", () => {
    const x = [15, 20, 35, 40, 50];
    // h = 4·0.9 = 3.6 → 40 + 0.6·10
    expect(quantileSorted(x, 0.9)).toBe(46);
    // h = 3.96 → 40 + 0.96·10
    expect(quantileSorted(x, 0.99)).toBe(49.6);
    // exact order statistic when h is an integer
    expect(quantileSorted(x, 0.5)).toBe(35);
    expect(quantileSorted(x, 0.75)).toBe(40);
  });

  test("typed arrays, duplicates, negative values", () => {
    expect(quantileSorted(Float64Array.of(2, 2, 2, 5), 0.9)).toBe(4.1000000000000005);
    expect(quantileSorted(Float64Array.of(2, 2, 2, 5), 0.5)).toBe(2);
    const y = [-1.5, 0.5, 3, 3, 7.25, 9.75, 12.125];
    expect(quantileSorted(y, 0.25)).toBe(1.75);
    expect(quantileSorted(y, 0.9)).toBe(10.700000000000001);
    expect(quantileSorted(y, 0.95)).toBe(11.412499999999998);
    expect(quantileSorted(y, 0.99)).toBe(11.982499999999998);
  });

  test("edge cases: one element, empty, q outside 0..1", () => {
    expect(quantileSorted([42], 0)).toBe(42);
    expect(quantileSorted([42], 0.99)).toBe(42);
    expect(quantileSorted([42], 1)).toBe(42);
    expect(quantileSorted([], 0.5)).toBeNaN();
    expect(quantileSorted([1, 2], -0.5)).toBe(1);
    expect(quantileSorted([1, 2], 1.5)).toBe(2);
    expect(quantileSorted([1, 2], NaN)).toBeNaN();
  });

  test("monotone in q", () => {
    const x = [0.1, 0.2, 0.30000000000000004, 7, 7, 1e6];
    let prev = -Infinity;
    for (let i = 0; i <= 1000; i++) {
      const v = quantileSorted(x, i / 1000);
      expect(v).toBeGreaterThanOrEqual(prev);
      prev = v;
    }
  });
});

describe("summarize", () => {
  test("[15, 20, 35, 40, 50]", () => {
    expect(summarize([15, 20, 35, 40, 50])).toEqual({
      count: 5,
      mean: 32,
      min: 15,
      max: 50,
      p50: 35,
      p90: 46,
      p95: 48,
      p99: 49.6,
    });
  });

  test("unsorted input gives the same answer and is left untouched", () => {
    const input = [50, 15, 40, 20, 35];
    expect(summarize(input)).toEqual(summarize([15, 20, 35, 40, 50]));
    expect(input).toEqual([50, 15, 40, 20, 35]);

    const typed = Float64Array.of(12.125, 3, -1.5, 9.75, 0.5, 7.25, 3);
    expect(summarize(typed)).toEqual({
      count: 7,
      mean: 4.875,
      min: -1.5,
      max: 12.125,
      p50: 3,
      p90: 10.700000000000001,
      p95: 11.412499999999998,
      p99: 11.982499999999998,
    });
    expect(Array.from(typed)).toEqual([12.125, 3, -1.5, 9.75, 0.5, 7.25, 3]);
  });

  test("[0.3, 0.1, 0.2] (numpy: p25 0.15000000000000002, p90 0.28, p99 0.298)", () => {
    const s = summarize([0.3, 0.1, 0.2])!;
    expect(s.p50).toBe(0.2);
    expect(quantileSorted([0.1, 0.2, 0.3], 0.25)).toBe(0.15000000000000002);
    expect(s.p90).toBe(0.28);
    expect(s.p95).toBe(0.29);
    expect(s.p99).toBe(0.298);
    expect(s.mean).toBe(0.20000000000000004);
  });

  test("a single sample", () => {
    expect(summarize([7.5])).toEqual({
      count: 1,
      mean: 7.5,
      min: 7.5,
      max: 7.5,
      p50: 7.5,
      p90: 7.5,
      p95: 7.5,
      p99: 7.5,
    });
  });

  test("no samples → null", () => {
    expect(summarize([])).toBeNull();
    expect(summarize(new Float64Array(0))).toBeNull();
  });

  test("sorts numerically, not as strings", () => {
    const s = summarize([100, 9, 20, 1000, 3])!;
    expect(s.min).toBe(3);
    expect(s.max).toBe(1000);
    expect(s.p50).toBe(20);
  });
});
