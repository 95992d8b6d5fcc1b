/**
 * A seeded bootstrap interval of the ratio candidate/baseline of type-7 percentiles. Pure.
 *
 * Values come grouped by request (a "cluster"): TTFT, TPOT and E2E have one value per request,
 * ITL has one per gap, and gaps of one request are not independent of each other. A resample
 * draws requests with replacement (R draws from R requests, each side on its own) and keeps every
 * value of each drawn request, so the interval accounts for that dependence; with one value per
 * request this is the ordinary bootstrap. With several runs on a side, runs differ from each
 * other more than requests within a run do (a server settles into a different rhythm each time),
 * so the resample is two-level: first K runs drawn with replacement from the K runs, then, for
 * each drawn run, its R_j requests drawn with replacement from it.
 *
 * Procedure, exactly (the tests replay it in Python): rng = createRng(seed); for each of B
 * resamples, first the baseline then the candidate: with one run, R times w[rng.int(R)] += 1;
 * with K > 1 runs, K times { j = rng.int(K); R_j times w[first_j + rng.int(R_j)] += 1 }. The
 * resample is the sorted values each repeated w[its request] times; its percentile is
 * quantileSorted (numpy's linear rule). The interval is the percentile interval: quantileSorted
 * of the B sorted ratios at α/2 and 1 − α/2.
 */
import type { Rng } from "../rng.ts";
import { quantileSorted } from "../stats/percentiles.ts";

/** Values grouped by request (and requests by run), kept sorted with the index of their request. */
export interface GroupedSample {
  /** every value, ascending */
  values: Float64Array;
  /** the request each value belongs to, aligned with `values` */
  group: Int32Array;
  groups: number;
  /** run j holds requests runStart[j] … runStart[j] + runSize[j] − 1 */
  runStart: Int32Array;
  runSize: Int32Array;
}

/** One value per request, one run. */
export function ungrouped(xs: ArrayLike<number>): GroupedSample {
  return groupedRuns([Array.from(xs, (x) => [x])]);
}

/** Values grouped by request, one run; empty groups are dropped. */
export function grouped(groups: ReadonlyArray<ArrayLike<number>>): GroupedSample {
  return groupedRuns([groups]);
}

/** runs → requests → values; requests without values, and runs without requests, are dropped. */
export function groupedRuns(runs: ReadonlyArray<ReadonlyArray<ArrayLike<number>>>): GroupedSample {
  const pairs: Array<[number, number]> = [];
  const runStart: number[] = [];
  const runSize: number[] = [];
  let groups = 0;
  for (const run of runs) {
    const kept = run.filter((g) => g.length > 0);
    if (kept.length === 0) continue;
    runStart.push(groups);
    runSize.push(kept.length);
    for (const g of kept) {
      for (let k = 0; k < g.length; k++) pairs.push([g[k], groups]);
      groups++;
    }
  }
  pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return {
    values: Float64Array.from(pairs, (p) => p[0]),
    group: Int32Array.from(pairs, (p) => p[1]),
    groups,
    runStart: Int32Array.from(runStart),
    runSize: Int32Array.from(runSize),
  };
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

/** Reusable state of one side: weights, request sizes, and a buffer that grows to the largest resample seen. */
interface Scratch {
  weights: Int32Array;
  sizes: Int32Array;
  buf: Float64Array;
}

function scratch(s: GroupedSample): Scratch {
  const sizes = new Int32Array(s.groups);
  for (let i = 0; i < s.group.length; i++) sizes[s.group[i]]++;
  return { weights: new Int32Array(s.groups), sizes, buf: new Float64Array(s.values.length) };
}

/** Draws one resample's weights and writes the weighted sorted sample into `sc.buf`; returns its length. */
function resample(s: GroupedSample, rng: Rng, sc: Scratch): number {
  const weights = sc.weights;
  weights.fill(0);
  const runs = s.runSize.length;
  if (runs === 1) {
    const r = s.groups;
    for (let k = 0; k < r; k++) weights[rng.int(r)]++;
  } else {
    for (let i = 0; i < runs; i++) {
      const j = rng.int(runs);
      const first = s.runStart[j];
      const size = s.runSize[j];
      for (let k = 0; k < size; k++) weights[first + rng.int(size)]++;
    }
  }
  let total = 0;
  for (let g = 0; g < s.groups; g++) total += weights[g] * sc.sizes[g];
  if (total > sc.buf.length) sc.buf = new Float64Array(Math.max(total, 2 * sc.buf.length));
  const buf = sc.buf;
  let m = 0;
  const { values, group } = s;
  for (let i = 0; i < values.length; i++) {
    const w = weights[group[i]];
    for (let k = 0; k < w; k++) buf[m++] = values[i];
  }
  return m;
}

export function bootstrapPercentileRatios(
  base: GroupedSample,
  cand: GroupedSample,
  qs: readonly number[],
  { resamples, alpha, rng }: { resamples: number; alpha: number; rng: Rng },
): PercentileRatio[] {
  if (base.groups === 0 || cand.groups === 0) throw new RangeError("bootstrap needs at least one request on each side");
  const ratios = qs.map(() => new Float64Array(resamples));
  const scB = scratch(base);
  const scC = scratch(cand);
  for (let b = 0; b < resamples; b++) {
    const mb = resample(base, rng, scB);
    const mc = resample(cand, rng, scC);
    const sb = scB.buf.subarray(0, mb);
    const sc = scC.buf.subarray(0, mc);
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
