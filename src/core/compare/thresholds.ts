/**
 * `--threshold`, `--gate`, `--alpha` of `compare`: strings → validated settings. Pure.
 *
 *   --threshold 5%                          every relative metric (latencies, throughput)
 *   --threshold 2pp                         every proportion (error rate, cache hit rate)
 *   --threshold ttft_p95=10%,error_rate=0.5pp,tpot=3%   per metric, or per group (ttft, tpot, itl, e2e, throughput)
 *   --gate default,output_throughput        which metrics can fail the comparison ("all", "none", "default")
 */
import { UsageError } from "../errors.ts";
import { parseNumber } from "../options/values.ts";
import {
  DEFAULT_GATE,
  DEFAULT_PP_THRESHOLDS,
  DEFAULT_RELATIVE_THRESHOLD,
  METRIC_GROUPS,
  METRIC_NAMES,
  METRICS,
} from "./metrics.ts";

/** metric name → threshold: a fraction of the baseline (relative) or of 1 (percentage points) */
export type Thresholds = Record<string, number>;

const THRESHOLD_HINT = "e.g. --threshold 5% or --threshold ttft_p95=10%,error_rate=0.5pp";

function metricsNamed(name: string, flag: string): readonly string[] {
  if (METRIC_GROUPS[name]) return METRIC_GROUPS[name];
  if (METRIC_NAMES.includes(name)) return [name];
  throw new UsageError(
    `${flag}: unknown metric '${name}'`,
    `metrics: ${METRIC_NAMES.join(", ")}; groups: ${Object.keys(METRIC_GROUPS).join(", ")}`,
  );
}

function parseAmount(text: string, term: string): { value: number; unit: "%" | "pp" } {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(%|pp)\s*$/.exec(text);
  if (!m)
    throw new UsageError(
      `--threshold: '${term}' needs a unit: % (relative change) or pp (percentage points, for rates)`,
      THRESHOLD_HINT,
    );
  return { value: Number(m[1]) / 100, unit: m[2] as "%" | "pp" };
}

const isProportion = (name: string) => METRICS.find((m) => m.name === name)!.kind === "proportion";

/** Parse every --threshold value (the flag may be repeated; terms are comma-separated). */
export function parseThresholds(values: readonly string[]): Thresholds {
  const out: Thresholds = {};
  for (const m of METRICS)
    out[m.name] = m.kind === "proportion" ? DEFAULT_PP_THRESHOLDS[m.name] : DEFAULT_RELATIVE_THRESHOLD;
  const globals: string[] = [];
  const specific: Array<[string, string]> = [];
  for (const value of values) {
    for (const term of value
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean)) {
      const eq = term.indexOf("=");
      if (eq < 0) globals.push(term);
      else specific.push([term.slice(0, eq).trim(), term.slice(eq + 1)]);
    }
  }
  // a global value first, then per-metric overrides, whatever the order on the command line
  for (const term of globals) {
    const { value, unit } = parseAmount(term, term);
    for (const m of METRICS) if ((m.kind === "proportion") === (unit === "pp")) out[m.name] = value;
  }
  for (const [name, amount] of specific) {
    const term = `${name}=${amount}`;
    const { value, unit } = parseAmount(amount, term);
    for (const metric of metricsNamed(name, "--threshold")) {
      if (isProportion(metric) && unit === "%") {
        throw new UsageError(
          `--threshold: ${metric} is a rate; give its threshold in percentage points`,
          `e.g. --threshold ${metric}=0.5pp`,
        );
      }
      if (!isProportion(metric) && unit === "pp") {
        throw new UsageError(
          `--threshold: ${metric} changes are relative; give its threshold in %`,
          `e.g. --threshold ${metric}=10%`,
        );
      }
      out[metric] = value;
    }
  }
  return out;
}

/** Parse --gate: metric names and groups, "default", "all" or "none". */
export function parseGate(value: string | undefined): string[] {
  if (value === undefined) return [...DEFAULT_GATE];
  const out = new Set<string>();
  for (const term of value
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean)) {
    if (term === "none") continue;
    if (term === "all") METRIC_NAMES.forEach((n) => out.add(n));
    else if (term === "default") DEFAULT_GATE.forEach((n) => out.add(n));
    else metricsNamed(term, "--gate").forEach((n) => out.add(n));
  }
  return METRIC_NAMES.filter((n) => out.has(n));
}

export function parseAlpha(value: string | undefined): number {
  if (value === undefined) return 0.05;
  const hint = "e.g. --alpha 0.05 (95% intervals) or --alpha 0.01 (99%)";
  // the number parser every flag goes through (plain decimals: 1e-2 is refused as everywhere), then the open range (0, 0.5)
  const n = parseNumber("alpha", value, { min: 0, exclusiveMin: true }, 0.05);
  if (n >= 0.5) throw new UsageError(`--alpha must be a number between 0 and 0.5, got '${value}'`, hint);
  return n;
}
