/**
 * Baseline runs vs candidate runs → one verdict per metric, and the gate's outcome. Pure.
 *
 * The rule (the same for every metric): the change has an interval at confidence 1 − α; with
 * "worse" meaning higher latency or error rate, lower throughput or hit rate,
 *  - regressed: the whole interval is worse than the threshold,
 *  - improved: the whole interval is better than the threshold,
 *  - unchanged (~): the whole interval lies within ± the threshold,
 *  - inconclusive: the interval reaches both inside and beyond the threshold,
 *  - unjudged: no interval — too few samples for the percentile (quantile.ts says how many it
 *    needs), or a bare ratio (files without samples, one run per side), judged on the point only
 *    with `gateOnRatios`.
 *
 * The gate never passes what was not measured: a side without a successful request, an incomplete
 * run, or a gated metric measured on one side only fails it; a gated bare ratio leaves it
 * undecided. Only gated metrics decide; every metric is reported.
 */
import { UsageError } from "../errors.ts";
import { ms, pct } from "../format.ts";
import type { BaseFamily, Family, RunData } from "../importers/types.ts";
import { MetricDigest } from "../stats/digest.ts";
import { quantileSorted } from "../stats/percentiles.ts";
import { checkComparable, type ConfigDifference } from "./config.ts";
import { mannWhitney, type MannWhitneyMethod } from "./mannwhitney.ts";
import { FAMILY_LABELS, METRICS, QUANTILES, type Direction, type MetricDef, type MetricKind } from "./metrics.ts";
import { fisherExact, newcombeDifference } from "./proportions.ts";
import { quantileRatio, quantileSide, sideQuantile } from "./quantile.ts";
import { compareScalars } from "./scalars.ts";
import { compareShares, type ShareSide } from "./shares.ts";
import type { Thresholds } from "./thresholds.ts";

export const COMPARE_SCHEMA = "llmbench.compare/v1";

export interface CompareSettings {
  thresholds: Thresholds;
  gate: readonly string[];
  /** intervals are at confidence 1 − α */
  alpha: number;
  /** judge rows that have no interval (files without samples, one run per side) on their bare ratio */
  gateOnRatios: boolean;
}

/**
 * unchanged/improved/regressed/inconclusive: judged from the interval; unjudged: no interval
 * (too few samples, or a bare ratio) and so no verdict; unavailable: no number at all.
 */
export type Verdict = "improved" | "regressed" | "unchanged" | "inconclusive" | "unjudged" | "unavailable";

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
  /** why the metric is unavailable or unjudged, or what qualifies it */
  reason?: string;
  /** independent samples per side behind the interval (requests; for ITL, gaps over the design effect) */
  samples?: { base: number; cand: number };
  /** what the reader must know about this row: a percentile in a gap, different cache-hit shares, a distorted run */
  flags?: string[];
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
  /** why the gate fails whatever the metrics say: a side that measured nothing, an incomplete run, a gated metric one side did not measure */
  failures: string[];
  /** gated metrics with a bare ratio and no interval (no samples, one run per side): the gate cannot decide on them */
  undecided: string[];
  /** gated metrics without an interval that is not a bare ratio (too few samples, or an interval reaching 0): not judged */
  unjudged: string[];
  /**
   * failed: see `failures`; regressed: a gated metric regressed; undecided: a gated metric has only a
   * bare ratio; improved: none of these, and a gated metric improved; unchanged otherwise
   */
  verdict: "failed" | "regressed" | "undecided" | "improved" | "unchanged";
}

/** The verdict of a change with its interval (or the point alone) against a threshold. */
export function judge(
  change: number,
  interval: [number, number] | null,
  threshold: number,
  direction: Direction,
): Verdict {
  // "badness": positive = worse, whatever the direction
  const [lo, hi] = interval ?? [change, change];
  const [bLo, bHi] = direction === "lower" ? [lo, hi] : [-hi, -lo];
  if (Number.isNaN(bLo) || Number.isNaN(bHi)) return "inconclusive";
  if (bLo > threshold) return "regressed";
  if (bHi < -threshold) return "improved";
  if (bLo >= -threshold && bHi <= threshold) return "unchanged";
  return "inconclusive";
}

