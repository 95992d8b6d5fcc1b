/**
 * The drawing primitives of the HTML report: escaping, scales (linear and log), ticks and one
 * generic x/y chart that becomes an inline SVG. Hand-written rather than an inlined charting
 * library: the page needs CDFs, scatters, step lines and bars on a few axes, which is ~300 lines
 * here against 200+ KB of minified library, and the SVG is drawn when the file is written, so the
 * page runs no script at all (nothing to fail in the browser, nothing a model name could inject
 * into). Pure: data in, text out.
 */

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text made safe for HTML content and attribute values (double- or single-quoted). */
export const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => ENTITIES[c]);

/** A coordinate with at most one decimal: smaller SVG, no visible difference. */
export const px = (x: number): string => (Math.round(x * 10) / 10).toString();

export interface Scale {
  (v: number): number;
  log: boolean;
  domain: [number, number];
  ticks: number[];
}

/** A value range wide enough (max ÷ min ≥ this) to be drawn on a log scale. */
export const LOG_RANGE = 20;

/** Log when every value is positive and they span at least `LOG_RANGE`; linear otherwise. */
export function wantsLog(lo: number, hi: number): boolean {
  return lo > 0 && hi / lo >= LOG_RANGE;
}

/** "Nice" ticks of a linear axis: steps of 1, 2 or 5 × 10^k, about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step)
    out.push(Number(v.toPrecision(12)));
  return out;
}

/** Ticks of a log axis: 1, 2, 5 × each power of ten inside the range (only the powers when it spans many decades). */
export function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  const decades = Math.log10(hi / lo);
  const mults = decades > 4 ? [1] : [1, 2, 5];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of mults) {
      const v = Number((m * 10 ** e).toPrecision(12));
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
    }
  }
  return out;
}

/** A scale from `domain` to pixel `range`; `log` only for a positive domain. Linear domains are widened to nice ticks. */
export function makeScale(domain: [number, number], range: [number, number], log: boolean, zero = false): Scale {
  let [lo, hi] = domain;
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = [0, 1];
  if (log && lo > 0) {
    if (hi <= lo) hi = lo * 10;
    const [a, b] = [Math.log10(lo), Math.log10(hi)];
    const f = ((v: number) =>
      range[0] + ((Math.log10(Math.max(v, lo)) - a) / (b - a)) * (range[1] - range[0])) as Scale;
    f.log = true;
    f.domain = [lo, hi];
    f.ticks = logTicks(lo, hi);
    return f;
  }
  if (zero) lo = Math.min(lo, 0);
  if (hi <= lo) hi = lo + (lo === 0 ? 1 : Math.abs(lo));
  const ticks = niceTicks(lo, hi);
  const step = ticks.length > 1 ? ticks[1] - ticks[0] : 0;
  // an end widens to the next tick only when that costs under 15% of the range (0..10.5k stays 0..10.5k, not 0..15k)
  const slack = 0.15 * (hi - lo);
  if (step > 0) {
    if (ticks[0] > lo && ticks[0] - step >= lo - slack) ticks.unshift(Number((ticks[0] - step).toPrecision(12)));
    if (ticks[ticks.length - 1] < hi && ticks[ticks.length - 1] + step <= hi + slack)
      ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
    [lo, hi] = [Math.min(lo, ticks[0]), Math.max(hi, ticks[ticks.length - 1])];
  }
  const f = ((v: number) => range[0] + ((v - lo) / (hi - lo)) * (range[1] - range[0])) as Scale;
  f.log = false;
  f.domain = [lo, hi];
  f.ticks = ticks;
  return f;
}

/** A tick label: 1.2k, 15, 2.5, 0.05. */
export function tickLabel(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  return String(Number(v.toPrecision(3)));
}

/** Okabe–Ito: told apart with the common colour-vision deficiencies, and in print. */
export const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"];

export interface Marker {
  /** a vertical line at x */
  x: number;
  label: string;
  color?: string;
}

export type Series =
  | {
      kind: "line" | "step";
      name: string;
      color: string;
      points: Array<[number, number]>;
      width?: number;
      dash?: boolean;
      dots?: boolean;
      labels?: string[];
    }
  | { kind: "dots"; name: string; color: string; points: Array<[number, number]>; radius?: number }
  | { kind: "bars"; name: string; color: string; points: Array<[number, number]>; base?: Array<number>; width: number };

export interface ChartSpec {
  /** data-chart id the browser test looks for */
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  markers?: Marker[];
  /** force a scale kind; default: log where the range calls for it (latencies), linear otherwise */
  xLog?: boolean;
  yLog?: boolean;
  /** start the linear axis at zero */
  xZero?: boolean;
  yZero?: boolean;
  /** fixed y domain (e.g. 0..1 for a CDF) */
  yDomain?: [number, number];
  xDomain?: [number, number];
  /** a point marked with a ring and a label (the knee) */
  highlight?: { x: number; y: number; label: string };
  /** one line under the chart: what it shows, how it was drawn */
  caption: string;
  width?: number;
  height?: number;
}

