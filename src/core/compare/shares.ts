/**
 * A share of tokens (the prefix-cached share: Σ cached ÷ Σ prompt tokens): the difference of two
 * sides and its interval. Pure.
 *
 * Tokens of one request are not independent trials (a request's blocks hit or miss together), so a
 * binomial test over tokens would be far too sure. Each side's share is a ratio estimator over its
 * requests, R = Σyᵢ ÷ Σxᵢ, with the delta-method (linearisation) variance
 * V(R) = n/(n − 1) · Σ(yᵢ − R·xᵢ)² ÷ (Σxᵢ)²; the difference R_c − R_b has the interval
 * d ± z(1 − α/2)·√(V_b + V_c) and a two-sided z-test p-value.
 */
import { normalQuantile, normalSf } from "../stats/special.ts";

export interface ShareSide {
  /** Σ cached tokens */
  part: number;
  /** Σ prompt tokens */
  whole: number;
  /** per request [cached, prompt]; null when the file has no records */
  perRequest: Array<[number, number]> | null;
}

/** The share and its delta-method variance; variance null with fewer than two requests. */
export function ratioEstimate(pairs: ReadonlyArray<readonly [number, number]>): {
  share: number;
  variance: number | null;
  n: number;
} {
  let sy = 0;
  let sx = 0;
  for (const [y, x] of pairs) {
    sy += y;
    sx += x;
  }
  const n = pairs.length;
  const share = sx > 0 ? sy / sx : NaN;
  if (n < 2 || !(sx > 0)) return { share, variance: null, n };
  let ss = 0;
  for (const [y, x] of pairs) ss += (y - share * x) ** 2;
  return { share, variance: ((n / (n - 1)) * ss) / (sx * sx), n };
}

export interface ShareDifference {
  base: number;
  cand: number;
  difference: number;
  /** null without per-request pairs on both sides (or fewer than two requests on a side) */
  interval: [number, number] | null;
  pValue: number | null;
  n: { base: number; cand: number } | null;
}

export function compareShares(b: ShareSide, c: ShareSide, alpha: number): ShareDifference {
  const base = b.part / b.whole;
  const cand = c.part / c.whole;
  const difference = cand - base;
  if (b.perRequest === null || c.perRequest === null)
    return { base, cand, difference, interval: null, pValue: null, n: null };
  const eb = ratioEstimate(b.perRequest);
  const ec = ratioEstimate(c.perRequest);
  const n = { base: eb.n, cand: ec.n };
  if (eb.variance === null || ec.variance === null) return { base, cand, difference, interval: null, pValue: null, n };
  const se = Math.sqrt(eb.variance + ec.variance);
  if (se === 0)
    return { base, cand, difference, interval: [difference, difference], pValue: difference === 0 ? 1 : 0, n };
  const z = normalQuantile(1 - alpha / 2);
  return {
    base,
    cand,
    difference,
    interval: [difference - z * se, difference + z * se],
    pValue: Math.min(1, 2 * normalSf(Math.abs(difference) / se)),
    n,
  };
}
