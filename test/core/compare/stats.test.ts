/**
 * The comparison's statistics on fixed synthetic samples (fixtures.json), held against values
 * computed independently by reference.py: scipy 1.17 (mannwhitneyu, fisher_exact, binomtest's
 * Wilson interval, ttest_ind, the normal and t distributions), a brute-force enumeration of the
 * exact U distribution. (Its bootstrap replay checked the resampling compare used before the
 * order-statistic intervals of quantile.ts; compare no longer resamples.)
 * Regenerate with `python3 test/core/compare/reference.py`.
 */
import { describe, expect, test } from "bun:test";
import { exactUCounts, exactUSf, mannWhitney } from "../../../src/core/compare/mannwhitney.ts";
import { fisherExact, newcombeDifference, wilson } from "../../../src/core/compare/proportions.ts";
import { compareScalars } from "../../../src/core/compare/scalars.ts";
import { erfc, normalQuantile, studentQuantileTwoSided, studentTwoSidedP } from "../../../src/core/stats/special.ts";
import fx from "./fixtures.json" with { type: "json" };

/** |a − b| ≤ rel·|b| (and a tiny absolute floor for values at 0) */
function close(a: number, b: number, rel = 1e-12) {
  expect(Math.abs(a - b)).toBeLessThanOrEqual(Math.max(rel * Math.abs(b), 1e-300));
}

describe("special functions against scipy", () => {
  test("erfc", () => {
    const ref: Record<string, number> = {
      "0.3": 0.6713732405408726,
      "1.7": 0.01620954140922544,
      "2.5": 0.00040695201744495886,
      "4.2": 2.855494179592188e-9,
      "6": 2.1519736712498913e-17,
    };
    for (const [x, v] of Object.entries(ref)) close(erfc(Number(x)), v, 1e-13);
    close(erfc(-1.7), 2 - 0.01620954140922544, 1e-15);
  });

  test("normal quantile", () => {
    close(normalQuantile(0.005), -2.575829303548901, 1e-14);
    close(normalQuantile(0.025), -1.9599639845400545, 1e-14);
    close(normalQuantile(0.975), 1.959963984540054, 1e-14);
    close(normalQuantile(0.995), 2.5758293035489004, 1e-14);
  });

  test("Student t: two-sided p and quantile, fractional degrees of freedom", () => {
    close(studentTwoSidedP(2.1, 3), 0.1265652025496846, 1e-13);
    close(studentTwoSidedP(1.3, 7.4), 0.23262758203871886, 1e-13);
    close(studentTwoSidedP(3.9, 20), 0.0008887706436301261, 1e-12);
    close(studentQuantileTwoSided(0.05, 4), 2.7764451051977943, 1e-13);
    close(studentQuantileTwoSided(0.05, 5.62), 2.4875824209235797, 1e-13);
    close(studentQuantileTwoSided(0.01, 30), 2.749995653567226, 1e-13);
  });
});

