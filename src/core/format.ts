/**
 * Number and text formats every report, message and error shares — the one set, so a number reads
 * the same in the run report, a sweep, warm, compare and a one-line error. Pure.
 */

/** ms with about three significant digits: 1234, 12.3, 1.23; "-" when missing. The sign is kept (-12.3). */
export function ms(x: number | null | undefined): string {
  if (x === null || x === undefined) return "-";
  const a = Math.abs(x);
  return x.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : 2);
}

/** a share as a percentage with `digits` decimals (one by default); "-" when missing */
export function pct(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined ? "-" : `${(x * 100).toFixed(digits)}%`;
}

/** a fall across a window of latencies (a share of their mean), shown as their trend: a fall of 0.05 is −5.0% */
export const trend = (drop: number): string => `${drop > 0 ? "−" : "+"}${pct(Math.abs(drop))}`;

/** a number with `digits` decimals and thousands grouped: 2,143.6; "-" when missing */
export function num(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined) return "-";
  return x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** a duration in seconds with at most two decimals, trailing zeros dropped: "2.5 s", "12 s", "0.05 s" */
export function seconds(msValue: number): string {
  return `${(msValue / 1000).toFixed(msValue < 10_000 ? 2 : 1).replace(/\.?0+$/, "")} s`;
}

/** a ratio as a multiple: 1.96× */
export function times(x: number | null | undefined, digits = 2): string {
  return x === null || x === undefined ? "-" : `${x.toFixed(digits)}×`;
}

/** a response body or message on one line, cut at 200 characters, for one-line errors */
export function oneLine(s: string, n = 200): string {
  const t = s.replace(/\s+/g, " ").trim();
  return t.length > n ? `${t.slice(0, n)}…` : t || "(empty)";
}
