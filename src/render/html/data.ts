/**
 * Per-request records → what the HTML report draws: sorted samples per metric, CDF points, requests
 * in flight, per-request latencies against send time, output tokens and errors per time bin.
 * Drawing is downsampled here (a CDF keeps a few hundred ranks, a scatter one point per occupied
 * cell, a step line its highest value per column); the numbers in the tables never come from this
 * file. Pure.
 */
import { ERROR_CLASSES, type ErrorClass } from "../../core/errors.ts";
import { deriveRequest, emptyValues, metricValues } from "../../core/metrics.ts";
import type { ResultRecord } from "../../core/result.ts";
import type { SerializedDigest } from "../../core/stats/digest.ts";

export const DIST_METRICS = ["ttft_ms", "tpot_ms", "itl_ms", "e2e_ms"] as const;
export type DistMetric = (typeof DIST_METRICS)[number];

/** What the charts need of each record, derived once per records array and latency origin (one pass of `deriveRequest`). */
export interface Derived {
  /** sorted values of each distribution, from the measured records (as the summary takes them) */
  samples: Record<DistMetric, Float64Array>;
  /** per record, in order: TTFT and E2E of a successful request (NaN otherwise), and its output tokens */
  ttft: Float64Array;
  e2e: Float64Array;
  out: Float64Array;
}

const DERIVED = new WeakMap<readonly ResultRecord[], Map<string, Derived>>();

/** Values gathered into one Float64Array of a known most size (no JS array of 10 million ITL gaps, no doubling copies). */
class Values {
  private readonly buf: Float64Array;
  private n = 0;
  constructor(capacity: number) {
    this.buf = new Float64Array(capacity);
  }
  push(v: number): void {
    this.buf[this.n++] = v;
  }
  /** sorted in place; a view when fewer values came than there was room for */
  sorted(): Float64Array {
    return (this.n === this.buf.length ? this.buf : this.buf.subarray(0, this.n)).sort();
  }
}

export function derived(records: readonly ResultRecord[], latencyFrom: "send" | "due"): Derived {
  let byOrigin = DERIVED.get(records);
  if (!byOrigin) DERIVED.set(records, (byOrigin = new Map()));
  const known = byOrigin.get(latencyFrom);
  if (known) return known;
  // room for every measured record's values (ITL: its gaps): what a successful request can give at most
  let measured = 0;
  let gaps = 0;
  for (const r of records) {
    if (r.phase !== "measured") continue;
    measured++;
    gaps += Math.max(0, r.tokenTimes.length - 1);
  }
  const grown: Record<DistMetric, Values> = {
    ttft_ms: new Values(measured),
    tpot_ms: new Values(measured),
    itl_ms: new Values(gaps),
    e2e_ms: new Values(measured),
  };
  const values = emptyValues();
  const n = records.length;
  const [ttft, e2e, out] = [new Float64Array(n).fill(NaN), new Float64Array(n).fill(NaN), new Float64Array(n)];
  records.forEach((r, i) => {
    const m = deriveRequest(r, latencyFrom);
    out[i] = m.outputTokens;
    if (m.ok) {
      if (m.ttftMs !== null) ttft[i] = m.ttftMs;
      if (m.e2eMs !== null) e2e[i] = m.e2eMs;
    }
    if (r.phase !== "measured") return;
    metricValues(m, values);
    for (const k of DIST_METRICS) for (const v of values[k]) grown[k].push(v);
  });
  const samples = {} as Record<DistMetric, Float64Array>;
  for (const k of DIST_METRICS) samples[k] = grown[k].sorted();
  const d = { samples, ttft, e2e, out };
  byOrigin.set(latencyFrom, d);
  return d;
}

/** The sorted values of every distribution the report draws, from the measured records (as the summary takes them). */
export function samplesOf(
  records: readonly ResultRecord[],
  latencyFrom: "send" | "due",
): Record<DistMetric, Float64Array> {
  return derived(records, latencyFrom).samples;
}

/**
 * CDF points of sorted samples: value → share of samples at or below it (rank i of n at i/(n−1),
 * numpy's rule). At most about `maxPoints`: half spread evenly over the ranks, half over the tail
 * on a log scale of 1 − q, so p99 and the maximum are drawn where they are.
 */