describe("Mann-Whitney U", () => {
  test("small samples without ties: exact p (scipy method='exact', and brute-force enumeration)", () => {
    const r = mannWhitney(fx.small.base, fx.small.cand);
    expect(r.method).toBe("exact");
    expect(r.u).toBe(39);
    expect(r.effect).toBe(39 / 42);
    close(r.pValue, 0.008158508158508158); // = 2 · 35/8580... scipy and the enumeration agree
    expect(r.z).toBeNull();
  });

  test("the same samples by the normal approximation (scipy method='asymptotic')", () => {
    const r = mannWhitney(fx.small.base, fx.small.cand, "asymptotic");
    expect(r.u).toBe(39);
    close(r.pValue, 0.012419330651552265, 1e-12);
  });

  test("ties: midranks, tie-corrected variance, continuity correction", () => {
    const r = mannWhitney(fx.ties.base, fx.ties.cand);
    expect(r.ties).toBe(true);
    expect(r.method).toBe("asymptotic");
    expect(r.u).toBe(121);
    close(r.pValue, 0.02023356058574915, 1e-12);
  });

  test("40 vs 35 without ties: exact (1400 pairs) and asymptotic both match scipy", () => {
    const exact = mannWhitney(fx.medium.base, fx.medium.cand);
    expect(exact.method).toBe("exact");
    expect(exact.u).toBe(728);
    close(exact.pValue, 0.7715701130480965, 1e-12);
    close(mannWhitney(fx.medium.base, fx.medium.cand, "asymptotic").pValue, 0.7702508155115533, 1e-12);
  });

  test("150 vs 120: past the exact limit, asymptotic", () => {
    const r = mannWhitney(fx.large.base, fx.large.cand);
    expect(r.method).toBe("asymptotic");
    expect(r.u).toBe(9962);
    close(r.pValue, 0.13153882242391998, 1e-12);
  });

  test("the exact distribution: C(m+n, m) arrangements, symmetric, agrees with enumeration", () => {
    const counts = exactUCounts(4, 6);
    expect(counts.length).toBe(25);
    expect(counts.reduce((s, x) => s + x, 0)).toBe(210); // C(10, 4)
    for (let u = 0; u <= 24; u++) expect(counts[u]).toBe(counts[24 - u]);
    // brute force: U of every choice of 4 positions among 10 for the first sample
    const brute = new Array(25).fill(0);
    for (let mask = 0; mask < 1 << 10; mask++) {
      if (countBits(mask) !== 4) continue;
      let u = 0;
      let seenSecond = 0;
      for (let i = 0; i < 10; i++) {
        if (mask & (1 << i)) u += seenSecond;
        else seenSecond++;
      }
      brute[u]++;
    }
    expect(Array.from(counts)).toEqual(brute);
    expect(exactUSf(0, 4, 6)).toBe(1);
    expect(exactUSf(24, 4, 6)).toBe(1 / 210);
  });

  test("identical samples: p = 1; all values equal: p = 1", () => {
    expect(mannWhitney([1, 2, 3], [1, 2, 3]).pValue).toBe(1);
    expect(mannWhitney([5, 5, 5, 5], [5, 5, 5]).pValue).toBe(1);
  });
});

function countBits(x: number): number {
  let n = 0;
  for (; x; x &= x - 1) n++;
  return n;
}

describe("proportions", () => {
  test("Fisher's exact test against scipy.stats.fisher_exact", () => {
    close(fisherExact(0, 50, 3, 50), 0.24242424242424243);
    close(fisherExact(2, 200, 9, 180), 0.028948029015215926);
    close(fisherExact(12, 40, 3, 45), 0.008687452234922814);
    expect(fisherExact(0, 30, 0, 30)).toBe(1);
    close(fisherExact(5, 5, 0, 7), 0.0012626262626262623);
  });

  test("Wilson interval against scipy binomtest(...).proportion_ci(method='wilson')", () => {
    expect(wilson(0, 50, 0.05)[0]).toBe(0);
    close(wilson(0, 50, 0.05)[1], 0.07134759913335872);
    close(wilson(3, 50, 0.05)[0], 0.020614970348973957);
    close(wilson(3, 50, 0.05)[1], 0.1621709168883817);
    close(wilson(9, 180, 0.05)[0], 0.026525138483007193);
    close(wilson(40, 40, 0.05)[0], 0.9123783988027133);
    expect(wilson(40, 40, 0.05)[1]).toBe(1);
  });

  test("Newcombe's interval of the difference (cand − base), from scipy's Wilson intervals", () => {
    const cases: Array<[number[], number[]]> = [
      [
        [0, 50, 3, 50],
        [0.06, -0.021496383126533, 0.1621709168883817],
      ],
      [
        [2, 200, 9, 180],
        [0.04, 0.005176471330065241, 0.08289845955964568],
      ],
      [
        [12, 40, 3, 45],
        [-0.23333333333333334, -0.3937118427722274, -0.06980230623331415],
      ],
    ];
    for (const [[k1, n1, k2, n2], [d, lo, hi]] of cases) {
      const r = newcombeDifference(k1, n1, k2, n2, 0.05);
      close(r.difference, d);
      close(r.lo, lo);
      close(r.hi, hi);
    }
  });
});

describe("run-level scalars", () => {
  test("Welch's t on log throughput across runs, against scipy ttest_ind(equal_var=False)", () => {
    const r = compareScalars(fx.throughput.base, fx.throughput.cand, 0.05);
    close(r.pValue!, 0.0037218127545236607, 1e-12);
    close(r.df!, 3.515463261326121);
    close(r.ratio, 0.9352993372907313);
    close(r.lo!, 0.908960608811791, 1e-12);
    close(r.hi!, 0.9624012766405962, 1e-12);
  });

  test("one run per side: the ratio, no interval, no p-value", () => {
    const r = compareScalars([800], [760], 0.05);
    expect(r.ratio).toBe(0.95);
    expect([r.lo, r.hi, r.pValue]).toEqual([null, null, null]);
  });
});
