/**
 * Baseline runs vs candidate runs → one verdict per metric, and an overall verdict. Pure.
 *
 * The rule (the same for every metric): the change has an interval at confidence 1 − α; with
 * "worse" meaning higher latency or error rate, lower throughput or hit rate,
 *  - regressed: the whole interval is worse than the threshold,
 *  - improved: the whole interval is better than the threshold,
 *  - unchanged (~): the whole interval lies within ± the threshold,
 *  - inconclusive ("too few samples to tell"): the interval reaches both inside and beyond the threshold.
 * Where there is no interval (a ratio of two numbers: one run per side, or percentiles of files
 * without samples) the point stands for the interval, and the report says so.
 *
 * Only gated metrics decide the outcome; every metric is reported.
 */
import { UsageError } from "../errors.ts";
import type { Family, RunData } from "../importers/types.ts";
import { createRng, hashString } from "../rng.ts";
import { MetricDigest } from "../stats/digest.ts";
import { quantileSorted } from "../stats/percentiles.ts";
import { bootstrapPercentileRatios, groupedRuns } from "./bootstrap.ts";
import { checkComparable, type ConfigDifference } from "./config.ts";
import { mannWhitney, type MannWhitneyMethod } from "./mannwhitney.ts";
import { METRICS, QUANTILES, type Direction, type MetricDef, type MetricKind } from "./metrics.ts";
import { fisherExact, newcombeDifference } from "./proportions.ts";
import { compareScalars } from "./scalars.ts";
import type { Thresholds } from "./thresholds.ts";

export const COMPARE_SCHEMA = "llmbench.compare/v1";

export interface CompareSettings {
  thresholds: Thresholds;
  gate: readonly string[];
  /** intervals are at confidence 1 − α */
  alpha: number;
  resamples: number;
  seed: number;
}

export type Verdict = "improved" | "regressed" | "unchanged" | "inconclusive" | "unavailable";

export interface MetricResult {
  name: string;
  label: string;
  unit: MetricDef["unit"];
  kind: MetricKind;
  direction: Direction;
  gated: boolean;
  /** relative (fraction of the baseline) for latencies and throughput; percentage points (fraction of 1) for rates */
  threshold: number;
  changeUnit: "relative" | "pp";
  /** ms, tok/s, req/s, or a fraction for rates */
  base: number | null;
  cand: number | null;
  change: number | null;
  /** interval of the change at confidence 1 − α; null when there is none */
  interval: [number, number] | null;
  pValue: number | null;
  /** how the numbers were obtained */
  method: string;
  verdict: Verdict;
  /** why the metric is unavailable, or what qualifies it */
  reason?: string;
}

export interface DistributionTest {
  family: Family;
  test: "mann-whitney-u";
  method: MannWhitneyMethod;
  /** what one value is: a request's value, or (ITL) a request's median gap */
  unit: "request" | "request median gap";
  u: number;
  nBase: number;
  nCand: number;
  /** U/(n₁n₂): P(candidate > baseline) + ½ P(tie) */
  effect: number;
  z: number | null;
  pValue: number;
}

export interface SideSummary {
  files: string[];
  formats: string[];
  tools: string[];
  requests: { sent: number; succeeded: number; failed: number };
  /** files without per-request samples */
  withoutSamples: string[];
}

export interface Comparison {
  schema: typeof COMPARE_SCHEMA;
  base: SideSummary;
  cand: SideSummary;
  settings: CompareSettings;
  /** configuration differences: all notes unless the caller allowed a mismatch */
  differences: ConfigDifference[];
  metrics: MetricResult[];
  tests: DistributionTest[];
  notes: string[];
  counts: Record<Verdict, number>;
  gatedRegressions: string[];
  gatedImprovements: string[];
  /** regressed: a gated metric regressed; improved: none did and one improved; unchanged otherwise */
  verdict: "regressed" | "improved" | "unchanged";
}

/** The verdict of a change with its interval (or the point alone) against a threshold. */
export function judge(change: number, interval: [number, number] | null, threshold: number, direction: Direction): Verdict {
  // "badness": positive = worse, whatever the direction
  const [lo, hi] = interval ?? [change, change];
  const [bLo, bHi] = direction === "lower" ? [lo, hi] : [-hi, -lo];
  if (Number.isNaN(bLo) || Number.isNaN(bHi)) return "inconclusive";
  if (bLo > threshold) return "regressed";
  if (bHi < -threshold) return "improved";
  if (bLo >= -threshold && bHi <= threshold) return "unchanged";
  return "inconclusive";
}