export const CHART_W = 640;
export const CHART_H = 260;
const M = { left: 56, right: 16, top: 12, bottom: 40 };

function extent(series: Series[], pick: 0 | 1, withBase = false): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    for (let i = 0; i < s.points.length; i++) {
      const v = s.points[i][pick];
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
      if (withBase && s.kind === "bars") {
        const top = v + (s.base?.[i] ?? 0);
        if (top > hi) hi = top;
      }
    }
  }
  return [lo, hi];
}

/** The smallest positive value (for a log axis). */
function positiveMin(series: Series[], pick: 0 | 1): number {
  let lo = Infinity;
  for (const s of series) for (const p of s.points) if (p[pick] > 0 && p[pick] < lo) lo = p[pick];
  return lo;
}

/** An x/y chart as a <figure> holding an inline SVG, a legend and a caption. */
export function chart(spec: ChartSpec): string {
  const W = spec.width ?? CHART_W;
  const H = spec.height ?? CHART_H;
  // what a log axis cannot show (0 and below) is not drawn, nor counted as drawn
  const drawable = (p: [number, number]) =>
    Number.isFinite(p[0]) && Number.isFinite(p[1]) && (!spec.xLog || p[0] > 0) && (!spec.yLog || p[1] > 0);
  const marks = spec.series.reduce((n, s) => n + s.points.filter(drawable).length, 0);
  const [x0, x1] = [M.left, W - M.right];
  const [y0, y1] = [H - M.bottom, M.top];
  if (marks === 0) {
    return `<figure class="chart empty" data-chart="${esc(spec.id)}" data-marks="0"><figcaption><b>${esc(spec.title)}</b>: nothing to draw. ${esc(spec.caption)}</figcaption></figure>`;
  }
  const xr = spec.xDomain ?? extent(spec.series, 0);
  const yr = spec.yDomain ?? extent(spec.series, 1, true);
  const xMarkers = (spec.markers ?? []).map((m) => m.x).filter(Number.isFinite);
  const xDom: [number, number] = [Math.min(xr[0], ...xMarkers), Math.max(xr[1], ...xMarkers)];
  const xLog = spec.xLog ?? false;
  const yLog = spec.yLog ?? false;
  // a margin round the data (not round a domain given), so no point sits half outside on the frame
  const pad = (r: [number, number], log: boolean, zero = false): [number, number] => {
    if (log) return [r[0] / 1.1, r[1] * 1.1];
    const lo = zero ? Math.min(r[0], 0) : r[0];
    const d = (r[1] - lo) * 0.05 || Math.abs(r[1]) * 0.05 || 1;
    return [zero && lo >= 0 ? Math.max(0, lo - d) : lo - d, r[1] + d];
  };
  const xBase: [number, number] = xLog ? [positiveMin(spec.series, 0), xDom[1]] : xDom;
  const yBase: [number, number] = yLog ? [positiveMin(spec.series, 1), yr[1]] : yr;
  const xs = makeScale(spec.xDomain ? xBase : pad(xBase, xLog, spec.xZero), [x0, x1], xLog, spec.xZero);
  const ys = makeScale(spec.yDomain ? yBase : pad(yBase, yLog, spec.yZero), [y0, y1], yLog, spec.yZero);
  const out: string[] = [];
  out.push(
    `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(spec.title)}" data-chart="${esc(spec.id)}" data-marks="${marks}" data-x-scale="${xs.log ? "log" : "linear"}" data-y-scale="${ys.log ? "log" : "linear"}">`,
  );
  // grid and axes
  const grid: string[] = [];
  const labels: string[] = [];
  for (const t of xs.ticks) {
    const x = px(xs(t));
    grid.push(`M${x} ${y0}V${y1}`);
    labels.push(`<text x="${x}" y="${y0 + 14}" text-anchor="middle">${esc(tickLabel(t))}</text>`);
  }
  for (const t of ys.ticks) {
    const y = px(ys(t));
    grid.push(`M${x0} ${y}H${x1}`);
    labels.push(
      `<text x="${x0 - 4}" y="${y}" text-anchor="end" dominant-baseline="middle">${esc(tickLabel(t))}</text>`,
    );
  }
  out.push(`<path class="grid" d="${grid.join("")}"/>`);
  out.push(`<path class="axis" d="M${x0} ${y1}V${y0}H${x1}"/>`);
  out.push(`<g class="ticks">${labels.join("")}</g>`);
  out.push(
    `<text class="axis-label" x="${px((x0 + x1) / 2)}" y="${H - 6}" text-anchor="middle">${esc(spec.xLabel)}${xs.log ? " (log scale)" : ""}</text>`,
  );
  out.push(
    `<text class="axis-label" transform="translate(12 ${px((y0 + y1) / 2)}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}${ys.log ? " (log)" : ""}</text>`,
  );
  out.push(
    `<svg x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}" viewBox="${x0} ${y1} ${x1 - x0} ${y0 - y1}" overflow="hidden">`,
  );
  for (const s of spec.series) out.push(drawSeries(s, xs, ys, y0));
  out.push(`</svg>`);
  (spec.markers ?? []).forEach((m, i) => {
    if (!Number.isFinite(m.x)) return;
    const x = xs(m.x);
    const color = m.color ?? "#555";
    // labels stacked, one line each, and on the left of their line near the right edge
    const right = x > x1 - 80;
    out.push(
      `<g class="marker" data-marker="${esc(m.label)}"><path d="M${px(x)} ${y0}V${y1}" stroke="${color}" stroke-dasharray="4 3"/><text x="${px(x)}" y="${y1 + 10 + 12 * i}" dx="${right ? -3 : 3}" text-anchor="${right ? "end" : "start"}" fill="${color}">${esc(m.label)}</text></g>`,
    );
  });
  if (spec.highlight) {
    const h = spec.highlight;
    const [hx, hy] = [px(xs(h.x)), px(ys(h.y))];
    const right = xs(h.x) > x1 - 90;
    out.push(
      `<g class="highlight"><circle cx="${hx}" cy="${hy}" r="9" fill="none" stroke="#c00" stroke-width="2"/><text x="${hx}" y="${hy}" dx="${right ? -12 : 12}" dy="-8" text-anchor="${right ? "end" : "start"}" fill="#c00">${esc(h.label)}</text></g>`,
    );
  }
  out.push(`</svg>`);
  const named = spec.series.filter((s) => s.name !== "");
  const legend =
    named.length > 1 || (named.length === 1 && spec.series.length > 1)
      ? `<div class="legend">${named.map((s) => `<span><i style="background:${s.color}"></i>${esc(s.name)}</span>`).join("")}</div>`
      : "";
  return `<figure class="chart"><div class="title">${esc(spec.title)}</div>${out.join("")}${legend}<figcaption>${esc(spec.caption)}</figcaption></figure>`;
}

