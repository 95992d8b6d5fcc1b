/**
 * Distribution-free intervals for a percentile of each side, and for the ratio of the two sides'
 * percentiles. Pure; no resampling: sorting each side once is the whole cost.
 *
 * One side, one value per request (TTFT, TPOT, E2E): the order-statistic interval of the quantile
 * Q(q). With B ~ Binomial(n, q) the number of samples at or below Q, the l-th smallest sample lies
 * above Q with probability P(B ≤ l − 1) and the u-th lies below it with probability P(B ≥ u); l is
 * the largest rank and u the smallest with each tail ≤ α/2, so [X(l), X(u)] covers Q with
 * probability ≥ 1 − α, whatever the distribution. Such ranks exist only when
 * max(q, 1 − q)^n ≤ α/2: below that n the percentile is not judged ("too few samples"), and
 * `samplesNeeded` says how many would do (α = 0.05: 6 for p50, 72 for p95, 368 for p99).
 *
 * Values grouped by request (ITL: every gap of a request): gaps of one request are not independent,
 * so the sample counts as n_eff = N / deff requests' worth of independent values, deff the design
 * effect of the indicator 1{x ≤ Q̂} (cluster-robust variance of its mean over the iid variance,
 * at least 1), and there must be as many requests as the percentile needs samples. The ranks come from Binomial(n_eff, q) and are read off the pooled values at the
 * levels (l − 1)/(m − 1) and (u − 1)/(m − 1), m = ⌊n_eff⌋ (Woodruff's interval; with deff = 1 these
 * are the order statistics themselves).
 *
 * Several runs on a side: each run's own percentile Q_j; on the log scale their spread s over K
 * runs gives a half-width t(K − 1, α)·s/√K, and the side's interval is the wider of this and the
 * pooled one, in each direction (run-to-run noise is then part of the interval).
 *
 * The ratio candidate/baseline: MOVER (Zou & Donner's method of variance estimates recovery) on
 * the log scale, from the two sides' intervals:
 *   lower = ln r − √((ln Q̂c − ln Lc)² + (ln Ub − ln Q̂b)²),  upper = ln r + √((ln Uc − ln Q̂c)² + (ln Q̂b − ln Lb)²).
 * The row's p-value comes from the same interval: z = ln r / se with se the half-width towards 1
 * divided by z(1 − α/2), so p < α exactly when the interval excludes no change.
 */
import { quantileSorted } from "../stats/percentiles.ts";
import { incompleteBeta, normalQuantile, normalSf, studentQuantileTwoSided } from "../stats/special.ts";

/** P(B ≤ k) for B ~ Binomial(n, q); n may be fractional (an effective sample size). */
export function binomialCdf(k: number, n: number, q: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  if (q <= 0) return 1;
  if (q >= 1) return 0;
  return incompleteBeta(1 - q, n - k, k + 1);
}

/** The least n with max(q, 1 − q)^n ≤ α/2: fewer samples cannot bound the q-quantile on both sides at confidence 1 − α. */
export function samplesNeeded(q: number, alpha: number): number {
  return Math.ceil(Math.log(alpha / 2) / Math.log(Math.max(q, 1 - q)) - 1e-9);
}

/** 1-based ranks [l, u] of the order-statistic interval of the q-quantile among n samples, each tail ≤ α/2; null when n is too small. */
export function orderStatisticRanks(n: number, q: number, alpha: number): { l: number; u: number } | null {
  const m = Math.floor(n);
  if (m < 1 || m < samplesNeeded(q, alpha)) return null;
  const half = alpha / 2;
  // l: the largest l ≥ 1 with P(B ≤ l − 1) ≤ α/2 (P(B ≤ k) grows with k)
  let lo = 1;
  let hi = m;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (binomialCdf(mid - 1, m, q) <= half) lo = mid;
    else hi = mid - 1;
  }
  const l = lo;
  // u: the smallest u ≤ m with P(B ≥ u) = 1 − P(B ≤ u − 1) ≤ α/2
  lo = 1;
  hi = m;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (1 - binomialCdf(mid - 1, m, q) <= half) hi = mid;
    else lo = mid + 1;
  }
  return { l, u: lo };
}

