/**
 * Open-loop arrival times: gaps drawn from a gamma distribution with shape `burstiness` and mean
 * 1/rate (burstiness 1 = a Poisson process; below 1 burstier, above 1 more regular), optionally
 * under a linear ramp of the rate from 0 over `rampUpMs`. Pure and seeded.
 */
import { normal, type Rng } from "./rng.ts";

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
