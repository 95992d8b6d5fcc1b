/** Number and text formats every renderer and message shares. Pure. */

/** ms with 3 significant-ish digits: 1234, 12.3, 1.23; "-" when missing */
export const ms = (x: number | null | undefined): string => (x === null || x === undefined ? "-" : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

/** a share as a percentage with one decimal; "-" when missing */
export const pct = (x: number | null | undefined): string => (x === null || x === undefined ? "-" : `${(x * 100).toFixed(1)}%`);

/** a response body or message on one line, cut at 200 characters, for one-line errors */
export function oneLine(s: string, n = 200): string {
  const t = s.replace(/\s+/g, " ").trim();
  return t.length > n ? `${t.slice(0, n)}…` : t || "(empty)";
}
