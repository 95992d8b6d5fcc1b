/** Exact percentiles in two passes over values held elsewhere, against numpy's rule on the sorted values. */
import { describe, expect, test } from "bun:test";
import { createRng } from "../../../src/core/rng.ts";
import { quantileSorted } from "../../../src/core/stats/percentiles.ts";
import { bucketOf, ExactSelector } from "../../../src/core/stats/select.ts";

/** Passes until done; the percentiles, the passes, and how many values pass 2 kept. */
function select(values: Float64Array) {
  const s = new ExactSelector(values.length);
  let passes = 0;
  let kept = 0;
  while (!s.done) {
    passes++;
    for (const x of values) s.push(x);
    if (passes === 2)
      kept = [...(s as unknown as { reading: Map<number, { values: Float64Array }> }).reading.values()].reduce(
        (a, r) => a + r.values.length,
        0,
      );
    s.end();
  }
  return { result: s.result(), passes, kept };
}

function exact(values: Float64Array) {
  const sorted = Float64Array.from(values).sort();
  return {
    p50: quantileSorted(sorted, 0.5),
    p90: quantileSorted(sorted, 0.9),
    p95: quantileSorted(sorted, 0.95),
    p99: quantileSorted(sorted, 0.99),
  };
}

/** Heavy-tailed, rounded to µs like records, with a trend and a share of exact zeros (tokens read together). */
function latencies(n: number, seed: number, zeros = 0): Float64Array {
  const rng = createRng(seed).next;
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++)
    xs[i] =
      rng() < zeros
        ? 0
        : Math.round((Math.exp(rng() * 3) * 10 + (i / n) * 5 + (rng() < 0.01 ? 500 * rng() : 0)) * 1000) / 1000;
  return xs;
}

describe("ExactSelector", () => {
  test("numpy's linear rule exactly, in two passes, keeping a small share of the values", () => {
    const xs = latencies(300_000, 11);
    const { result, passes, kept } = select(xs);
    expect(result).toEqual(exact(xs));
    expect(passes).toBe(2);
    // four buckets 0.1% wide: a few hundred values each here, never all
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(xs.length / 100);
  });

  test("many equal values (60% zeros, the ITL of tokens read in one chunk): exact, and the ties are not kept", () => {
    const xs = latencies(200_000, 5, 0.6);
    const { result, passes, kept } = select(xs);
    expect(result).toEqual(exact(xs));
    expect(result.p50).toBe(0);
    expect(passes).toBe(2);
    expect(kept).toBeLessThan(xs.length / 100);
  });

  test("negative values, one value, all values equal", () => {
    const xs = latencies(50_000, 3).map((x, i) => (i % 3 === 0 ? -x : x));
    expect(select(xs).result).toEqual(exact(xs));
    expect(select(Float64Array.of(7.5)).result).toEqual({ p50: 7.5, p90: 7.5, p95: 7.5, p99: 7.5 });
    const same = select(new Float64Array(100_000).fill(3));
    expect(same.result).toEqual({ p50: 3, p90: 3, p95: 3, p99: 3 });
    expect(same.passes).toBe(1);
  });

  test("buckets are ordered like their values", () => {
    const xs = [-1e6, -3.5, -0.001, 0, 1e-6, 0.001, 0.0011, 1, 1.0011, 40, 1e9];
    const keys = xs.map(bucketOf);
    for (let i = 1; i < keys.length; i++) expect(keys[i]).toBeGreaterThan(keys[i - 1]);
    expect(bucketOf(1)).toBe(bucketOf(1.0009));
  });

  test("a pass that sees a different number of values than the distribution has is an error, not a wrong answer", () => {
    const s = new ExactSelector(10);
    for (let i = 0; i < 9; i++) s.push(i);
    expect(() => s.end()).toThrow("saw 9 values");
  });
});
