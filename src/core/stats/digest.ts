/**
 * A reproducible t-digest per metric (SPEC §4), wrapping `tdigest` 0.1.3.
 *
 * Facts about tdigest 0.1.3 this wrapper works around:
 *  - Its automatic recompression (K > 0) shuffles with `Math.random`. We build
 *    `new TDigest(δ, 0)` (K = 0: never compresses by itself) and never call
 *    `compress()`.
 *  - With K = 0 the centroid count grows slowly for samples in random order
 *    (~650 at 1e4, ~900 at 1e5, ~1100 at 1e6 lognormal samples), but without
 *    bound for trending input: ascending samples all land next to the max and
 *    each becomes its own centroid. So once the size passes `COMPRESS_AT`
 *    we rebuild the digest ourselves, re-pushing its centroids in an order
 *    shuffled by a fixed-seed PRNG: deterministic, same input → same digest.
 *  - `TDigest.percentile()` refreshes cached cumulative counts, which steer
 *    later merge decisions; calling it mid-ingest (the live progress line, at
 *    wall-clock times) would make the final digest depend on timing. We
 *    never call it: percentiles are computed here from `toArray()`, which
 *    reads centroids without touching any state.
 *  - tdigest does not keep min, max or the sum; we keep them exactly.
 *
 * Percentile rule: centroid i, holding n_i samples after c_i earlier ones, is
 * centred at rank position c_i + n_i/2; the exact min sits at 0.5 and the exact
 * max at N - 0.5; the quantile q is read at position (N-1)·q + 0.5 by linear
 * interpolation. While every centroid holds one sample (N < 100 distinct
 * values, since δ·N < 1 forbids merging) this *is* numpy's linear rule, so
 * unlike tdigest's own `percentile` (position N·q) small digests agree with
 * `quantileSorted`; for large N the two positions differ by < 1 rank.
 *
 * Pure: no I/O.
 */
import { TDigest } from "tdigest";
import { UsageError } from "../errors.ts";
import { createRng } from "../rng.ts";
import type { Distribution } from "./percentiles.ts";

/** δ of every digest the tool builds (SPEC §4). */
export const DIGEST_DELTA = 0.01;

/**
 * Rebuild the digest once it holds more centroids than this. 2500 = K/δ with
 * tdigest's own default K = 25, i.e. the size at which the library would
 * compress. Random-order data stays well below it up to millions of samples.
 */
export const COMPRESS_AT = 2500;

/** Seed of the shuffle used by recompression (any fixed value: only determinism matters). */
const COMPRESS_SEED = 0x7d16e5;

export interface SerializedDigest {
  delta: number;
  count: number;
  min: number;
  max: number;
  sum: number;
  /** ordered by mean */
  centroids: Array<[mean: number, n: number]>;
}

/** Centroid means and their rank positions, cached between pushes. */
interface Snapshot {
  /** xs[0] = min, xs[k+1] = mean of centroid k, xs[last] = max */
  xs: Float64Array;
  /** rank positions (0.5-based) matching xs */
  pos: Float64Array;
}

export class MetricDigest {
  readonly delta: number;
  private td: TDigest;
  private n = 0;
  private sum = 0;
  private lo = Infinity;
  private hi = -Infinity;
  private compressAt = COMPRESS_AT;
  private snap: Snapshot | null = null;

  constructor(delta: number = DIGEST_DELTA) {
    if (!(delta > 0 && delta <= 1)) throw new RangeError(`t-digest delta must be in (0, 1], got ${delta}`);
    this.delta = delta;
    this.td = new TDigest(delta, 0);
  }

  /** Add one sample. Non-finite values (NaN, ±Infinity) are ignored: they are not measurements. */
  push(x: number): void {
    if (!Number.isFinite(x)) return;
    this.td.push(x);
    this.n += 1;
    this.sum += x;
    if (x < this.lo) this.lo = x;
    if (x > this.hi) this.hi = x;
    this.snap = null;
    if (this.td.size() > this.compressAt) this.recompress();
  }

  pushAll(xs: ArrayLike<number>): void {
    for (let i = 0; i < xs.length; i++) this.push(xs[i]);
  }

  /**
   * Fold another digest (or its serialised form) into this one, by
   * `push_centroid` in ascending order of mean; never `compress()`.
   * count, sum, min and max stay exact.
   */
  merge(other: MetricDigest | SerializedDigest): void {
    const s = other instanceof MetricDigest ? other.toJSON() : validate(other);
    if (s.count === 0) return;
    for (const [mean, n] of s.centroids) {
      this.td.push_centroid({ mean, n });
      if (this.td.size() > this.compressAt) this.recompress();
    }
    this.n += s.count;
    this.sum += s.sum;
    if (s.min < this.lo) this.lo = s.min;
    if (s.max > this.hi) this.hi = s.max;
    this.snap = null;
  }

  /** Number of samples pushed or merged (exact). */
  get count(): number {
    return this.n;
  }

  /** Number of centroids currently held. */
  get size(): number {
    return this.td.size();
  }