type Row = Omit<MetricResult, "name" | "label" | "unit" | "kind" | "direction" | "gated" | "threshold" | "changeUnit" | "verdict">;

const unavailable = (reason: string): Row => ({ base: null, cand: null, change: null, interval: null, pValue: null, method: "none", reason });

function sideSummary(runs: readonly RunData[]): SideSummary {
  const sum = (k: "sent" | "succeeded" | "failed") => runs.reduce((s, r) => s + r.requests[k], 0);
  return {
    files: runs.map((r) => r.source),
    formats: [...new Set(runs.map((r) => r.format))],
    tools: [...new Set(runs.map((r) => r.tool))],
    requests: { sent: sum("sent"), succeeded: sum("succeeded"), failed: sum("failed") },
    withoutSamples: runs.filter((r) => r.samples === null).map((r) => r.source),
  };
}

const FAMILY_WORD: Record<Family, string> = { ttft: "TTFT", tpot: "TPOT", itl: "ITL", e2e: "E2E" };

/**
 * A side's percentile without samples: one file's own summary, or the merged t-digests of several
 * llmbench files; null when neither is there.
 */
function percentileWithoutSamples(runs: readonly RunData[], family: Family, p: "p50" | "p95" | "p99", q: number): number | null {
  if (runs.length === 1) return runs[0].summary[family]?.[p] ?? null;
  if (runs.every((r) => r.samples !== null)) {
    const all = Float64Array.from(runs.flatMap((r) => (family === "itl" ? r.samples!.itl.flat() : r.samples![family])));
    return all.length > 0 ? quantileSorted(all.sort(), q) : null;
  }
  if (!runs.every((r) => r.digests?.[family])) return null;
  const d = new MetricDigest();
  for (const r of runs) {
    try {
      d.merge(r.digests![family]!);
    } catch (e) {
      throw new UsageError(`${r.source}: ${(e as Error).message}`, "the result file is damaged or was not written by llmbench");
    }
  }
  return d.count > 0 ? (d.percentile(q) ?? null) : null;
}

function distributionRows(family: Family, base: readonly RunData[], cand: readonly RunData[], s: CompareSettings, notes: Set<string>): { rows: Row[]; test: DistributionTest | null } {
  const quantiles = QUANTILES.map(([, q]) => q);
  const kinds = new Set([...base, ...cand].map((r) => r.ttftKind).filter((k) => k !== null));
  if (family === "ttft" && kinds.size > 1) notes.add("TTFT is the time to the first byte in some files and to the first token in others: TTFT rows compare different things");

  const withSamples = base.every((r) => r.samples !== null) && cand.every((r) => r.samples !== null);
  if (withSamples) {
    // runs → requests → values (ITL: a request's gaps; otherwise its one value)
    const perRun = (runs: readonly RunData[]) => runs.map((r) => (family === "itl" ? r.samples!.itl : r.samples![family].map((x) => [x])));
    const rb = perRun(base);
    const rc = perRun(cand);
    const gb = rb.flat();
    const gc = rc.flat();
    if (gb.length === 0 || gc.length === 0) {
      const side = gb.length === 0 ? base : cand;
      const why = family === "tpot" || family === "itl" ? " (responses not streamed, or one token each)" : "";
      return { rows: quantiles.map(() => unavailable(`not measured in ${side.map((r) => r.source).join(", ")}${why}`)), test: null };
    }
    const sb = groupedRuns(rb);
    const sc = groupedRuns(rc);
    const rng = createRng(hashString(`${s.seed}:${family}`));
    const ratios = bootstrapPercentileRatios(sb, sc, quantiles, { resamples: s.resamples, alpha: s.alpha, rng });
    // ITL: one value per request (its median gap), since gaps of one request are not independent
    const testValues = (g: number[][]) => (family === "itl" ? g.map((gaps) => quantileSorted(Float64Array.from(gaps).sort(), 0.5)) : g.map((x) => x[0]));
    const mw = mannWhitney(testValues(gb), testValues(gc));
    const test: DistributionTest = {
      family,
      test: "mann-whitney-u",
      method: mw.method,
      unit: family === "itl" ? "request median gap" : "request",
      u: mw.u,
      nBase: mw.nBase,
      nCand: mw.nCand,
      effect: mw.effect,
      z: mw.z,
      pValue: mw.pValue,
    };
    if (family === "itl") notes.add("ITL gaps of one request are not independent: ITL percentiles are resampled by request, and ITL's U test compares each request's median gap");
    const rows = ratios.map((r): Row => {
      if (!(r.base > 0)) return { ...unavailable(`the baseline's ${FAMILY_WORD[family]} is ${r.base}: no ratio`), base: r.base, cand: r.cand };
      return {
        base: r.base,
        cand: r.cand,
        change: r.ratio - 1,
        interval: [r.lo - 1, r.hi - 1],
        pValue: mw.pValue,
        method: `bootstrap of the percentile ratio (${s.resamples} resamples, by ${base.length > 1 || cand.length > 1 ? "run and " : ""}request); Mann-Whitney U (${mw.method})`,
      };
    });
    return { rows, test };
  }

  // Fallback: no samples on a side
  const rows = QUANTILES.map(([p, q]): Row => {
    const b = percentileWithoutSamples(base, family, p, q);
    const c = percentileWithoutSamples(cand, family, p, q);
    if (b === null || c === null) {
      const missing = b === null ? base : cand;
      return unavailable(`${p} not available from ${missing.map((r) => r.source).join(", ")}${missing.length > 1 ? " (several files without samples or digests cannot be pooled)" : ""}`);
    }
    if (!(b > 0)) return { ...unavailable(`the baseline's ${FAMILY_WORD[family]} ${p} is ${b}: no ratio`), base: b, cand: c };
    return { base: b, cand: c, change: c / b - 1, interval: null, pValue: null, method: "ratio of the files' percentiles (no per-request samples)", reason: "ratio only: no samples" };
  });
  return { rows, test: null };
}