/** One side's values, sorted, grouped by request, and by run. */
export interface QuantileSide {
  /** every value of the side, ascending */
  sorted: Float64Array;
  /** grouped values (null when every request has exactly one): each value, its request, and every request's size */
  clusters: { values: Float64Array; groupOf: Int32Array; sizes: Int32Array } | null;
  /** every run's values, ascending (one entry per run) */
  runs: Float64Array[];
}

/** runs → requests → values. Requests without values and runs without requests are dropped. */
export function quantileSide(runs: ReadonlyArray<ReadonlyArray<ArrayLike<number>>>): QuantileSide {
  const kept = runs.map((r) => r.filter((g) => g.length > 0)).filter((r) => r.length > 0);
  const grouped = kept.some((r) => r.some((g) => g.length !== 1));
  const total = kept.reduce((s, r) => s + r.reduce((t, g) => t + g.length, 0), 0);
  const runsSorted = kept.map((r) => {
    const a = new Float64Array(r.reduce((t, g) => t + g.length, 0));
    let i = 0;
    for (const g of r) for (let k = 0; k < g.length; k++) a[i++] = g[k];
    return a.sort();
  });
  if (!grouped) {
    const sorted = new Float64Array(total);
    let i = 0;
    for (const r of runsSorted) {
      sorted.set(r, i);
      i += r.length;
    }
    return { sorted: sorted.sort(), clusters: null, runs: runsSorted };
  }
  // grouped: each value's request, in the order read (the design effect needs no order)
  const values = new Float64Array(total);
  const groupOf = new Int32Array(total);
  const sizes: number[] = [];
  let i = 0;
  for (const r of kept) {
    for (const g of r) {
      for (let k = 0; k < g.length; k++) {
        values[i] = g[k];
        groupOf[i++] = sizes.length;
      }
      sizes.push(g.length);
    }
  }
  return {
    sorted: Float64Array.from(values).sort(),
    clusters: { sizes: Int32Array.from(sizes), groupOf, values },
    runs: runsSorted,
  };
}

/**
 * The design effect of the indicator 1{x ≤ est} over requests: the cluster-robust variance of its
 * mean over the iid one, at least 1 (1 when there is nothing to estimate it from).
 */
export function designEffect(side: QuantileSide, est: number): number {
  const c = side.clusters;
  if (!c) return 1;
  const n = side.sorted.length;
  const groups = c.sizes.length;
  if (groups < 2) return 1;
  const below = new Float64Array(groups);
  for (let k = 0; k < n; k++) if (c.values[k] <= est) below[c.groupOf[k]]++;
  let hits = 0;
  for (let g = 0; g < groups; g++) hits += below[g];
  const p = hits / n;
  if (p <= 0 || p >= 1) return 1;
  let ss = 0;
  for (let g = 0; g < groups; g++) ss += (below[g] - p * c.sizes[g]) ** 2;
  const varCluster = ((groups / (groups - 1)) * ss) / (n * n);
  const varIid = (p * (1 - p)) / n;
  return Math.max(1, varCluster / varIid);
}

export interface SideQuantile {
  q: number;
  /** the side's percentile (type 7 over every value of the side) */
  est: number;
  /** interval at confidence 1 − α; null when there are too few samples */
  lo: number | null;
  hi: number | null;
  /** independent samples the interval rests on (requests; N/deff for grouped values) */
  nEff: number;
  /** samples needed for an interval (same unit as nEff) */
  needed: number;
  /** the run-to-run spread widened the interval */
  runSpread: boolean;
  /** adjacent samples inside the interval more than a factor 2 apart: the percentile may fall in a gap */
  gap: [number, number] | null;
}

/** The largest jump between adjacent values of `sorted[i..j]`, when it is at least a factor 2 (and the values are > 0). */
function widestGap(sorted: Float64Array, i: number, j: number): [number, number] | null {
  let best: [number, number] | null = null;
  let ratio = 2;
  for (let k = Math.max(0, i); k < Math.min(j, sorted.length - 1); k++) {
    const a = sorted[k];
    const b = sorted[k + 1];
    if (a > 0 && b / a >= ratio) {
      ratio = b / a;
      best = [a, b];
    }
  }
  return best;
}

