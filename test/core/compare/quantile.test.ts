/** Order-statistic intervals of percentiles, the design effect of grouped values, MOVER for their ratio (pure, exact). */
import { describe, expect, test } from "bun:test";
import {
  binomialCdf,
  designEffect,
  orderStatisticRanks,
  quantileRatio,
  quantileSide,
  samplesNeeded,
  sideQuantile,
} from "../../../src/core/compare/quantile.ts";
import { createRng } from "../../../src/core/rng.ts";

const ones = (xs: number[]) => [xs.map((x) => [x])];
const range = (n: number, f: (i: number) => number = (i) => i + 1) => Array.from({ length: n }, (_, i) => f(i));

describe("order-statistic ranks", () => {
  test("the binomial CDF", () => {
    expect(binomialCdf(2, 5, 0.5)).toBeCloseTo(0.5, 12);
    expect(binomialCdf(0, 10, 0.1)).toBeCloseTo(0.9 ** 10, 12);
    expect(binomialCdf(-1, 10, 0.1)).toBe(0);
    expect(binomialCdf(10, 10, 0.1)).toBe(1);
  });

  test("samples needed for a two-sided interval: max(q, 1 − q)^n ≤ α/2", () => {
    expect([0.5, 0.95, 0.99].map((q) => samplesNeeded(q, 0.05))).toEqual([6, 72, 368]);
    expect(samplesNeeded(0.5, 0.01)).toBe(8);
    for (const q of [0.5, 0.95, 0.99]) {
      const n = samplesNeeded(q, 0.05);
      expect(orderStatisticRanks(n, q, 0.05)).not.toBeNull();
      expect(orderStatisticRanks(n - 1, q, 0.05)).toBeNull();
    }
  });

  test("the median of 50: ranks 18 and 33 (the textbook table)", () => {
    expect(orderStatisticRanks(50, 0.5, 0.05)).toEqual({ l: 18, u: 33 });
    expect(orderStatisticRanks(6, 0.5, 0.05)).toEqual({ l: 1, u: 6 });
  });

  test("every interval covers with probability ≥ 1 − α, each tail ≤ α/2, and is the narrowest such", () => {
    for (const q of [0.5, 0.9, 0.95, 0.99]) {
      for (const n of [10, 20, 50, 73, 200, 400, 1000]) {
        const r = orderStatisticRanks(n, q, 0.05);
        if (!r) continue;
        expect(binomialCdf(r.l - 1, n, q)).toBeLessThanOrEqual(0.025); // X(l) above Q
        expect(1 - binomialCdf(r.u - 1, n, q)).toBeLessThanOrEqual(0.025); // X(u) below Q
        if (r.l < n) expect(binomialCdf(r.l, n, q)).toBeGreaterThan(0.025); // l + 1 would not do
        if (r.u > 1) expect(1 - binomialCdf(r.u - 2, n, q)).toBeGreaterThan(0.025); // u − 1 would not do
      }
    }
  });
});