function proportionRow(kb: number, nb: number, kc: number, nc: number, alpha: number): Row {
  const d = newcombeDifference(kb, nb, kc, nc, alpha);
  return {
    base: kb / nb,
    cand: kc / nc,
    change: d.difference,
    interval: [d.lo, d.hi],
    pValue: fisherExact(kb, nb, kc, nc),
    method: "Newcombe interval of the difference; Fisher's exact test",
  };
}

function scalarRow(name: string, base: readonly RunData[], cand: readonly RunData[], pick: (r: RunData) => number | null, alpha: number, what: string): Row {
  const vb = base.map(pick);
  const vc = cand.map(pick);
  const missing = [...base.filter((_, i) => vb[i] === null), ...cand.filter((_, i) => vc[i] === null)];
  if (missing.length > 0) return unavailable(`${what} not available from ${missing.map((r) => r.source).join(", ")}`);
  if (![...vb, ...vc].every((v) => v! > 0)) return unavailable(`${what} is 0 in some run: no ratio`);
  const r = compareScalars(vb as number[], vc as number[], alpha);
  const tested = r.lo !== null && r.hi !== null;
  return {
    base: r.base,
    cand: r.cand,
    change: r.ratio - 1,
    interval: tested ? [r.lo! - 1, r.hi! - 1] : null,
    pValue: r.pValue,
    method: tested
      ? `Welch's t-test on log ${name} across runs (${r.runs.base} vs ${r.runs.cand}); geometric means`
      : `ratio of ${r.runs.base === 1 && r.runs.cand === 1 ? "one run per side" : `${r.runs.base} vs ${r.runs.cand} runs`}: no interval or p-value`,
    reason: tested ? undefined : "ratio only: one run per side",
  };
}

