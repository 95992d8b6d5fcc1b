import { describe, expect, test } from "bun:test";
import { arrivalTimes, gamma } from "../../src/core/arrivals.ts";
import { gammaCdf, logGamma } from "../../src/core/stats/special.ts";
import { createRng } from "../../src/core/rng.ts";

/** Kolmogorov–Smirnov statistic D of samples against a CDF. */
export function ksStatistic(samples: readonly number[], cdf: (x: number) => number): number {
  const xs = [...samples].sort((a, b) => a - b);
  const n = xs.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(xs[i]);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  return d;
}

const take = (it: Iterator<number>, n: number) => Array.from({ length: n }, () => it.next().value as number);
const gaps = (ts: number[]) => ts.map((t, i) => t - (i === 0 ? 0 : ts[i - 1]));
/** the KS critical value at α = 0.01 for n samples */
const ksCritical = (n: number) => 1.628 / Math.sqrt(n);

describe("the special functions the fit test leans on", () => {
  test("lnΓ at known points", () => {
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
  });
  test("gamma CDF: shape 1 is the exponential, shape 2 is 1 − e^−x(1 + x)", () => {
    for (const x of [0.1, 1, 3, 10]) {
      expect(gammaCdf(x, 1)).toBeCloseTo(1 - Math.exp(-x), 12);
      expect(gammaCdf(x, 2)).toBeCloseTo(1 - Math.exp(-x) * (1 + x), 12);
    }
    expect(gammaCdf(2, 1, 2)).toBeCloseTo(1 - Math.exp(-1), 12); // scale
  });
});

describe("arrival schedules (seeded)", () => {
  const N = 5000;
  test.each([1, 0.5, 2, 4])(
    "burstiness %d: mean rate and a Kolmogorov–Smirnov fit of the gaps to gamma(B, 1/(rB))",
    (b) => {
      const rate = 20; // req/s → mean gap 50 ms
      const ts = take(arrivalTimes({ rate, burstiness: b, rampUpMs: 0 }, createRng(42)), N);
      const g = gaps(ts);
      const mean = g.reduce((a, x) => a + x, 0) / N;
      expect(Math.abs(mean - 50) / 50).toBeLessThan(0.05); // mean rate within 5%
      const variance = g.reduce((a, x) => a + (x - mean) ** 2, 0) / (N - 1);
      const cv2 = variance / mean ** 2; // gamma: CV² = 1 / shape
      expect(Math.abs(cv2 * b - 1)).toBeLessThan(0.1);
      const scaleMs = 1000 / (rate * b);
      expect(ksStatistic(g, (x) => gammaCdf(x, b, scaleMs))).toBeLessThan(ksCritical(N));
    },
  );

  test("the fit test has teeth: Poisson gaps do not pass as gamma(4)", () => {
    const g = gaps(take(arrivalTimes({ rate: 20, burstiness: 1, rampUpMs: 0 }, createRng(42)), N));
    expect(ksStatistic(g, (x) => gammaCdf(x, 4, 1000 / 80))).toBeGreaterThan(ksCritical(N));
  });

  test("same seed → same times; arrival times increase", () => {
    const a = take(arrivalTimes({ rate: 5, burstiness: 1, rampUpMs: 0 }, createRng(7)), 100);
    expect(a).toEqual(take(arrivalTimes({ rate: 5, burstiness: 1, rampUpMs: 0 }, createRng(7)), 100));
    expect(a.every((t, i) => i === 0 || t > a[i - 1])).toBe(true);
  });

  test("a linear ramp: about r·T/2 arrivals during the ramp, and the full rate after it", () => {
    const rate = 100;
    const T = 10_000; // ramp 10 s → 500 arrivals expected during it
    const ts = take(arrivalTimes({ rate, burstiness: 1, rampUpMs: T }, createRng(3)), 3000);
    const inRamp = ts.filter((t) => t < T).length;
    expect(Math.abs(inRamp - 500)).toBeLessThan(70); // ~3σ of a Poisson count
    const firstHalf = ts.filter((t) => t < T / 2).length;
    expect(Math.abs(firstHalf - 125)).toBeLessThan(35); // Λ(T/2) = r T / 8
    const after = ts.filter((t) => t >= T && t < T + 10_000).length;
    expect(Math.abs(after - 1000)).toBeLessThan(100);
  });

  test("gamma deviates of a small shape are positive and have mean shape", () => {
    const rng = createRng(9);
    const xs = Array.from({ length: 20000 }, () => gamma(rng, 0.3));
    expect(xs.every((x) => x > 0)).toBe(true);
    expect(Math.abs(xs.reduce((a, x) => a + x, 0) / xs.length - 0.3)).toBeLessThan(0.015);
  });
});
