/** Seeded, ITL-like test samples (lognormal, median 20 ms) for the stats tests. */
import { createRng } from "../../../src/core/rng.ts";

export function lognormal(seed: number, n: number, median = 20, sigma = 0.5): Float64Array {
  const rng = createRng(seed);
  const mu = Math.log(median);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u1 = 1 - rng.next(); // (0, 1]
    const u2 = rng.next();
    out[i] = Math.exp(mu + sigma * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
  }
  return out;
}

/** |a - b| / |b| */
export function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.abs(b);
}