export function compareRuns(base: readonly RunData[], cand: readonly RunData[], settings: CompareSettings): Comparison {
  if (base.length === 0 || cand.length === 0) throw new RangeError("compareRuns needs at least one run per side");
  const notes = new Set<string>();
  for (const r of [...base, ...cand]) {
    for (const n of r.notes) notes.add(n);
    if (!r.complete) notes.add(`${r.source} is incomplete (the run was interrupted): it covers only the requests that finished`);
  }
  const rows = new Map<string, Row>();
  const tests: DistributionTest[] = [];
  for (const family of ["ttft", "tpot", "itl", "e2e"] as const) {
    const { rows: fr, test } = distributionRows(family, base, cand, settings, notes);
    QUANTILES.forEach(([p], i) => rows.set(`${family}_${p}`, fr[i]));
    if (test) tests.push(test);
  }
  const noSamples = [...base, ...cand].filter((r) => r.samples === null).map((r) => r.source);
  if (noSamples.length > 0) {
    notes.add(
      `no per-request samples in ${noSamples.join(", ")}: TTFT, TPOT, ITL and E2E compare the files' percentiles as plain ratios, without interval or p-value (run with records, the default, for a real test)`,
    );
  }

  const sum = (runs: readonly RunData[], pick: (r: RunData) => number) => runs.reduce((s, r) => s + pick(r), 0);
  const sentB = sum(base, (r) => r.requests.sent);
  const sentC = sum(cand, (r) => r.requests.sent);
  rows.set(
    "error_rate",
    sentB > 0 && sentC > 0 ? proportionRow(sum(base, (r) => r.requests.failed), sentB, sum(cand, (r) => r.requests.failed), sentC, settings.alpha) : unavailable("no request was sent"),
  );
  const noCache = [...base, ...cand].filter((r) => r.cache === null);
  if (noCache.length > 0) rows.set("cache_hit_rate", unavailable(`no cache information in ${noCache.map((r) => r.source).join(", ")}`));
  else {
    const ofB = sum(base, (r) => r.cache!.of);
    const ofC = sum(cand, (r) => r.cache!.of);
    rows.set(
      "cache_hit_rate",
      ofB > 0 && ofC > 0 ? proportionRow(sum(base, (r) => r.cache!.hits), ofB, sum(cand, (r) => r.cache!.hits), ofC, settings.alpha) : unavailable("no request succeeded"),
    );
  }
  rows.set("output_throughput", scalarRow("throughput", base, cand, (r) => r.throughput?.outputTokensPerS ?? null, settings.alpha, "output throughput"));
  rows.set("request_throughput", scalarRow("throughput", base, cand, (r) => r.throughput?.requestsPerS ?? null, settings.alpha, "request throughput"));
  const slos = new Set([...base, ...cand].map((r) => r.goodput?.slo ?? null));
  if (slos.size === 1 && !slos.has(null)) rows.set("goodput", scalarRow("goodput", base, cand, (r) => r.goodput?.rps ?? null, settings.alpha, "goodput"));
  else rows.set("goodput", unavailable(slos.size > 1 ? "the runs have different or missing SLOs (--slo)" : "the runs have no SLOs (--slo)"));
  if (base.length === 1 || cand.length === 1) {
    notes.add("one run on a side: throughput is a ratio of two numbers, with no interval or p-value; pass several files per side (b1.json b2.json -- c1.json c2.json) for a test across runs");
  }

  const metrics = METRICS.map((def): MetricResult => {
    const row = rows.get(def.name)!;
    const threshold = settings.thresholds[def.name];
    const verdict = row.change === null ? "unavailable" : judge(row.change, row.interval, threshold, def.direction);
    return {
      name: def.name,
      label: def.label,
      unit: def.unit,
      kind: def.kind,
      direction: def.direction,
      gated: settings.gate.includes(def.name),
      threshold,
      changeUnit: def.kind === "proportion" ? "pp" : "relative",
      ...row,
      verdict,
    };
  });
  const counts: Record<Verdict, number> = { regressed: 0, improved: 0, unchanged: 0, inconclusive: 0, unavailable: 0 };
  for (const m of metrics) counts[m.verdict]++;
  const gatedRegressions = metrics.filter((m) => m.gated && m.verdict === "regressed").map((m) => m.name);
  const gatedImprovements = metrics.filter((m) => m.gated && m.verdict === "improved").map((m) => m.name);
  return {
    schema: COMPARE_SCHEMA,
    base: sideSummary(base),
    cand: sideSummary(cand),
    settings: { ...settings, gate: [...settings.gate] },
    differences: checkComparable(base, cand),
    metrics,
    tests,
    notes: [...notes],
    counts,
    gatedRegressions,
    gatedImprovements,
    verdict: gatedRegressions.length > 0 ? "regressed" : gatedImprovements.length > 0 ? "improved" : "unchanged",
  };
}
