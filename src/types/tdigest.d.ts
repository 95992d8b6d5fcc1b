/**
 * Type declarations for `tdigest` 0.1.3 (https://github.com/welch/tdigest),
 * written against node_modules/tdigest/tdigest.js. Only what the JS actually
 * provides is declared.
 *
 * Facts worth knowing (see SPEC §4):
 *  - `K` defaults to 25; any truthy K makes `push` call `compress()` once
 *    `size() > K / delta`, and `compress()` shuffles with `Math.random`.
 *    Construct with `new TDigest(0.01, 0)` to stay reproducible.
 *  - `delta === false` switches to discrete (exact histogram) mode.
 *  - `percentile`/`p_rank` return `undefined` on an empty digest.
 */
declare module "tdigest" {
  /** A centroid as stored in the tree; `cumn`/`mean_cumn` are cached cumulative counts. */
  export interface Centroid {
    mean: number;
    n: number;
    cumn?: number;
    mean_cumn?: number;
  }

  /** What `push_centroid` reads: only `mean` and `n`. */
  export interface CentroidLike {
    mean: number;
    n: number;
  }

  export class TDigest {
    /**
     * @param delta compression factor (max fraction of mass per centroid), default 0.01;
     *              `false` for discrete mode.
     * @param K     recompression threshold (size > K/delta triggers compress()); 0 disables. Default 25.
     * @param CX    how often cumulative totals are refreshed during ingest; 0 = every point. Default 1.1.
     */
    constructor(delta?: number | false, K?: number, CX?: number);

    discrete: boolean;
    delta: number;
    K: number;
    CX: number;
    /** Total weight pushed. */
    n: number;
    nreset: number;
    last_cumulate: number;

    /** Clear all centroids. */
    reset(): void;
    /** Number of centroids. */
    size(): number;
    /** Centroids ordered by mean; with `everything`, the internal objects with cumn/mean_cumn. */
    toArray(everything?: false): CentroidLike[];
    toArray(everything: true): Centroid[];
    /** Human-readable multi-line summary. */
    summary(): string;

    /** Add a value (or values), each with weight n (default 1). */
    push(x: number | number[], n?: number): void;
    /** Add a weighted centroid (or centroids). */
    push_centroid(c: CentroidLike | CentroidLike[]): void;

    /** Approximate percentile rank (0..1) of x; undefined when empty. */
    p_rank(x: number): number | undefined;
    p_rank(xs: number[]): Array<number | undefined>;

    /** Approximate quantile for p in 0..1; undefined when empty. */
    percentile(p: number): number | undefined;
    percentile(ps: number[]): Array<number | undefined>;

    /** Re-push all centroids in random (Math.random) order. Not reproducible. */
    compress(): void;

    find_nearest(x: number): Centroid | null;
    bound_mean(x: number): [Centroid, Centroid];
    bound_mean_cumn(cumn: number): [Centroid | null, Centroid | null];
  }

  export interface DigestConfig {
    /** 'auto' (default) starts discrete and switches to continuous; 'disc' or 'cont'. */
    mode?: "auto" | "disc" | "cont";
    /** delta used in continuous mode (default 0.01). */
    delta?: number;
    /** fraction of unique values that triggers the switch to continuous (default 0.9). */
    ratio?: number;
    /** minimum number of centroids before the switch is considered (default 1000). */
    thresh?: number;
  }

  /** A TDigest that starts in discrete mode and switches to continuous for large, spread samples. */
  export class Digest extends TDigest {
    constructor(config?: DigestConfig);
    config: DigestConfig;
    mode: "auto" | "disc" | "cont";
    digest_ratio: number;
    digest_thresh: number;
    n_unique: number;
    /** Returns true on the transition from discrete to continuous. */
    check_continuous(): boolean;
  }
}