  /** Estimated quantile for q in 0..1 (q ≤ 0 → exact min, q ≥ 1 → exact max); undefined when empty. */
  percentile(q: number): number | undefined {
    if (this.n === 0 || Number.isNaN(q)) return undefined;
    if (q <= 0) return this.lo;
    if (q >= 1) return this.hi;
    const { xs, pos } = this.snapshot();
    const h = (this.n - 1) * q + 0.5;
    // largest j with pos[j] <= h (pos[0] = 0.5 <= h always)
    let a = 0;
    let b = pos.length - 1;
    while (a < b) {
      const mid = (a + b + 1) >>> 1;
      if (pos[mid] <= h) a = mid;
      else b = mid - 1;
    }
    if (a === pos.length - 1) return xs[a];
    const x0 = xs[a];
    const x1 = xs[a + 1];
    const p0 = pos[a];
    const p1 = pos[a + 1];
    if (p1 === p0) return x0;
    const v = x0 + ((h - p0) * (x1 - x0)) / (p1 - p0);
    // guard against rounding outside the bracket
    return Math.max(x0, Math.min(v, x1));
  }

  /** count/mean/min/max exact, p50…p99 from the digest; null when empty. */
  summary(): Distribution | null {
    if (this.n === 0) return null;
    return {
      count: this.n,
      mean: this.sum / this.n,
      min: this.lo,
      max: this.hi,
      p50: this.percentile(0.5)!,
      p90: this.percentile(0.9)!,
      p95: this.percentile(0.95)!,
      p99: this.percentile(0.99)!,
    };
  }

  toJSON(): SerializedDigest {
    const empty = this.n === 0;
    return {
      delta: this.delta,
      count: this.n,
      // JSON has no Infinity: an empty digest serialises min/max as 0
      min: empty ? 0 : this.lo,
      max: empty ? 0 : this.hi,
      sum: this.sum,
      centroids: this.td.toArray().map((c): [number, number] => [c.mean, c.n]),
    };
  }

  /**
   * Rebuild from `toJSON()` output. Centroids pushed in ascending order each
   * land past the current max, so the centroids are restored exactly and
   * percentiles are identical to the original's. Throws UsageError on
   * malformed input (a foreign or damaged result file).
   */
  static fromJSON(s: SerializedDigest): MetricDigest {
    const v = validate(s);
    const d = new MetricDigest(v.delta);
    if (v.count === 0) return d;
    for (const [mean, n] of v.centroids) d.td.push_centroid({ mean, n });
    d.n = v.count;
    d.sum = v.sum;
    d.lo = v.min;
    d.hi = v.max;
    d.compressAt = Math.max(COMPRESS_AT, 2 * d.td.size());
    return d;
  }

  /**
   * Deterministic stand-in for tdigest's `compress()`: re-push the centroids
   * into a fresh digest in an order shuffled by a fixed-seed PRNG (shuffling
   * is what lets neighbouring centroids merge; sorted order would merge
   * none). If the result is still large, the next rebuild waits until the
   * size doubles, so rebuilds never thrash.
   */
  private recompress(): void {
    const cs = this.td.toArray();
    const rng = createRng(COMPRESS_SEED);
    for (let i = cs.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = cs[i];
      cs[i] = cs[j];
      cs[j] = t;
    }
    const fresh = new TDigest(this.delta, 0);
    for (const c of cs) fresh.push_centroid(c);
    this.td = fresh;
    this.compressAt = Math.max(COMPRESS_AT, 2 * fresh.size());
    this.snap = null;
  }

  private snapshot(): Snapshot {
    if (this.snap) return this.snap;
    const cs = this.td.toArray();
    const m = cs.length;
    const xs = new Float64Array(m + 2);
    const pos = new Float64Array(m + 2);
    xs[0] = this.lo;
    pos[0] = 0.5;
    let cum = 0;
    for (let k = 0; k < m; k++) {
      const c = cs[k];
      xs[k + 1] = c.mean;
      pos[k + 1] = cum + c.n / 2;
      cum += c.n;
    }
    xs[m + 1] = this.hi;
    pos[m + 1] = cum - 0.5;
    // A singleton first/last centroid sits exactly at 0.5 / N-0.5 with mean = min/max;
    // clamp so positions stay non-decreasing (a one-sample digest has pos = [0.5, 0.5, 0.5]).
    if (pos[1] < pos[0]) pos[1] = pos[0];
    if (pos[m + 1] < pos[m]) pos[m + 1] = pos[m];
    this.snap = { xs, pos };
    return this.snap;
  }
}

function isNum(x: unknown): x is number {
  return typeof x === "number" && Number.isFinite(x);
}

function validate(s: SerializedDigest): SerializedDigest {
  const bad = (why: string): never => {
    throw new UsageError(
      `invalid serialised t-digest: ${why}`,
      "the result file is damaged or was not written by llmbench",
    );
  };
  if (typeof s !== "object" || s === null) return bad("not an object");
  if (!isNum(s.delta) || !(s.delta > 0 && s.delta <= 1)) bad("delta must be a number in (0, 1]");
  if (!isNum(s.count) || s.count < 0 || !Number.isInteger(s.count)) bad("count must be a non-negative integer");
  if (!isNum(s.min) || !isNum(s.max) || !isNum(s.sum)) bad("min, max and sum must be finite numbers");
  if (!Array.isArray(s.centroids)) bad("centroids must be an array");
  let total = 0;
  let prev = -Infinity;
  for (const c of s.centroids) {
    if (!Array.isArray(c) || c.length !== 2 || !isNum(c[0]) || !isNum(c[1]) || c[1] <= 0) {
      bad("each centroid must be [mean, n] with n > 0");
    }
    if (c[0] < prev) bad("centroids must be in ascending order of mean");
    prev = c[0];
    total += c[1];
  }
  if (total !== s.count) bad(`centroid weights add up to ${total}, count is ${s.count}`);
  // (centroid means are not checked against min/max: tdigest's running-mean
  // update may round a centroid one ulp past the extreme sample)
  if (s.count > 0 && s.min > s.max) bad("min is greater than max");
  return s;
}