export function cdfPoints(sorted: ArrayLike<number>, maxPoints = 400): Array<[number, number]> {
  const n = sorted.length;
  if (n === 0) return [];
  if (n === 1) return [[sorted[0], 1]];
  const pick = new Set<number>();
  if (n <= maxPoints) for (let i = 0; i < n; i++) pick.add(i);
  else {
    const half = Math.floor(maxPoints / 2);
    for (let k = 0; k <= half; k++) pick.add(Math.round((k / half) * (n - 1)));
    // tail: 1 − q from 10% down to one sample
    const [a, b] = [Math.log(0.1), Math.log(1 / n)];
    for (let k = 0; k <= half; k++)
      pick.add(Math.min(n - 1, Math.round((1 - Math.exp(a + ((b - a) * k) / half)) * (n - 1))));
  }
  return [...pick].sort((x, y) => x - y).map((i) => [sorted[i], i / (n - 1)]);
}

/** An approximate CDF from a t-digest: each centroid at its mean and the middle of its ranks (what `--bounded` percentiles come from). */
export function digestCdf(d: SerializedDigest | undefined): Array<[number, number]> {
  if (!d || d.count === 0) return [];
  const n = d.count;
  const out: Array<[number, number]> = [[d.min, 0]];
  let before = 0;
  for (const [mean, k] of d.centroids) {
    out.push([mean, n > 1 ? Math.min(1, Math.max(0, (before + k / 2 - 0.5) / (n - 1))) : 1]);
    before += k;
  }
  out.push([d.max, 1]);
  return out;
}

/** Milliseconds → seconds for the time axis. */
const s = (ms: number) => ms / 1000;

/** The records' time span (s): first send → last end. */
export function timeSpan(records: readonly ResultRecord[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of records) {
    if (r.tSend < lo) lo = r.tSend;
    const end = r.tEnd ?? r.tokenTimes[r.tokenTimes.length - 1] ?? r.tFirstByte ?? r.tSend;
    if (end > hi) hi = end;
  }
  return lo <= hi ? [s(lo), s(hi)] : [0, 0];
}

/** When measuring began (s): the first measured send; null when nothing was measured. */
export function measuredFrom(records: readonly ResultRecord[]): number | null {
  let lo = Infinity;
  for (const r of records) if (r.phase === "measured" && r.tSend < lo) lo = r.tSend;
  return Number.isFinite(lo) ? s(lo) : null;
}

/**
 * Requests in flight over time (every phase: warm-up load is load), as the highest count inside
 * each of `columns` equal slices of the run: a step line that keeps every peak however many
 * requests there were.
 */
export function inFlight(records: readonly ResultRecord[], columns = 600): Array<[number, number]> {
  if (records.length === 0) return [];
  const [t0, t1] = timeSpan(records);
  const events: Array<[number, number]> = [];
  for (const r of records) {
    const end = r.tEnd ?? r.tokenTimes[r.tokenTimes.length - 1] ?? r.tFirstByte ?? r.tSend;
    events.push([s(r.tSend), 1], [s(end), -1]);
  }
  // at equal times a request that ends leaves before one that starts arrives
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const width = (t1 - t0) / columns || 1;
  const peak = new Array<number>(columns).fill(0);
  let count = 0;
  let col = 0;
  for (const [t, d] of events) {
    const c = Math.min(columns - 1, Math.floor((t - t0) / width));
    // columns the count held through without an event carry it
    for (; col < c; col++) {
      peak[col] = Math.max(peak[col], count);
      peak[col + 1] = count;
    }
    count += d;
    if (count > peak[c]) peak[c] = count;
  }
  return peak.map((v, i) => [t0 + i * width, v]);
}

export interface Scatter {
  points: Array<[number, number]>;
  /** how many values the points stand for */
  total: number;
}

/**
 * Points thinned for drawing: one per occupied cell of a `cols` × `rows` grid (on a log scale of y
 * when asked), so outliers and clusters stay visible and the drawing stays small at 100,000 requests.
 */
