/**
 * Run-level scalars (throughput, goodput): one number per run. Pure.
 *
 * With one run per side there is nothing to test: the change is the ratio of two numbers.
 * With two or more runs per side: Welch's t-test on the logarithms (throughput is a rate, and
 * ratios are what matter), giving the ratio of geometric means, its interval
 * exp(Δ ± t(1 − α/2, ν)·se) and a two-sided p-value, ν by Welch–Satterthwaite.
 */
import { studentQuantileTwoSided, studentTwoSidedP } from "../stats/special.ts";

export interface ScalarComparison {
  /** geometric mean of each side (the value itself for one run) */
  base: number;
  cand: number;
  ratio: number;
  /** null when a side has fewer than two runs */
  lo: number | null;
  hi: number | null;
  pValue: number | null;
  df: number | null;
  runs: { base: number; cand: number };
}

const geoMean = (xs: readonly number[]) =>
  xs.length === 1 ? xs[0] : Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);

function meanVar(xs: readonly number[]): { mean: number; variance: number } {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1);
  return { mean, variance };
}

/** Values must be > 0 (a run with zero throughput makes the ratio meaningless; callers check). */
export function compareScalars(base: readonly number[], cand: readonly number[], alpha: number): ScalarComparison {
  const gb = geoMean(base);
  const gc = geoMean(cand);
  const ratio = gc / gb;
  const runs = { base: base.length, cand: cand.length };
  if (base.length < 2 || cand.length < 2)
    return { base: gb, cand: gc, ratio, lo: null, hi: null, pValue: null, df: null, runs };
  const a = meanVar(base.map(Math.log));
  const b = meanVar(cand.map(Math.log));
  const va = a.variance / base.length;
  const vb = b.variance / cand.length;
  const se = Math.sqrt(va + vb);
  const diff = b.mean - a.mean;
  if (se === 0) return { base: gb, cand: gc, ratio, lo: ratio, hi: ratio, pValue: diff === 0 ? 1 : 0, df: null, runs };
  const df = (va + vb) ** 2 / (va ** 2 / (base.length - 1) + vb ** 2 / (cand.length - 1));
  const t = studentQuantileTwoSided(alpha, df);
  return {
    base: gb,
    cand: gc,
    ratio,
    lo: Math.exp(diff - t * se),
    hi: Math.exp(diff + t * se),
    pValue: studentTwoSidedP(diff / se, df),
    df,
    runs,
  };
}
