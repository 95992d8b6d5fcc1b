/**
 * Exact percentiles from samples (SPEC §4): linear interpolation between
 * order statistics, numpy's default (`method="linear"`), the rule vLLM reports.
 * Pure: no I/O.
 */

import type { SchemaDistribution } from "../generated/result-types.ts";

/** count, mean, min, max and p50/p90/p95/p99: the result schema's own shape (generated from it) */
export type Distribution = SchemaDistribution;

/**
 * Quantile q (0..1) of an ascending-sorted array, numpy's default rule:
 * h = (n-1)·q, x[⌊h⌋] + (h-⌊h⌋)·(x[⌊h⌋+1] - x[⌊h⌋]).
 * Returns NaN for an empty array; q is clamped to [0, 1].
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0 || Number.isNaN(q)) return NaN;
  if (q <= 0) return sorted[0];
  if (q >= 1) return sorted[n - 1];
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const frac = h - lo;
  const a = sorted[lo];
  if (frac === 0 || lo + 1 >= n) return a;
  const b = sorted[lo + 1];
  // numpy's _lerp: a + (b-a)·t, switched to b - (b-a)·(1-t) for t ≥ 0.5
  // (keeps the result monotone and exact at the ends).
  const d = b - a;
  return frac >= 0.5 ? b - d * (1 - frac) : a + d * frac;
}

/**
 * count/mean/min/max exactly, p50/p90/p95/p99 by `quantileSorted`.
 * null for zero samples. The input is not modified (a Float64Array copy is sorted).
 */
export function summarize(samples: ArrayLike<number>): Distribution | null {
  const n = samples.length;
  if (n === 0) return null;
  const sorted = Float64Array.from(samples as ArrayLike<number>);
  sorted.sort(); // typed-array sort is numeric
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  return {
    count: n,
    mean: sum / n,
    min: sorted[0],
    max: sorted[n - 1],
    p50: quantileSorted(sorted, 0.5),
    p90: quantileSorted(sorted, 0.9),
    p95: quantileSorted(sorted, 0.95),
    p99: quantileSorted(sorted, 0.99),
  };
}
