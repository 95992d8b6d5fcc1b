/**
 * A seeded bootstrap interval of the ratio candidate/baseline of type-7 percentiles. Pure.
 *
 * Values come grouped by request (a "cluster"): TTFT, TPOT and E2E have one value per request,
 * ITL has one per gap, and gaps of one request are not independent of each other. A resample
 * draws requests with replacement (R draws from R requests, each side on its own) and keeps every
 * value of each drawn request, so the interval accounts for that dependence; with one value per
 * request this is the ordinary bootstrap.
 *
 * Procedure, exactly (the tests replay it in Python): rng = createRng(seed); for each of B
 * resamples, first the baseline then the candidate: R times w[rng.int(R)] += 1; the resample is
 * the sorted values each repeated w[its request] times; its percentile is quantileSorted (numpy's
 * linear rule). The interval is the percentile interval: quantileSorted of the B sorted ratios at
 * α/2 and 1 − α/2.
 */
import type { Rng } from "../rng.ts";
import { quantileSorted } from "../stats/percentiles.ts";

/** Values grouped by request, kept sorted with the index of their request. */
export interface GroupedSample {
  /** every value, ascending */
  values: Float64Array;
  /** the request each value belongs to, aligned with `values` */
  group: Int32Array;
  groups: number;
}

/** One value per request. */
export function ungrouped(xs: ArrayLike<number>): GroupedSample {
  return grouped(Array.from(xs, (x) => [x]));
}

/** Values grouped by request; empty groups are dropped. */
export function grouped(groups: ReadonlyArray<ArrayLike<number>>): GroupedSample {
  const kept = groups.filter((g) => g.length > 0);
  const pairs: Array<[number, number]> = [];
  kept.forEach((g, i) => {
    for (let k = 0; k < g.length; k++) pairs.push([g[k], i]);
  });
  pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return { values: Float64Array.from(pairs, (p) => p[0]), group: Int32Array.from(pairs, (p) => p[1]), groups: kept.length };
}

export interface PercentileRatio {
  q: number;
  base: number;
  cand: number;
  /** cand / base (Infinity or NaN when the baseline's percentile is 0) */
  ratio: number;
  /** percentile interval of the ratio at confidence 1 − α */
  lo: number;
  hi: number;
}

/** Draws one resample's weights and writes the weighted sorted sample into `buf`; returns its length. */
function resample(s: GroupedSample, rng: Rng, weights: Int32Array, buf: Float64Array): number {
  weights.fill(0);
  const r = s.groups;
  for (let k = 0; k < r; k++) weights[rng.int(r)]++;
  let m = 0;
  const { values, group } = s;
  for (let i = 0; i < values.length; i++) {
    const w = weights[group[i]];
    for (let k = 0; k < w; k++) buf[m++] = values[i];
  }
  return m;
}

/** The largest number of values one resample can hold: R times the largest request. */
function maxResampleSize(s: GroupedSample): number {
  const sizes = new Int32Array(s.groups);
  for (let i = 0; i < s.group.length; i++) sizes[s.group[i]]++;
  let largest = 0;
  for (const n of sizes) largest = Math.max(largest, n);
  return largest * s.groups;
}

export function bootstrapPercentileRatios(
  base: GroupedSample,
  cand: GroupedSample,
  qs: readonly number[],
  { resamples, alpha, rng }: { resamples: number; alpha: number; rng: Rng },
): PercentileRatio[] {
  if (base.groups === 0 || cand.groups === 0) throw new RangeError("bootstrap needs at least one request on each side");
  const ratios = qs.map(() => new Float64Array(resamples));
  const wb = new Int32Array(base.groups);
  const wc = new Int32Array(cand.groups);
  const bufB = new Float64Array(maxResampleSize(base));
  const bufC = new Float64Array(maxResampleSize(cand));
  for (let b = 0; b < resamples; b++) {
    const mb = resample(base, rng, wb, bufB);
    const mc = resample(cand, rng, wc, bufC);
    const sb = bufB.subarray(0, mb);
    const sc = bufC.subarray(0, mc);
    for (let k = 0; k < qs.length; k++) ratios[k][b] = quantileSorted(sc, qs[k]) / quantileSorted(sb, qs[k]);
  }
  return qs.map((q, k) => {
    const sorted = ratios[k];
    sorted.sort(); // NaN (0/0) sorts last in a typed array
    const pb = quantileSorted(base.values, q);
    const pc = quantileSorted(cand.values, q);
    return { q, base: pb, cand: pc, ratio: pc / pb, lo: quantileSorted(sorted, alpha / 2), hi: quantileSorted(sorted, 1 - alpha / 2) };
  });
}