export function thin(points: Array<[number, number]>, cols = 320, rows = 120, yLog = false): Scatter {
  const total = points.length;
  if (total <= 2000) return { points, total };
  const fy = (v: number) => (yLog ? Math.log10(Math.max(v, 1e-9)) : v);
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const [x, y] of points) {
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (fy(y) < y0) y0 = fy(y);
    if (fy(y) > y1) y1 = fy(y);
  }
  const [wx, wy] = [(x1 - x0) / cols || 1, (y1 - y0) / rows || 1];
  const seen = new Set<number>();
  const out: Array<[number, number]> = [];
  for (const p of points) {
    const key =
      Math.min(cols - 1, Math.floor((p[0] - x0) / wx)) * (rows + 1) + Math.min(rows, Math.floor((fy(p[1]) - y0) / wy));
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return { points: out, total };
}

export interface PerRequest {
  /** [send time s, ms] for successful requests */
  ttft: { measured: Array<[number, number]>; warmup: Array<[number, number]> };
  e2e: { measured: Array<[number, number]>; warmup: Array<[number, number]> };
}

/** TTFT and E2E of every successful request against its send time (s). */
export function perRequest(records: readonly ResultRecord[], latencyFrom: "send" | "due"): PerRequest {
  const out: PerRequest = { ttft: { measured: [], warmup: [] }, e2e: { measured: [], warmup: [] } };
  const d = derived(records, latencyFrom);
  records.forEach((r, i) => {
    const side = r.phase === "measured" ? "measured" : "warmup";
    if (!Number.isNaN(d.ttft[i])) out.ttft[side].push([s(r.tSend), d.ttft[i]]);
    if (!Number.isNaN(d.e2e[i])) out.e2e[side].push([s(r.tSend), d.e2e[i]]);
  });
  return out;
}

/** A time bin (s) that cuts `spanS` into at most `maxBins`: 1 s when that fits, else the next of 2, 5, 10, 30, 60 … (sub-second for short runs). */
export function binWidth(spanS: number, maxBins = 300): number {
  const steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600];
  if (spanS >= 10) return steps.find((w) => w >= 1 && spanS / w <= maxBins) ?? 3600;
  return steps.find((w) => spanS / w <= 50) ?? 1;
}

/**
 * Output tokens per second in each time bin: a streamed request's tokens spread over its
 * token-bearing chunks (n ÷ chunks each), a non-streamed one's at its end. Every phase: what the
 * server produced.
 */
export function tokensPerSecond(
  records: readonly ResultRecord[],
  bin: number,
  latencyFrom: "send" | "due" = "send",
): Array<[number, number]> {
  if (records.length === 0) return [];
  const counts = derived(records, latencyFrom).out;
  const [t0, t1] = timeSpan(records);
  const n = Math.max(1, Math.ceil((t1 - t0) / bin + 1e-9));
  const tokens = new Array<number>(n).fill(0);
  const at = (t: number) => Math.min(n - 1, Math.max(0, Math.floor((s(t) - t0) / bin)));
  records.forEach((r, i) => {
    const out = counts[i];
    if (out <= 0) return;
    if (r.tokenTimes.length > 0) for (const t of r.tokenTimes) tokens[at(t)] += out / r.tokenTimes.length;
    else if (r.tEnd !== null) tokens[at(r.tEnd)] += out;
  });
  return tokens.map((k, i) => [t0 + (i + 0.5) * bin, k / bin]);
}

/** Failed requests per time bin and class (when the failure was seen), classes with none left out. */
export function errorsOverTime(
  records: readonly ResultRecord[],
  bin: number,
): Array<{ cls: ErrorClass; points: Array<[number, number]> }> {
  const failed = records.filter((r) => r.error !== null);
  if (failed.length === 0) return [];
  const [t0, t1] = timeSpan(records);
  const n = Math.max(1, Math.ceil((t1 - t0) / bin + 1e-9));
  const counts = new Map<ErrorClass, number[]>();
  for (const r of failed) {
    const cls = r.error!.class;
    if (!counts.has(cls)) counts.set(cls, new Array<number>(n).fill(0));
    counts.get(cls)![Math.min(n - 1, Math.max(0, Math.floor((s(r.tEnd ?? r.tSend) - t0) / bin)))]++;
  }
  return ERROR_CLASSES.filter((c) => counts.has(c)).map((cls) => ({
    cls,
    points: counts.get(cls)!.map((k, i) => [t0 + (i + 0.5) * bin, k] as [number, number]),
  }));
}
