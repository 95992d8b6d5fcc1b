/**
 * `--shard i/N`: one workload split deterministically over N processes or machines that share a
 * `--seed`. The totals (`--requests`, `--warmup`, `--concurrency`, `--rate`) are the whole
 * benchmark's; shard i takes its share, and the shards together send exactly what one run would:
 *
 *  - counts: `share(total, i, N)` = ⌊total / N⌋, plus one for the first `total mod N` shards;
 *  - measured requests by that rule, and of them the first-time prompts F = requests − repeats
 *    (repeats P = round(repeat-ratio × requests)) by the same rule; the rest of a shard's requests
 *    are its repeats (⌊R/N⌋ ≥ ⌊F/N⌋, so never negative; they add up to P); a shard repeats only its
 *    own prompts;
 *  - prompt ids: the k-th warm-up prompt of shard i is global id k·N + i, its f-th fresh prompt
 *    W + f·N + i (W the total warm-up): the union over the shards is 0…W−1 and W…W+F−1, the ids
 *    one run of the whole workload uses, each exactly once;
 *  - open loop: every shard draws the one arrival sequence of the seed (at the total rate) and
 *    sends arrivals i, i+N, i+2N, …: together the shards send the requested process itself.
 *
 * Pure.
 */
import { UsageError } from "./errors.ts";
import { repeatCount } from "./schedule.ts";

export interface ShardSpec {
  /** 0-based (Kubernetes' JOB_COMPLETION_INDEX) */
  index: number;
  count: number;
}

/** What a shard's result records of the whole workload (config.shard), so merge can check and add up. */
export interface ShardTotals extends ShardSpec {
  requests: number | null;
  warmup: number;
  concurrency: number | null;
}

const HINT =
  "write --shard INDEX/COUNT with 0 <= INDEX < COUNT, e.g. --shard 0/4 … --shard 3/4 (on Kubernetes: --shard $JOB_COMPLETION_INDEX/4)";

export function parseShard(value: string): ShardSpec {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  if (!m) throw new UsageError(`--shard must be INDEX/COUNT, got '${value}'`, HINT);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > 100_000)
    throw new UsageError(`--shard ${value}: the count must be between 1 and 100000`, HINT);
  if (index >= count)
    throw new UsageError(`--shard ${value}: the index counts from 0, so it must be below ${count}`, HINT);
  return { index, count };
}

/** Shard `index`'s share of `total` items: ⌊total/count⌋, one more for the first total mod count shards. */
export function share(total: number, index: number, count: number): number {
  return Math.floor(total / count) + (index < total % count ? 1 : 0);
}

export interface ShardLoad {
  requests: number | undefined;
  warmup: number;
  /** the shard's measured repeats (undefined: by the ratio, a timed run) */
  repeats: number | undefined;
  concurrency: number;
}

/** A shard's part of the whole workload; refuses a split that leaves a shard nothing to do. */
export function shardLoad(
  s: ShardSpec,
  whole: { requests: number | undefined; warmup: number; repeatRatio: number; concurrency: number },
): ShardLoad {
  const { index: i, count: n } = s;
  // checked on the totals, so every shard of a bad split refuses it alike
  if (whole.concurrency < n)
    throw new UsageError(
      `--concurrency ${whole.concurrency} is the total over ${n} shards: each needs at least 1`,
      `raise --concurrency to at least ${n}, or use fewer shards`,
    );
  const concurrency = Number.isFinite(whole.concurrency) ? share(whole.concurrency, i, n) : whole.concurrency;
  const warmup = share(whole.warmup, i, n);
  if (whole.requests === undefined) return { requests: undefined, warmup, repeats: undefined, concurrency };
  const repeats = repeatCount(whole.requests, whole.repeatRatio);
  const firsts = whole.requests - repeats;
  if (firsts < n)
    throw new UsageError(
      `--requests ${whole.requests} is the total over ${n} shards: ${firsts} first-time prompts leave some shard none`,
      `raise --requests (at least ${Math.ceil(n / Math.max(1e-9, 1 - whole.repeatRatio))}), or use fewer shards`,
    );
  // the shard's requests are its share of the total (as its arrivals are of the one sequence); of
  // them, its share of the first-time prompts are fresh, the rest repeats (never fewer than none)
  const requests = share(whole.requests, i, n);
  const myRepeats = requests - share(firsts, i, n);
  return { requests, warmup, repeats: myRepeats, concurrency };
}

/** Global prompt ids of a shard's local warm-up prompt k and fresh prompt f (see the module note). */
export function shardPromptIds(
  s: ShardSpec,
  warmupTotal: number,
): { warmup(k: number): number; fresh(f: number): number } {
  return { warmup: (k) => k * s.count + s.index, fresh: (f) => warmupTotal + f * s.count + s.index };
}

/** Arrivals i, i+N, i+2N, … of the whole sequence. */
export function* shardArrivals(all: Iterable<number>, s: ShardSpec): Generator<number> {
  let k = 0;
  for (const t of all) {
    if (k++ % s.count === s.index) yield t;
  }
}
