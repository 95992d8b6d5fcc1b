/**
 * Exact percentiles of more values than memory should hold, in two passes over values that live
 * elsewhere (the records on disk). Pass 1 counts the values in buckets 0.1% wide on a log scale
 * (zero and negative values mirrored), with each bucket's min and max: a few thousand buckets for
 * any latency range. That places every wanted order statistic in one bucket and says how many
 * values lie below it. Pass 2 keeps only the values of those buckets (a bucket whose min equals its
 * max needs none); sorted, they give the order statistics exactly, hence numpy's linear rule
 * (`quantileSorted`). Ties cost nothing to find and at most their count to keep.
 * (A first version bracketed ranks by the t-digest's estimates: with many equal values — gaps of 0
 * between tokens read together — the interpolated estimates fell between data values and the
 * brackets missed again and again, up to keeping every value.) Pure: no I/O.
 */
import type { ExactPercentiles } from "../metrics.ts";
import { quantileSorted } from "./percentiles.ts";

export const PERCENTILES = [0.5, 0.9, 0.95, 0.99] as const;

/** Relative width of a bucket. */
const WIDTH = Math.log1p(0.001);

/** The bucket of x: 0 for 0, ±(1 + ⌊ln|x|/ln 1.001⌋ + 2^20) away from 0 by sign, monotone in x. */
export function bucketOf(x: number): number {
  if (x === 0) return 0;
  const k = Math.floor(Math.log(Math.abs(x)) / WIDTH) + (1 << 20) + 1; // |x| ≥ ~1e-300 keeps k ≥ 1
  return x > 0 ? k : -k;
}

interface Bucket {
  n: number;
  min: number;
  max: number;
}

interface Wanted {
  q: number;
  /** the ranks numpy's rule reads: ⌊h⌋ and ⌊h⌋+1 (clamped), h = (N−1)q */
  ranks: [number, number];
  frac: number;
}

/** One distribution's selection: feed every value of a pass with `push`, then `end`; two passes. */
export class ExactSelector {
  private pass = 1;
  private seen = 0;
  private readonly buckets = new Map<number, Bucket>();
  /** pass 2: per bucket to read, how many values lie below it, and the values gathered */
  private readonly reading = new Map<number, { below: number; values: Float64Array; filled: number; only?: number }>();
  private readonly wanted: Wanted[];
  private found: ExactPercentiles | undefined;

  /** `count`: how many values the distribution has (exactly). */
  constructor(readonly count: number) {
    this.wanted = PERCENTILES.map((q) => {
      const h = (count - 1) * q;
      const r0 = Math.floor(h);
      return { q, ranks: [r0, Math.min(r0 + 1, count - 1)], frac: h - r0 };
    });
    if (count === 0) throw new Error("no values to select from");
  }

  /** True when every percentile is known and no more passes are needed. */
  get done(): boolean {
    return this.found !== undefined;
  }

  push(x: number): void {
    if (!Number.isFinite(x)) return;
    this.seen++;
    const k = bucketOf(x);
    if (this.pass === 1) {
      const b = this.buckets.get(k);
      if (b === undefined) this.buckets.set(k, { n: 1, min: x, max: x });
      else {
        b.n++;
        if (x < b.min) b.min = x;
        if (x > b.max) b.max = x;
      }
      return;
    }
    const r = this.reading.get(k);
    if (r !== undefined && r.only === undefined) r.values[r.filled++] = x;
  }

  /** The pass is over. */
  end(): void {
    if (this.seen !== this.count)
      throw new Error(
        `a pass saw ${this.seen} values, the distribution has ${this.count}: the records changed under the run`,
      );
    this.seen = 0;
    if (this.pass === 1) {
      // which bucket holds each wanted rank, and how many values lie below that bucket
      const keys = [...this.buckets.keys()].sort((a, b) => a - b);
      const ranks = [...new Set(this.wanted.flatMap((w) => w.ranks))].sort((a, b) => a - b);
      let below = 0;
      let i = 0;
      for (const k of keys) {
        const b = this.buckets.get(k)!;
        while (i < ranks.length && ranks[i] < below + b.n) {
          if (!this.reading.has(k))
            this.reading.set(
              k,
              b.min === b.max
                ? { below, values: new Float64Array(0), filled: 0, only: b.min }
                : { below, values: new Float64Array(b.n), filled: 0 },
            );
          i++;
        }
        below += b.n;
      }
      this.buckets.clear();
      this.pass = 2;
      if ([...this.reading.values()].every((r) => r.only !== undefined)) this.finish();
      return;
    }
    this.finish();
  }

  result(): ExactPercentiles {
    if (!this.found) throw new Error("percentiles asked before every pass ended");
    return this.found;
  }

  private finish(): void {
    for (const r of this.reading.values()) r.values.sort();
    const v = this.wanted.map((w) => {
      const [a, b] = [this.at(w.ranks[0]), this.at(w.ranks[1])];
      return w.ranks[0] === w.ranks[1] ? a : quantileSorted([a, b], w.frac);
    });
    this.found = { p50: v[0], p90: v[1], p95: v[2], p99: v[3] };
  }

  /** The value of rank `rank`: in the bucket read that starts last at or before it. */
  private at(rank: number): number {
    let best: { below: number; values: Float64Array; only?: number } | undefined;
    for (const r of this.reading.values())
      if (r.below <= rank && (best === undefined || r.below > best.below)) best = r;
    return best!.only ?? best!.values[rank - best!.below];
  }
}