/** The interval's ranks, values and indices into `sorted` for a given design effect; null when too few samples. */
function bounds(sorted: Float64Array, q: number, alpha: number, deff: number) {
  const n = sorted.length;
  const ranks = orderStatisticRanks(n / deff, q, alpha);
  if (!ranks) return null;
  if (deff === 1) return { lo: sorted[ranks.l - 1], hi: sorted[ranks.u - 1], iLo: ranks.l - 1, iHi: ranks.u - 1 };
  // the levels of X(l) and X(u) among m values (type 7), so that deff = 1 gives back the order statistics themselves
  const m = Math.floor(n / deff);
  const pl = (ranks.l - 1) / (m - 1);
  const pu = (ranks.u - 1) / (m - 1);
  return {
    lo: quantileSorted(sorted, pl),
    hi: quantileSorted(sorted, pu),
    iLo: Math.floor(pl * (n - 1)),
    iHi: Math.ceil(pu * (n - 1)),
  };
}

export function sideQuantile(side: QuantileSide, q: number, alpha: number): SideQuantile {
  const { sorted } = side;
  const n = sorted.length;
  const est = quantileSorted(sorted, q);
  const needed = samplesNeeded(q, alpha);
  // grouped values: as many requests as independent values are needed too. A tail percentile of the gaps is
  // decided by which requests had slow gaps, and a design effect estimated from fewer requests is too
  // unstable there (measured: ITL p99 of 20 requests per side covered 86%)
  const requests = side.clusters ? side.clusters.sizes.length : n;
  let deff = designEffect(side, est);
  let b = requests >= needed ? bounds(sorted, q, alpha, deff) : null;
  if (b && deff > 1) {
    // the design effect where the interval ends, too: the largest of the three sets the interval
    const wider = Math.max(deff, designEffect(side, b.lo), designEffect(side, b.hi));
    if (wider > deff) {
      deff = wider;
      b = bounds(sorted, q, alpha, deff);
    }
  }
  const nEff = n / deff;
  if (!b) return { q, est, lo: null, hi: null, nEff, needed, runSpread: false, gap: null };
  let { lo, hi } = b;
  const { iLo, iHi } = b;
  const gap = widestGap(sorted, iLo, iHi);
  let runSpread = false;
  const k = side.runs.length;
  if (k >= 2 && est > 0 && lo > 0) {
    const logs = side.runs.map((r) => Math.log(quantileSorted(r, q)));
    if (logs.every(Number.isFinite)) {
      const mean = logs.reduce((s, x) => s + x, 0) / k;
      const sd = Math.sqrt(logs.reduce((s, x) => s + (x - mean) ** 2, 0) / (k - 1));
      const hw = (studentQuantileTwoSided(alpha, k - 1) * sd) / Math.sqrt(k);
      const le = Math.log(est);
      if (le - hw < Math.log(lo)) {
        lo = Math.exp(le - hw);
        runSpread = true;
      }
      if (le + hw > Math.log(hi)) {
        hi = Math.exp(le + hw);
        runSpread = true;
      }
    }
  }
  return { q, est, lo, hi, nEff, needed, runSpread, gap };
}

export interface QuantileRatio {
  /** cand / base */
  ratio: number;
  lo: number;
  hi: number;
  pValue: number;
}

/** MOVER on the log scale; null when an interval is missing or reaches 0 (no log). */
export function quantileRatio(b: SideQuantile, c: SideQuantile, alpha: number): QuantileRatio | null {
  if (b.lo === null || b.hi === null || c.lo === null || c.hi === null) return null;
  if (!(b.lo > 0 && c.lo > 0 && b.est > 0 && c.est > 0)) return null;
  const lr = Math.log(c.est) - Math.log(b.est);
  const down = Math.hypot(Math.log(c.est) - Math.log(c.lo), Math.log(b.hi) - Math.log(b.est));
  const up = Math.hypot(Math.log(c.hi) - Math.log(c.est), Math.log(b.est) - Math.log(b.lo));
  const z = normalQuantile(1 - alpha / 2);
  const towardsOne = lr > 0 ? down : up;
  const pValue = lr === 0 ? 1 : towardsOne === 0 ? 0 : Math.min(1, 2 * normalSf(Math.abs(lr) / (towardsOne / z)));
  return { ratio: Math.exp(lr), lo: Math.exp(lr - down), hi: Math.exp(lr + up), pValue };
}
