/** Exact percentiles in passes over values held elsewhere, against numpy's rule on the sorted values. */
import { describe, expect, test } from "bun:test";
import { createRng } from "../../../src/core/rng.ts";
import { MetricDigest } from "../../../src/core/stats/digest.ts";
import { quantileSorted } from "../../../src/core/stats/percentiles.ts";
import { ExactSelector, FIRST_MARGIN, KEEP_ALL_BELOW, PERCENTILES } from "../../../src/core/stats/select.ts";

/** Run passes until done; returns the percentiles, the passes, and the most values any pass kept. */
function select(values: Float64Array, estimate: (q: number) => number) {
  const s = new ExactSelector(values.length, estimate);
  let passes = 0;
  let keptMax = 0;
  while (!s.done) {
    passes++;
    for (const x of values) s.push(x);
    keptMax = Math.max(keptMax, ...((s as unknown as { brackets: Array<{ inside: number[] }> }).brackets.map((b) => b.inside.length)));
    s.end();
  }
  return { result: s.result(), passes, keptMax };
}

function exact(values: Float64Array) {
  const sorted = Float64Array.from(values).sort();
  return { p50: quantileSorted(sorted, 0.5), p90: quantileSorted(sorted, 0.9), p95: quantileSorted(sorted, 0.95), p99: quantileSorted(sorted, 0.99) };
}

/** Heavy-tailed, with ties (values rounded to µs like records) and a trend, in a seeded order. */
function latencies(n: number, seed: number): Float64Array {
  const rng = createRng(seed).next;
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) xs[i] = Math.round((Math.exp(rng() * 3) * 10 + (i / n) * 5 + (rng() < 0.01 ? 500 * rng() : 0)) * 1000) / 1000;
  return xs;
}

describe("ExactSelector", () => {
  test("guided by a digest of the same values: numpy's linear rule exactly, in one pass, keeping a small share", () => {
    const xs = latencies(300_000, 11);
    const d = new MetricDigest();
    d.pushAll(xs);
    const { result, passes, keptMax } = select(xs, (q) => d.percentile(q)!);
    expect(result).toEqual(exact(xs));
    expect(passes).toBe(1);
    // a bracket holds about 2 × margin of the values (plus what the digest's error adds), never all
    expect(keptMax).toBeLessThan(xs.length * FIRST_MARGIN * 4);
    expect(keptMax).toBeGreaterThan(0);
  });

  test("a badly placed bracket is widened until it holds its ranks: still exact", () => {
    const xs = latencies(200_000, 5);
    // an estimate that is wrong everywhere: every bracket misses at first
    const { result, passes } = select(xs, (q) => 1 + q);
    expect(result).toEqual(exact(xs));
    expect(passes).toBeGreaterThan(1);
  });

  test("few values: one pass keeps them all", () => {
    const xs = latencies(KEEP_ALL_BELOW - 1, 3);
    const { result, passes, keptMax } = select(xs, () => NaN);
    expect(result).toEqual(exact(xs));
    expect(passes).toBe(1);
    expect(keptMax).toBe(xs.length);
  });

  test("one value, and all values equal", () => {
    expect(select(Float64Array.of(7.5), () => 7.5).result).toEqual({ p50: 7.5, p90: 7.5, p95: 7.5, p99: 7.5 });
    const same = new Float64Array(100_000).fill(3);
    expect(select(same, () => 3).result).toEqual({ p50: 3, p90: 3, p95: 3, p99: 3 });
  });

  test("a pass that sees a different number of values than the distribution has is an error, not a wrong answer", () => {
    const s = new ExactSelector(10, () => 0);
    for (let i = 0; i < 9; i++) s.push(i);
    expect(() => s.end()).toThrow("saw 9 values");
    expect(PERCENTILES).toEqual([0.5, 0.9, 0.95, 0.99]);
  });
});
