/**
 * Exact percentiles of more values than memory should hold, in passes over values that live
 * elsewhere (the records on disk). A t-digest of the same values says roughly where each wanted
 * order statistic lies; one pass counts the values below a bracket around it and keeps only the
 * values inside it; sorted, those give the exact order statistics, hence numpy's linear rule
 * exactly (`quantileSorted`). A bracket that missed its ranks is widened for the next pass.
 * Memory per pass: the values inside the brackets, about 2·`margin`·N each. Pure: no I/O.
 */
import type { ExactPercentiles } from "../metrics.ts";
import { quantileSorted } from "./percentiles.ts";

export const PERCENTILES = [0.5, 0.9, 0.95, 0.99] as const;

/** Below this many values, a pass just keeps them all. */
export const KEEP_ALL_BELOW = 65_536;
/** The first bracket: this share of the values either side of the digest's estimate (widened ×4 on a miss). */
export const FIRST_MARGIN = 0.005;

interface Bracket {
  q: number;
  /** the order statistics numpy's rule reads: ⌊h⌋ and ⌊h⌋+1, h = (N−1)q */
  lo: number;
  hi: number;
  below: number;
  inside: number[];
}

/** One distribution's selection: feed every value of a pass with `push`, then `end`. */
export class ExactSelector {
  private brackets: Bracket[] = [];
  private readonly found = new Map<number, number>();
  private margin = FIRST_MARGIN;
  private seen = 0;

  /**
   * `count`: how many values the distribution has (exactly); `estimate(q)`: the digest's value
   * at quantile q.
   */
  constructor(
    readonly count: number,
    private readonly estimate: (q: number) => number,
  ) {
    this.plan();
  }

  /** True when every percentile is known and no more passes are needed. */
  get done(): boolean {
    return this.found.size === PERCENTILES.length;
  }

  push(x: number): void {
    if (!Number.isFinite(x)) return;
    this.seen++;
    for (const b of this.brackets) {
      if (x < b.lo) b.below++;
      else if (x <= b.hi) b.inside.push(x);
    }
  }

  /** The pass is over: read what the brackets caught; widen those that missed. */
  end(): void {
    if (this.seen !== this.count) throw new Error(`a pass saw ${this.seen} values, the distribution has ${this.count}: the records changed under the run`);
    const n = this.count;
    for (const b of this.brackets) {
      const h = (n - 1) * b.q;
      const r0 = Math.floor(h);
      const r1 = Math.min(r0 + 1, n - 1);
      if (b.below > r0 || b.below + b.inside.length <= r1) continue;
      const sorted = Float64Array.from(b.inside).sort();
      // the values ranked r0 and r1 overall, in a two-element view for numpy's rule at the same fraction
      const pair = [sorted[r0 - b.below], sorted[r1 - b.below]];
      this.found.set(b.q, r1 === r0 ? pair[0] : quantileSorted(pair, h - r0));
    }
    this.margin *= 4;
    this.plan();
  }

  result(): ExactPercentiles {
    if (!this.done) throw new Error("percentiles asked before every pass ended");
    return { p50: this.found.get(0.5)!, p90: this.found.get(0.9)!, p95: this.found.get(0.95)!, p99: this.found.get(0.99)! };
  }

  private plan(): void {
    this.seen = 0;
    const wide = this.count < KEEP_ALL_BELOW || this.margin >= 0.5;
    this.brackets = PERCENTILES.filter((q) => !this.found.has(q)).map((q) => ({
      q,
      lo: wide ? -Infinity : this.estimate(Math.max(0, q - this.margin)),
      hi: wide ? Infinity : this.estimate(Math.min(1, q + this.margin)),
      below: 0,
      inside: [],
    }));
  }
}
