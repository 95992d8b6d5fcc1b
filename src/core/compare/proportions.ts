/**
 * Proportions (error rate, cache hit rate): intervals of a difference and an exact test. Pure.
 *
 *  - Wilson's score interval of one proportion;
 *  - Newcombe's hybrid score interval of the difference p₂ − p₁ (Newcombe 1998, method 10), built
 *    from the two Wilson intervals: it behaves at 0 and at small counts, where the Wald interval
 *    collapses to a point;
 *  - Fisher's exact test, two-sided as scipy.stats.fisher_exact computes it: the sum of the
 *    hypergeometric probabilities of every table no more likely than the observed one (tables within
 *    a relative 1e-7 of the observed probability count as equally likely, as in R's fisher.test;
 *    scipy uses 1e-14, which differs only for probabilities that agree to 7–14 digits).
 */
import { normalQuantile } from "../stats/special.ts";

/** Wilson score interval of k successes in n at confidence 1 − α. */
export function wilson(k: number, n: number, alpha: number): [number, number] {
  if (n <= 0) return [0, 1];
  const z = normalQuantile(1 - alpha / 2);
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // exact at the ends: no rounding crumbs below 0 or above 1
  return [k === 0 ? 0 : Math.max(0, centre - half), k === n ? 1 : Math.min(1, centre + half)];
}

/** Newcombe's interval of p₂ − p₁ (second minus first) at confidence 1 − α. */
export function newcombeDifference(
  k1: number,
  n1: number,
  k2: number,
  n2: number,
  alpha: number,
): { difference: number; lo: number; hi: number } {
  const p1 = k1 / n1;
  const p2 = k2 / n2;
  const [l1, u1] = wilson(k1, n1, alpha);
  const [l2, u2] = wilson(k2, n2, alpha);
  const d = p2 - p1;
  return {
    difference: d,
    lo: d - Math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2),
    hi: d + Math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2),
  };
}

/**
 * Two-sided p-value of Fisher's exact test on the table [[k1, n1 − k1], [k2, n2 − k2]].
 * Probabilities come from the ratio of neighbouring hypergeometric terms, normalised at the end,
 * so no factorial is ever formed.
 */
export function fisherExact(k1: number, n1: number, k2: number, n2: number): number {
  const successes = k1 + k2;
  const total = n1 + n2;
  const lo = Math.max(0, successes - n2);
  const hi = Math.min(n1, successes);
  if (lo === hi) return 1;
  // weights w[x] ∝ C(n1, x)·C(n2, successes − x) for x = lo … hi, from the mode outward
  const mode = Math.min(hi, Math.max(lo, Math.floor(((successes + 1) * (n1 + 1)) / (total + 2))));
  const w = new Float64Array(hi - lo + 1);
  w[mode - lo] = 1;
  // w[x+1]/w[x] = (n1 − x)(successes − x) / ((x + 1)(n2 − successes + x + 1))
  for (let x = mode; x < hi; x++)
    w[x + 1 - lo] = (w[x - lo] * (n1 - x) * (successes - x)) / ((x + 1) * (n2 - successes + x + 1));
  for (let x = mode; x > lo; x--)
    w[x - 1 - lo] = (w[x - lo] * x * (n2 - successes + x)) / ((n1 - x + 1) * (successes - x + 1));
  let sum = 0;
  for (const v of w) sum += v;
  const observed = w[k1 - lo];
  let tail = 0;
  for (const v of w) if (v <= observed * (1 + 1e-7)) tail += v;
  return Math.min(1, tail / sum);
}