describe("one side's interval", () => {
  test("one value per request: the order statistics themselves", () => {
    const xs = range(50, (i) => 100 + i);
    const s = sideQuantile(quantileSide(ones(xs)), 0.5, 0.05);
    expect(s.est).toBe(124.5);
    expect([s.lo, s.hi]).toEqual([117, 132]); // X(18), X(33)
    expect(s.nEff).toBe(50);
    expect(s.gap).toBeNull();
  });

  test("too few samples: no interval, and how many are needed", () => {
    const s = sideQuantile(quantileSide(ones(range(5))), 0.5, 0.05);
    expect(s.lo).toBeNull();
    expect(s.needed).toBe(6);
    const p95 = sideQuantile(quantileSide(ones(range(71))), 0.95, 0.05);
    expect(p95.lo).toBeNull();
    expect(p95.needed).toBe(72);
    expect(sideQuantile(quantileSide(ones(range(72))), 0.95, 0.05).hi).toBe(72);
  });

  test("grouped values that repeat within a request count as one value per request (design effect ≈ the group size)", () => {
    const groups = range(100).map((i) => Array(10).fill(i));
    const side = quantileSide([groups]);
    const deff = designEffect(side, 50);
    expect(deff).toBeCloseTo((10 * 100) / 99, 10);
    const s = sideQuantile(side, 0.5, 0.05);
    expect(s.nEff).toBeCloseTo(99, 10);
    // independent values in groups: deff 1, the plain order statistics
    const rng = createRng(3);
    const indep = quantileSide([range(200).map(() => range(5, () => rng.next()))]);
    expect(designEffect(indep, 0.5)).toBeLessThan(1.3);
  });

  test("a percentile in a gap: the side says between which samples", () => {
    const xs = [...range(25, (i) => 1 + i / 100), ...range(25, (i) => 100 + i)];
    const s = sideQuantile(quantileSide(ones(xs)), 0.5, 0.05);
    expect(s.gap).toEqual([1.24, 100]);
  });

  test("several runs: the run-to-run spread widens the interval when it is wider", () => {
    const run = (shift: number) => range(100, (i) => shift + i / 10);
    const same = sideQuantile(quantileSide([ones(run(100))[0], ones(run(100))[0], ones(run(100))[0]]), 0.5, 0.05);
    expect(same.runSpread).toBe(false);
    const spread = sideQuantile(quantileSide([ones(run(80))[0], ones(run(100))[0], ones(run(120))[0]]), 0.5, 0.05);
    expect(spread.runSpread).toBe(true);
    const pooled = sideQuantile(quantileSide(ones([...run(80), ...run(100), ...run(120)])), 0.5, 0.05);
    expect(spread.hi! - spread.lo!).toBeGreaterThan(pooled.hi! - pooled.lo!);
  });
});

describe("the ratio of two sides' percentiles (MOVER on the log scale)", () => {
  test("the same values: ratio 1, p 1; twice the values: ratio 2 with the same relative interval", () => {
    const xs = range(50, (i) => 100 + i);
    const a = sideQuantile(quantileSide(ones(xs)), 0.5, 0.05);
    const same = quantileRatio(a, a, 0.05)!;
    expect(same.ratio).toBe(1);
    expect(same.pValue).toBe(1);
    const b = sideQuantile(quantileSide(ones(xs.map((x) => 2 * x))), 0.5, 0.05);
    const r = quantileRatio(a, b, 0.05)!;
    expect(r.ratio).toBeCloseTo(2, 12);
    const down = Math.hypot(Math.log(124.5 / 117), Math.log(132 / 124.5));
    expect(r.lo).toBeCloseTo(2 * Math.exp(-down), 12);
    expect(r.hi).toBeCloseTo(2 * Math.exp(down), 12);
    expect(r.pValue).toBeLessThan(0.001);
  });

  test("no interval on a side, no ratio interval", () => {
    const a = sideQuantile(quantileSide(ones(range(5))), 0.5, 0.05);
    const b = sideQuantile(quantileSide(ones(range(50))), 0.5, 0.05);
    expect(quantileRatio(a, b, 0.05)).toBeNull();
  });

  test("coverage under the null at small n (seeded lognormal samples): ≥ 95% for p50 at n = 20, p95 at n = 80", () => {
    const rng = createRng(42);
    const normal = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
    const draw = (n: number) => range(n, () => Math.exp(normal()));
    for (const [q, n] of [
      [0.5, 20],
      [0.95, 80],
    ]) {
      let covered = 0;
      let pBelow = 0;
      const trials = 1000;
      for (let t = 0; t < trials; t++) {
        const r = quantileRatio(
          sideQuantile(quantileSide(ones(draw(n))), q, 0.05),
          sideQuantile(quantileSide(ones(draw(n))), q, 0.05),
          0.05,
        )!;
        if (r.lo <= 1 && 1 <= r.hi) covered++;
        if (r.pValue < 0.05) pBelow++;
      }
      expect(covered / trials).toBeGreaterThanOrEqual(0.95);
      expect(pBelow).toBe(trials - covered); // p < α exactly when the interval excludes 1
    }
  });
});
