/**
 * Service-level objectives: `--slo ttft_p95=200ms,tpot_p50=30ms,e2e_p99=5s`.
 * Each term bounds a metric. Per request, a request is "good" when it meets every bound that a
 * single request can be held to (TTFT, TPOT, E2E: its own value ≤ the bound); goodput counts the
 * good requests per second. Per run, each term's percentile (p50 if none is named) must be within
 * its bound. ITL terms are checked on the run only (a request has many ITL gaps).
 */
import { UsageError } from "./errors.ts";
import type { Distribution } from "./stats/percentiles.ts";
import { parseTimeMs } from "./options/values.ts";

export const SLO_METRICS = ["ttft", "tpot", "itl", "e2e"] as const;
export type SloMetric = (typeof SLO_METRICS)[number];
/** metrics a run measures only on streamed answers (unstreamed, they are null, never invented) */
export const STREAM_ONLY_METRICS: readonly SloMetric[] = ["tpot", "itl"];
const PERCENTILES = ["p50", "p90", "p95", "p99"] as const;
type Pct = (typeof PERCENTILES)[number];

export interface SloTerm {
  /** as written: ttft_p95 */
  name: string;
  metric: SloMetric;
  percentile: Pct;
  boundMs: number;
}

export function parseSlo(value: string): SloTerm[] {
  const hint =
    "e.g. --slo ttft_p95=200ms,tpot_p50=30ms,e2e_p99=5s (metrics: ttft, tpot, itl, e2e; percentiles p50 p90 p95 p99)";
  return value
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "")
    .map((part) => {
      const m = /^([a-z][a-z0-9]*?)(?:_(p\d+))?\s*(?:<=|=|<)\s*(.+)$/.exec(part);
      if (!m) throw new UsageError(`--slo term '${part}' is not metric_pNN=TIME`, hint);
      const metric = m[1] as SloMetric;
      const percentile = (m[2] ?? "p50") as Pct;
      if (!SLO_METRICS.includes(metric)) throw new UsageError(`--slo: unknown metric '${m[1]}' in '${part}'`, hint);
      if (!PERCENTILES.includes(percentile))
        throw new UsageError(`--slo: unknown percentile '${m[2]}' in '${part}'`, hint);
      const boundMs = parseTimeMs(m[3], "ms");
      if (boundMs === undefined || boundMs <= 0)
        throw new UsageError(`--slo: '${m[3]}' in '${part}' is not a positive time`, hint);
      return { name: `${metric}_${percentile}`, metric, percentile, boundMs };
    });
}

export interface RequestValues {
  ttftMs: number | null;
  tpotMs: number | null;
  e2eMs: number | null;
}

/** Does one successful request meet every per-request bound? An unmeasured value (null) does not. */
export function meetsSlo(terms: readonly SloTerm[], r: RequestValues): boolean {
  for (const t of terms) {
    if (t.metric === "itl") continue;
    const v = t.metric === "ttft" ? r.ttftMs : t.metric === "tpot" ? r.tpotMs : r.e2eMs;
    if (v === null || v > t.boundMs) return false;
  }
  return true;
}

/** met: within the bound; missed: beyond it; not measured: the run has no value for the metric (e.g. TPOT of unstreamed answers). */
export type SloStatus = "met" | "missed" | "not measured";

export interface SloResult {
  /** `passed` is status === "met": a term not measured is not shown to hold */
  terms: Array<{ name: string; bound_ms: number; value_ms: number | null; passed: boolean; status: SloStatus }>;
  passed: boolean;
  good_requests: number;
  goodput_rps: number;
}

export function checkSlo(
  terms: readonly SloTerm[],
  dists: Record<`${SloMetric}_ms`, Distribution | null>,
  goodRequests: number,
  windowS: number,
): SloResult {
  const results = terms.map((t) => {
    const value = dists[`${t.metric}_ms`]?.[t.percentile] ?? null;
    const status: SloStatus = value === null ? "not measured" : value <= t.boundMs ? "met" : "missed";
    return { name: t.name, bound_ms: t.boundMs, value_ms: value, passed: status === "met", status };
  });
  return {
    terms: results,
    passed: results.every((r) => r.passed),
    good_requests: goodRequests,
    goodput_rps: windowS > 0 ? goodRequests / windowS : 0,
  };
}