function drawSeries(s: Series, xs: Scale, ys: Scale, yBase: number): string {
  const title = s.name ? `<title>${esc(s.name)}</title>` : "";
  const ok = (p: [number, number]) =>
    Number.isFinite(p[0]) && Number.isFinite(p[1]) && (!xs.log || p[0] > 0) && (!ys.log || p[1] > 0);
  const pts = s.points.filter(ok);
  if (s.kind === "dots") {
    const r = s.radius ?? 1.6;
    // one path of tiny round-capped segments: far smaller than a <circle> per point
    const d = pts.map((p) => `M${px(xs(p[0]))} ${px(ys(p[1]))}h0`).join("");
    return `<path class="dots" data-series="${esc(s.name)}" data-points="${pts.length}" d="${d}" stroke="${s.color}" stroke-width="${r * 2}" stroke-linecap="round" fill="none" opacity="0.6">${title}</path>`;
  }
  if (s.kind === "bars") {
    const w = s.width;
    const rects = s.points
      .map((p, i) => {
        if (!ok(p) || p[1] === 0) return "";
        const b = s.base?.[i] ?? 0;
        const [yt, yb] = [ys(p[1] + b), Math.min(ys(b), yBase)];
        const [xa, xb] = [xs(p[0] - w / 2), xs(p[0] + w / 2)];
        return `M${px(xa)} ${px(yb)}V${px(yt)}H${px(Math.max(xb, xa + 1))}V${px(yb)}Z`;
      })
      .join("");
    return `<path class="bars" data-series="${esc(s.name)}" data-points="${pts.length}" d="${rects}" fill="${s.color}">${title}</path>`;
  }
  let d = "";
  pts.forEach((p, i) => {
    const [x, y] = [px(xs(p[0])), px(ys(p[1]))];
    if (i === 0) d += `M${x} ${y}`;
    else if (s.kind === "step") d += `H${x}V${y}`;
    else d += `L${x} ${y}`;
  });
  const line = `<path class="line" data-series="${esc(s.name)}" data-points="${pts.length}" d="${d}" stroke="${s.color}" stroke-width="${s.width ?? 1.5}"${s.dash ? ` stroke-dasharray="5 3"` : ""} fill="none">${title}</path>`;
  if (!s.dots) return line;
  const dots = pts
    .map(
      (p, i) =>
        `<circle cx="${px(xs(p[0]))}" cy="${px(ys(p[1]))}" r="3" fill="${s.color}"><title>${esc(s.labels?.[i] ?? "")}</title></circle>${s.labels?.[i] ? `<text x="${px(xs(p[0]))}" y="${px(ys(p[1]))}" dx="4" dy="-5" class="point-label">${esc(s.labels[i])}</text>` : ""}`,
    )
    .join("");
  return line + dots;
}