type Row = Omit<
  MetricResult,
  "name" | "label" | "unit" | "kind" | "direction" | "gated" | "threshold" | "changeUnit" | "verdict"
> & {
  /** no interval: the verdict is "unjudged" */
  unjudged?: boolean;
  /** a bare ratio (no samples, one run per side) */
  ratioOnly?: boolean;
  /** which side did not measure the metric */
  missingOn?: "base" | "cand" | "both";
};

const unavailable = (reason: string): Row => ({
  base: null,
  cand: null,
  change: null,
  interval: null,
  pValue: null,
  method: "none",
  reason,
});

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

/**
 * A side's percentile without samples: one file's own summary, or the merged t-digests of several
 * llmbench files; null when neither is there.
 */
function percentileWithoutSamples(
  runs: readonly RunData[],
  family: Family,
  p: "p50" | "p95" | "p99",
  q: number,
): number | null {
  if (runs.length === 1) return runs[0].summary[family]?.[p] ?? null;
  if (runs.every((r) => r.samples !== null)) {
    const all = Float64Array.from(
      runs.flatMap((r) => (family === "itl" ? r.samples!.itl.flat() : (r.samples![family] ?? []))),
    );
    return all.length > 0 ? quantileSorted(all.sort(), q) : null;
  }
  if (!runs.every((r) => r.digests?.[family as BaseFamily])) return null;
  const d = new MetricDigest();
  for (const r of runs) {
    try {
      d.merge(r.digests![family as BaseFamily]!);
    } catch (e) {
      throw new UsageError(
        `${r.source}: ${(e as Error).message}`,
        "the result file is damaged or was not written by llmbench",
      );
    }
  }
  return d.count > 0 ? (d.percentile(q) ?? null) : null;
}

const samplesReason = (p: string, needed: number, has: number, unit: string, alpha: number) =>
  `too few samples: ${p} needs ${needed} ${unit} per side for a ${Number(((1 - alpha) * 100).toFixed(2))}% interval (has ${Math.floor(has)})`;

