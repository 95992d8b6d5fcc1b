/**
 * Open-loop arrival times: gaps drawn from a gamma distribution with shape `burstiness` and mean
 * 1/rate (burstiness 1 = a Poisson process; below 1 burstier, above 1 more regular), optionally
 * under a linear ramp of the rate from 0 over `rampUpMs`. Pure and seeded.
 */
import type { Rng } from "./rng.ts";

/** A standard normal deviate (Box–Muller). */
export function normal(rng: Rng): number {
  let u = 0;
  while (u === 0) u = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** Gamma(shape, scale 1) deviate: Marsaglia & Tsang (2000); shape < 1 by the boost U^(1/shape). */
export function gamma(rng: Rng, shape: number): number {
  if (shape < 1) {
    let u = 0;
    while (u === 0) u = rng.next();
    return gamma(rng, shape + 1) * u ** (1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.next();
    if (u < 1 - 0.0331 * x ** 4) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

export interface ArrivalConfig {
  /** requests per second once ramped up */
  rate: number;
  /** gamma shape of the gaps; 1 = Poisson */
  burstiness: number;
  /** linear ramp of the rate from 0 to `rate` over this many ms (0 = none) */
  rampUpMs: number;
}

/**
 * Arrival times in ms from the start. A unit-rate renewal process (gaps with mean 1) is mapped
 * through the inverse of the cumulative intensity Λ(t): Λ(t) = r t² / 2T during a ramp of length T,
 * then r T / 2 + r (t − T). Without a ramp the gaps are simply gamma with mean 1000 / rate ms.
 */
export function* arrivalTimes(cfg: ArrivalConfig, rng: Rng): Generator<number> {
  const perMs = cfg.rate / 1000;
  const T = cfg.rampUpMs;
  const rampMass = (perMs * T) / 2;
  let s = 0;
  for (;;) {
    s += gamma(rng, cfg.burstiness) / cfg.burstiness;
    if (T > 0 && s < rampMass) yield Math.sqrt((2 * T * s) / perMs);
    else yield T + (s - rampMass) / perMs;
  }
}

/** Regularized lower incomplete gamma P(a, x) (series / continued fraction, Numerical Recipes §6.2). */
export function gammaCdf(x: number, shape: number, scale = 1): number {
  const a = shape;
  const z = x / scale;
  if (z <= 0) return 0;
  const lnPre = a * Math.log(z) - z - logGamma(a);
  if (z < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 1000; n++) {
      term *= z / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return sum * Math.exp(lnPre);
  }
  // Lentz's continued fraction for Q(a, z)
  let b = z + 1 - a;
  let c = 1 / 1e-300;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return 1 - Math.exp(lnPre) * h;
}

/** ln Γ(x), Lanczos approximation (g = 7, n = 9). */
export function logGamma(x: number): number {
  const g = 7;
  const coef = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = coef[0];
  const t = x + g + 0.5;
  for (let i = 1; i < g + 2; i++) a += coef[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Kolmogorov–Smirnov statistic D of samples against a CDF. */
export function ksStatistic(samples: readonly number[], cdf: (x: number) => number): number {
  const xs = [...samples].sort((a, b) => a - b);
  const n = xs.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(xs[i]);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  return d;
}
