/**
 * The Mann–Whitney U test (Wilcoxon rank-sum), two-sided: are values of one sample
 * systematically larger than the other's? Pure.
 *
 * U of the candidate = the number of pairs (candidate, baseline) in which the candidate's value is
 * larger, a tie counting ½. U / (n₁n₂) estimates P(candidate > baseline) + ½·P(tie): 0.5 means no
 * shift; above 0.5 the candidate's values tend to be larger.
 *
 * p-value, as scipy.stats.mannwhitneyu(cand, base) computes it:
 *  - exact: when no value is tied and n₁·n₂ ≤ EXACT_MAX_PAIRS, from the exact null distribution of
 *    U (every arrangement of the ranks equally likely): p = min(1, 2·P(U ≥ max(U₁, U₂)));
 *  - otherwise the normal approximation with the tie correction and a continuity correction:
 *    z = (max(U₁, U₂) − n₁n₂/2 − ½) / σ, σ² = n₁n₂/12 · (N + 1 − Σ(t³ − t) / (N(N − 1))),
 *    p = min(1, 2·P(Z > z)).
 */
import { normalSf } from "../stats/special.ts";

/** Largest n₁·n₂ for the exact distribution: its table costs about (n₁n₂)²/4 additions. */
export const EXACT_MAX_PAIRS = 10_000;

export type MannWhitneyMethod = "exact" | "asymptotic";

export interface MannWhitneyResult {
  /** U of the candidate (second argument) */
  u: number;
  nBase: number;
  nCand: number;
  /** U / (n₁n₂): P(candidate > baseline) + ½ P(tie) */
  effect: number;
  pValue: number;
  method: MannWhitneyMethod;
  /** the normal approximation's z (with continuity correction); null for the exact method */
  z: number | null;
  ties: boolean;
}

/** Midranks (1-based) of the pooled values, and Σ(t³ − t) over groups of ties. */
function rankPooled(base: ArrayLike<number>, cand: ArrayLike<number>): { candRankSum: number; tieTerm: number } {
  const n1 = base.length;
  const n = n1 + cand.length;
  const values = new Float64Array(n);
  for (let i = 0; i < n1; i++) values[i] = base[i];
  for (let i = 0; i < cand.length; i++) values[n1 + i] = cand[i];
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  let candRankSum = 0;
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && values[order[j]] === values[order[i]]) j++;
    const t = j - i;
    const midrank = (i + 1 + j) / 2; // ranks i+1 … j
    for (let k = i; k < j; k++) if (order[k] >= n1) candRankSum += midrank;
    if (t > 1) tieTerm += t * t * t - t;
    i = j;
  }
  return { candRankSum, tieTerm };
}

/**
 * The exact null distribution of U for samples of sizes m and n without ties: counts[u] = number of
 * arrangements with U = u, by the recurrence N(u; m, n) = N(u − n; m − 1, n) + N(u; m, n − 1)
 * (the largest value belongs to the first sample, or to the second). Positive additions only, so
 * the tail probabilities keep full relative precision.
 */
export function exactUCounts(m: number, n: number): Float64Array {
  // rows[i] = counts for (i, j) as j grows; row 0 is the single arrangement with U = 0
  const rows: Float64Array[] = Array.from({ length: m + 1 }, () => Float64Array.of(1));
  for (let j = 1; j <= n; j++) {
    for (let i = 1; i <= m; i++) {
      // N(·; i, j) = N(· − j; i − 1, j) + N(·; i, j − 1)
      const next = new Float64Array(i * j + 1);
      const left = rows[i - 1]; // already (i − 1, j)
      const up = rows[i]; // still (i, j − 1)
      for (let u = 0; u < up.length; u++) next[u] += up[u];
      for (let u = 0; u < left.length; u++) next[u + j] += left[u];
      rows[i] = next;
    }
  }
  return rows[m];
}

/** P(U ≥ u) under the null, for sizes m and n without ties. */
export function exactUSf(u: number, m: number, n: number): number {
  const counts = exactUCounts(Math.min(m, n), Math.max(m, n));
  let total = 0;
  let tail = 0;
  const from = Math.ceil(u - 1e-9);
  for (let k = 0; k < counts.length; k++) {
    total += counts[k];
    if (k >= from) tail += counts[k];
  }
  return tail / total;
}

export function mannWhitney(
  base: ArrayLike<number>,
  cand: ArrayLike<number>,
  method: "auto" | MannWhitneyMethod = "auto",
): MannWhitneyResult {
  const n1 = base.length;
  const n2 = cand.length;
  if (n1 === 0 || n2 === 0) throw new RangeError("mannWhitney needs at least one value on each side");
  const { candRankSum, tieTerm } = rankPooled(base, cand);
  const u = candRankSum - (n2 * (n2 + 1)) / 2;
  const uBig = Math.max(u, n1 * n2 - u);
  const ties = tieTerm > 0;
  const chosen: MannWhitneyMethod =
    method !== "auto" ? method : !ties && n1 * n2 <= EXACT_MAX_PAIRS ? "exact" : "asymptotic";
  let pValue: number;
  let z: number | null = null;
  if (chosen === "exact") {
    pValue = Math.min(1, 2 * exactUSf(uBig, n1, n2));
  } else {
    const n = n1 + n2;
    const variance = ((n1 * n2) / 12) * (n + 1 - (n > 1 ? tieTerm / (n * (n - 1)) : 0));
    if (variance <= 0) {
      // every value is the same: no evidence of any difference
      pValue = 1;
      z = 0;
    } else {
      z = (uBig - (n1 * n2) / 2 - 0.5) / Math.sqrt(variance);
      pValue = Math.min(1, Math.max(0, 2 * normalSf(z)));
    }
  }
  return { u, nBase: n1, nCand: n2, effect: u / (n1 * n2), pValue, method: chosen, z, ties };
}