function distributionRows(
  family: Family,
  base: readonly RunData[],
  cand: readonly RunData[],
  s: CompareSettings,
  notes: Set<string>,
): { rows: Row[]; test: DistributionTest | null } {
  const kinds = new Set([...base, ...cand].map((r) => r.ttftKind).filter((k) => k !== null));
  if (family === "ttft" && kinds.size > 1)
    notes.add(
      "TTFT is the time to the first byte in some files and to the first token in others: TTFT rows compare different things",
    );

  const withSamples = base.every((r) => r.samples !== null) && cand.every((r) => r.samples !== null);
  if (withSamples) {
    // runs → requests → values (ITL: a request's gaps; otherwise its one value)
    const perRun = (runs: readonly RunData[]) =>
      runs.map((r) => (family === "itl" ? r.samples!.itl : (r.samples![family] ?? []).map((x) => [x])));
    const rb = perRun(base);
    const rc = perRun(cand);
    const gb = rb.flat().filter((g) => g.length > 0);
    const gc = rc.flat().filter((g) => g.length > 0);
    if (gb.length === 0 || gc.length === 0) {
      const why = family === "tpot" || family === "itl" ? " (responses not streamed, or one token each)" : "";
      const which =
        gb.length === 0 && gc.length === 0
          ? "either side"
          : (gb.length === 0 ? base : cand).map((r) => r.source).join(", ");
      const row = unavailable(`not measured in ${which}${why}`);
      return {
        rows: QUANTILES.map(() => ({
          ...row,
          missingOn: gb.length === 0 && gc.length === 0 ? "both" : gb.length === 0 ? "base" : "cand",
        })),
        test: null,
      };
    }
    const sb = quantileSide(rb);
    const sc = quantileSide(rc);
    // ITL: one value per request (its median gap), since gaps of one request are not independent
    const testValues = (g: number[][]) =>
      family === "itl" ? g.map((gaps) => quantileSorted(Float64Array.from(gaps).sort(), 0.5)) : g.map((x) => x[0]);
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
    if (family === "itl")
      notes.add(
        "ITL gaps of one request are not independent: an ITL percentile's interval counts the gaps as N/deff independent values (deff, the design effect over requests)",
      );
    const unit = family === "itl" ? "independent gaps" : "requests";
    const several = base.length > 1 || cand.length > 1;
    const rows = QUANTILES.map(([p, q]): Row => {
      const b = sideQuantile(sb, q, s.alpha);
      const c = sideQuantile(sc, q, s.alpha);
      const samples = { base: b.nEff, cand: c.nEff };
      const flags: string[] = [];
      for (const [side, x] of [
        ["baseline", b],
        ["candidate", c],
      ] as const) {
        if (x.gap) flags.push(`in a gap of the ${side}: no sample between ${ms(x.gap[0])} and ${ms(x.gap[1])} ms`);
      }
      if (!(b.est > 0))
        return {
          ...unavailable(`the baseline's ${FAMILY_LABELS[family]} ${p} is ${b.est}: no ratio`),
          base: b.est,
          cand: c.est,
          samples,
        };
      const ratio = quantileRatio(b, c, s.alpha);
      const method = `order-statistic intervals of each side's ${p}${family === "itl" ? " (gaps weighted by the design effect)" : ""}${several ? ", widened to the run-to-run spread" : ""}, combined on the log scale (MOVER); p from the same interval`;
      if (!ratio) {
        const short = b.lo === null ? b : c;
        const reason =
          b.lo === null || c.lo === null
            ? family === "itl" && Math.min(b.nEff, c.nEff) >= short.needed
              ? `too few samples: ${p} of the gaps needs gaps from at least ${short.needed} requests per side (has ${Math.min(sb.clusters?.sizes.length ?? sb.sorted.length, sc.clusters?.sizes.length ?? sc.sorted.length)})`
              : samplesReason(p, short.needed, Math.min(b.nEff, c.nEff), unit, s.alpha)
            : `the interval of a side reaches 0 ms: no ratio interval`;
        return {
          base: b.est,
          cand: c.est,
          change: c.est / b.est - 1,
          interval: null,
          pValue: null,
          method,
          reason,
          samples,
          flags,
          unjudged: true,
        };
      }
      if (b.runSpread || c.runSpread) flags.push("widened by the run-to-run spread");
      return {
        base: b.est,
        cand: c.est,
        change: ratio.ratio - 1,
        interval: [ratio.lo - 1, ratio.hi - 1],
        pValue: ratio.pValue,
        method,
        samples,
        flags,
      };
    });
    return { rows, test };
  }

  // Fallback: no samples on a side: the ratio is shown, judged only with --gate-on-ratios
  const rows = QUANTILES.map(([p, q]): Row => {
    const b = percentileWithoutSamples(base, family, p, q);
    const c = percentileWithoutSamples(cand, family, p, q);
    if (b === null || c === null) {
      const missing = b === null ? base : cand;
      return unavailable(
        `${p} not available from ${missing.map((r) => r.source).join(", ")}${missing.length > 1 ? " (several files without samples or digests cannot be pooled)" : ""}`,
      );
    }
    if (!(b > 0))
      return { ...unavailable(`the baseline's ${FAMILY_LABELS[family]} ${p} is ${b}: no ratio`), base: b, cand: c };
    return {
      base: b,
      cand: c,
      change: c / b - 1,
      interval: null,
      pValue: null,
      method: `ratio of the files' percentiles (no per-request samples${base.length > 1 || cand.length > 1 ? "; several files pooled through their t-digests, approximate" : ""})`,
      reason: s.gateOnRatios
        ? "ratio only: no samples; judged on the bare ratio (--gate-on-ratios)"
        : "ratio only: no samples",
      unjudged: !s.gateOnRatios,
      ratioOnly: true,
    };
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

function scalarRow(
  name: string,
  base: readonly RunData[],
  cand: readonly RunData[],
  pick: (r: RunData) => number | null,
  s: CompareSettings,
  what: string,
): Row {
  const vb = base.map(pick);
  const vc = cand.map(pick);
  const missing = [...base.filter((_, i) => vb[i] === null), ...cand.filter((_, i) => vc[i] === null)];
  if (missing.length > 0) return unavailable(`${what} not available from ${missing.map((r) => r.source).join(", ")}`);
  if (![...vb, ...vc].every((v) => v! > 0)) return unavailable(`${what} is 0 in some run: no ratio`);
  const r = compareScalars(vb as number[], vc as number[], s.alpha);
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
    reason: tested
      ? undefined
      : `ratio only: ${r.runs.base === 1 && r.runs.cand === 1 ? "one run per side" : "one run on a side"}${s.gateOnRatios ? "; judged on the bare ratio (--gate-on-ratios)" : ""}`,
    unjudged: !tested && !s.gateOnRatios,
    ratioOnly: !tested,
  };
}

/** Σ cached ÷ Σ prompt tokens per side (runs pooled), its difference tested over requests (shares.ts). */
function cachedShareRow(base: readonly RunData[], cand: readonly RunData[], s: CompareSettings): Row {
  const without = [...base, ...cand].filter((r) => !r.prefixCache);
  if (without.length > 0) return unavailable(`no cached_tokens reported in ${without.map((r) => r.source).join(", ")}`);
  const side = (runs: readonly RunData[]): ShareSide => ({
    part: runs.reduce((a, r) => a + r.prefixCache!.part, 0),
    whole: runs.reduce((a, r) => a + r.prefixCache!.whole, 0),
    perRequest: runs.every((r) => r.prefixCache!.perRequest !== null)
      ? runs.flatMap((r) => r.prefixCache!.perRequest!)
      : null,
  });
  const d = compareShares(side(base), side(cand), s.alpha);
  const row: Row = {
    base: d.base,
    cand: d.cand,
    change: d.difference,
    interval: d.interval,
    pValue: d.pValue,
    method:
      "Σ cached ÷ Σ prompt tokens per side; delta-method interval of the difference over requests (a request's tokens are not independent); z-test",
  };
  if (d.n) row.samples = d.n;
  if (d.interval !== null) return row;
  const ratioOnly = d.n === null;
  return {
    ...row,
    method: ratioOnly ? "Σ cached ÷ Σ prompt tokens per side (no per-request records: no interval)" : row.method,
    reason: ratioOnly
      ? `difference only: no per-request records${s.gateOnRatios ? "; judged on the bare difference (--gate-on-ratios)" : ""}`
      : "too few requests for an interval (fewer than two on a side)",
    unjudged: ratioOnly ? !s.gateOnRatios : true,
    ratioOnly,
  };
}

export function compareRuns(base: readonly RunData[], cand: readonly RunData[], settings: CompareSettings): Comparison {
  if (base.length === 0 || cand.length === 0) throw new RangeError("compareRuns needs at least one run per side");
  const notes = new Set<string>();
  const failures: string[] = [];
  for (const r of [...base, ...cand]) {
    for (const n of r.notes) notes.add(n);
    if (!r.complete)
      failures.push(
        `${r.source} is incomplete (the run was interrupted or stopped early): it covers only the requests that finished; rerun it to the end`,
      );
    if (r.requests.succeeded === 0) {
      const what =
        r.requests.sent === 0
          ? "no measured request was sent (the run stopped before measuring)"
          : `all ${r.requests.sent} measured requests failed`;
      failures.push(`${r.source} has no successful measured request (${what}): nothing was measured to compare`);
    }
  }
  const rows = new Map<string, Row>();
  const tests: DistributionTest[] = [];
  // multi-turn sessions: TTFT of first and of later turns, where a side has them
  const turns = [...base, ...cand].some(
    (r) => (r.samples?.ttft_first_turn?.length ?? 0) > 0 || r.summary.ttft_first_turn,
  );
  for (const family of [
    "ttft",
    "tpot",
    "itl",
    "e2e",
    ...(turns ? (["ttft_first_turn", "ttft_later_turns"] as const) : []),
  ] as const) {
    const { rows: fr, test } = distributionRows(family, base, cand, settings, notes);
    QUANTILES.forEach(([p], i) => rows.set(`${family}_${p}`, fr[i]));
    if (test) tests.push(test);
  }
  const noSamples = [...base, ...cand].filter((r) => r.samples === null).map((r) => r.source);
  if (noSamples.length > 0) {
    notes.add(
      `no per-request samples in ${noSamples.join(", ")}: TTFT, TPOT, ITL and E2E show the files' percentiles as bare ratios, without interval or p-value, ${settings.gateOnRatios ? "judged on the ratio alone (--gate-on-ratios)" : "and are not judged (run with records, the default, for a real test; --gate-on-ratios judges the bare ratio)"}`,
    );
  }

  const sum = (runs: readonly RunData[], pick: (r: RunData) => number) => runs.reduce((s, r) => s + pick(r), 0);
  const sentB = sum(base, (r) => r.requests.sent);
  const sentC = sum(cand, (r) => r.requests.sent);
  rows.set(
    "error_rate",
    sentB > 0 && sentC > 0
      ? proportionRow(
          sum(base, (r) => r.requests.failed),
          sentB,
          sum(cand, (r) => r.requests.failed),
          sentC,
          settings.alpha,
        )
      : unavailable("no request was sent"),
  );
  const noCache = [...base, ...cand].filter((r) => r.cache === null);
  if (noCache.length > 0)
    rows.set("cache_hit_rate", unavailable(`no cache information in ${noCache.map((r) => r.source).join(", ")}`));
  else {
    const ofB = sum(base, (r) => r.cache!.of);
    const ofC = sum(cand, (r) => r.cache!.of);
    rows.set(
      "cache_hit_rate",
      ofB > 0 && ofC > 0
        ? proportionRow(
            sum(base, (r) => r.cache!.hits),
            ofB,
            sum(cand, (r) => r.cache!.hits),
            ofC,
            settings.alpha,
          )
        : unavailable("no request succeeded"),
    );
  }
  rows.set("cached_token_share", cachedShareRow(base, cand, settings));
  rows.set(
    "output_throughput",
    scalarRow("throughput", base, cand, (r) => r.throughput?.outputTokensPerS ?? null, settings, "output throughput"),
  );
  rows.set(
    "request_throughput",
    scalarRow("throughput", base, cand, (r) => r.throughput?.requestsPerS ?? null, settings, "request throughput"),
  );
  const slos = new Set([...base, ...cand].map((r) => r.goodput?.slo ?? null));
  if (slos.size === 1 && !slos.has(null))
    rows.set(
      "goodput",
      scalarRow("goodput", base, cand, (r) => r.goodput?.rps ?? null, settings, "goodput"),
    );
  else
    rows.set(
      "goodput",
      unavailable(slos.size > 1 ? "the runs have different or missing SLOs (--slo)" : "the runs have no SLOs (--slo)"),
    );

  // what qualifies every latency row: cache-hit shares that differ, runs the client distorted
  const cache = rows.get("cache_hit_rate")!;
  const latencyFlags: string[] = [];
  if (cache.pValue !== null && cache.pValue < settings.alpha && cache.base !== null && cache.cand !== null) {
    latencyFlags.push(`cache hits ${pct(cache.base, 0)} vs ${pct(cache.cand, 0)}`);
    notes.add(
      `the sides' cache-hit shares differ (${pct(cache.base, 0)} vs ${pct(cache.cand, 0)}, ${cache.pValue < 0.001 ? "p < 0.001" : `p = ${cache.pValue.toFixed(3)}`}): latencies mix fast hits and slow misses in different proportions, so their percentiles move for that reason alone; measure latency with --repeat-ratio 0`,
    );
  }
  const distorted = [...base, ...cand].filter((r) => r.distorted !== null);
  if (distorted.length > 0) {
    latencyFlags.push("distorted run");
    notes.add(
      `WARNING: the client distorted what it measured in ${distorted.map((r) => `${r.source} (${r.distorted})`).join("; ")}: latency verdicts include the client's own delays`,
    );
  }
  if (base.length === 1 || cand.length === 1) {
    notes.add(
      `one run on the ${base.length === 1 && cand.length === 1 ? "baseline and the candidate" : base.length === 1 ? "baseline" : "candidate"}: run-to-run noise is not covered by the intervals; cover it with several runs per side (llmbench run --runs 3, or b1.json b2.json b3.json -- c1.json c2.json c3.json)`,
    );
  }

  const metrics = METRICS.filter((def) => rows.has(def.name)).map((def): MetricResult => {
    const { unjudged, ratioOnly: _r, missingOn: _m, ...row } = rows.get(def.name)!;
    const threshold = settings.thresholds[def.name];
    const verdict: Verdict =
      row.change === null
        ? "unavailable"
        : unjudged
          ? "unjudged"
          : judge(row.change, row.interval, threshold, def.direction);
    const flags = [...(row.flags ?? []), ...(def.kind === "distribution" && row.change !== null ? latencyFlags : [])];
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
      ...(flags.length > 0 ? { flags } : { flags: undefined }),
      verdict,
    };
  });
  const gated = metrics.filter((m) => m.gated);
  const measuredNothing = (runs: readonly RunData[]) => runs.every((r) => r.requests.succeeded === 0);
  for (const m of gated) {
    const row = rows.get(m.name)!;
    // a side that measured nothing is one failure, not one per metric
    const side = row.missingOn === "base" ? base : row.missingOn === "cand" ? cand : null;
    if (side && !measuredNothing(side)) failures.push(`${m.name} (gated) ${m.reason}`);
  }
  if (gated.length === 0) failures.length = 0; // --gate none: nothing can fail
  // gated, but neither side has a row for it (per-turn TTFT of runs without sessions, the cached share
  // without cached_tokens): it decides nothing, and the reader is told so rather than seeing it pass
  const unmeasured = settings.gate.filter((name) => !rows.has(name));
  if (unmeasured.length > 0) {
    notes.add(`gated but measured by neither side, so they decide nothing: ${unmeasured.join(", ")}`);
  }
  const undecided = gated.filter((m) => m.verdict === "unjudged" && rows.get(m.name)!.ratioOnly).map((m) => m.name);
  const unjudgedNames = gated
    .filter((m) => m.verdict === "unjudged" && !rows.get(m.name)!.ratioOnly)
    .map((m) => m.name);
  const counts: Record<Verdict, number> = {
    regressed: 0,
    improved: 0,
    unchanged: 0,
    inconclusive: 0,
    unjudged: 0,
    unavailable: 0,
  };
  for (const m of metrics) counts[m.verdict]++;
  const gatedRegressions = gated.filter((m) => m.verdict === "regressed").map((m) => m.name);
  const gatedImprovements = gated.filter((m) => m.verdict === "improved").map((m) => m.name);
  const verdict: Comparison["verdict"] =
    failures.length > 0
      ? "failed"
      : gatedRegressions.length > 0
        ? "regressed"
        : undecided.length > 0
          ? "undecided"
          : gatedImprovements.length > 0
            ? "improved"
            : "unchanged";
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
    failures,
    undecided,
    unjudged: unjudgedNames,
    verdict,
  };
}
