/** The metrics `compare` reports: names, labels, which way is better, and how each is tested. */
import type { Family } from "../importers/types.ts";

/** distribution: per-request samples (order-statistic intervals + Mann–Whitney); proportion: k of n; scalar: one number per run */
export type MetricKind = "distribution" | "proportion" | "scalar";
export type Direction = "lower" | "higher";

export interface MetricDef {
  /** as written in --threshold and --gate: ttft_p95, error_rate */
  name: string;
  /** as printed: "TTFT p95" */
  label: string;
  unit: "ms" | "%" | "tok/s" | "req/s";
  kind: MetricKind;
  direction: Direction;
  /** distributions: the family and the quantile */
  family?: Family;
  q?: number;
}

/** How each latency family is named in compare's rows, reasons and test lines. */
export const FAMILY_LABELS: Record<Family, string> = {
  ttft: "TTFT",
  tpot: "TPOT",
  itl: "ITL",
  e2e: "E2E",
  ttft_first_turn: "TTFT turn 1",
  ttft_later_turns: "TTFT later turns",
};
export const QUANTILES = [
  ["p50", 0.5],
  ["p95", 0.95],
  ["p99", 0.99],
] as const;

export const METRICS: readonly MetricDef[] = [
  // the turn families: rows only where a side ran multi-turn sessions
  ...(["ttft", "tpot", "itl", "e2e", "ttft_first_turn", "ttft_later_turns"] as const).flatMap((family) =>
    QUANTILES.map(
      ([p, q]): MetricDef => ({
        name: `${family}_${p}`,
        label: `${FAMILY_LABELS[family]} ${p}`,
        unit: "ms",
        kind: "distribution",
        direction: "lower",
        family,
        q,
      }),
    ),
  ),
  { name: "error_rate", label: "error rate", unit: "%", kind: "proportion", direction: "lower" },
  { name: "cache_hit_rate", label: "cache hit rate", unit: "%", kind: "proportion", direction: "higher" },
  { name: "cached_token_share", label: "prefix cached share", unit: "%", kind: "proportion", direction: "higher" },
  { name: "output_throughput", label: "output tok/s", unit: "tok/s", kind: "scalar", direction: "higher" },
  { name: "request_throughput", label: "requests/s", unit: "req/s", kind: "scalar", direction: "higher" },
  { name: "goodput", label: "goodput req/s", unit: "req/s", kind: "scalar", direction: "higher" },
];

export const METRIC_NAMES = METRICS.map((m) => m.name);

/** Names that stand for several metrics in --threshold and --gate. */
export const METRIC_GROUPS: Record<string, readonly string[]> = {
  ttft: ["ttft_p50", "ttft_p95", "ttft_p99"],
  tpot: ["tpot_p50", "tpot_p95", "tpot_p99"],
  itl: ["itl_p50", "itl_p95", "itl_p99"],
  e2e: ["e2e_p50", "e2e_p95", "e2e_p99"],
  throughput: ["output_throughput", "request_throughput"],
};

/**
 * Gated by default: the central and tail latencies a user feels, and errors. p99 needs 368 requests
 * per side for an interval, so it is reported, not gated; throughput of one run per side has no
 * interval, so it is reported too (gate it with several runs per side).
 */
export const DEFAULT_GATE: readonly string[] = [
  "ttft_p50",
  "ttft_p95",
  "tpot_p50",
  "tpot_p95",
  "e2e_p50",
  "e2e_p95",
  "error_rate",
];

/** Default thresholds: relative for distributions and scalars, in percentage points (as a fraction) for proportions. */
export const DEFAULT_RELATIVE_THRESHOLD = 0.05;
export const DEFAULT_PP_THRESHOLDS: Record<string, number> = {
  error_rate: 0.01,
  cache_hit_rate: 0.05,
  cached_token_share: 0.05,
};
