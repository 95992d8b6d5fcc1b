/** A Comparison → text (aligned table), markdown (for a pull request or $GITHUB_STEP_SUMMARY), JSON. Pure. */
import type { Comparison, MetricResult, Verdict } from "../core/compare/compare.ts";
import { summarizeDifferences } from "../core/compare/config.ts";
import { FAMILY_LABELS, METRICS } from "../core/compare/metrics.ts";
import { ms, pct } from "../core/format.ts";
import type { CompareFormat } from "../core/options/compare.ts";

export interface RenderOptions {
  /** leave out rows whose verdict is unchanged or unavailable */
  hideUnchanged?: boolean;
}

const MINUS = "−";

function fixed(x: number, digits: number): string {
  return x.toFixed(digits).replace(/^-/, MINUS);
}

/** A value in its unit: ms like the run report, rates in %, throughput with one or two decimals. */
export function formatValue(m: Pick<MetricResult, "unit">, x: number | null): string {
  if (x === null || !Number.isFinite(x)) return "-";
  switch (m.unit) {
    case "ms":
      return ms(x).replace(/^-/, MINUS);
    case "%":
      return pct(x).replace(/^-/, MINUS);
    case "tok/s":
      return fixed(x, 1);
    case "req/s":
      return fixed(x, 2);
  }
}

function signed(x: number, unit: "relative" | "pp"): string {
  if (!Number.isFinite(x)) return x > 0 ? "+∞" : x < 0 ? `${MINUS}∞` : "?";
  const v = x * 100;
  const digits = Math.abs(v) >= 100 ? 0 : 1;
  const s = Math.abs(v).toFixed(digits);
  const sign = Number(s) === 0 ? "±" : v > 0 ? "+" : MINUS;
  return `${sign}${s}${unit === "pp" ? "pp" : "%"}`;
}

export function formatChange(m: MetricResult): string {
  return m.change === null ? "-" : signed(m.change, m.changeUnit);
}

export function formatInterval(m: MetricResult, sep = ", "): string {
  if (!m.interval) return "-";
  return `[${signed(m.interval[0], m.changeUnit)}${sep}${signed(m.interval[1], m.changeUnit)}]`;
}

export function formatP(p: number | null): string {
  if (p === null || Number.isNaN(p)) return "-";
  if (p < 0.001) return "<0.001";
  return p >= 0.1 ? p.toFixed(2) : p.toFixed(3);
}

/** A verdict in words, in the terminal and on the HTML page. */
export const VERDICT_TEXT: Record<Verdict, string> = {
  regressed: "regressed",
  improved: "improved",
  unchanged: "~",
  inconclusive: "inconclusive",
  unjudged: "not judged",
  unavailable: "n/a",
};

const VERDICT_MD: Record<Verdict, string> = {
  regressed: "❌ regressed",
  improved: "✅ improved",
  unchanged: "~",
  inconclusive: "❔ inconclusive",
  unjudged: "not judged",
  unavailable: "n/a",
};

/** The verdict cell: the verdict, why (for n/a and unjudged rows, or what qualifies it), and the row's flags. A verdict we do not know (a crafted file's) is shown as it is. */
function verdictCell(m: MetricResult, words: Record<Verdict, string>): string {
  const word = Object.hasOwn(words, m.verdict) ? words[m.verdict] : String(m.verdict);
  const base =
    m.verdict === "unavailable" && m.reason
      ? `${words.unavailable}: ${m.reason}`
      : m.reason
        ? `${word} (${m.reason})`
        : word;
  return m.flags?.length ? `${base} [${m.flags.join("; ")}]` : base;
}

/** compare's table: its columns (the interval's heading carries the confidence) and a metric's cells, in the terminal and on the HTML page. */
export const compareColumns = (confidence: string): string[] => [
  "metric",
  "baseline",
  "candidate",
  "change",
  `${confidence} interval`,
  "p",
  "verdict",
];

export function compareCells(m: MetricResult, words: Record<Verdict, string> = VERDICT_TEXT): string[] {
  return [
    `${m.label}${m.unit === "ms" ? " ms" : ""}${m.gated ? " *" : ""}`,
    formatValue(m, m.base),
    formatValue(m, m.cand),
    formatChange(m),
    formatInterval(m),
    formatP(m.pValue),
    verdictCell(m, words),
  ];
}

function threshold(m: Pick<MetricResult, "threshold" | "changeUnit">): string {
  const v = Number((m.threshold * 100).toFixed(4));
  return `${v}${m.changeUnit === "pp" ? "pp" : "%"}`;
}

/** "5% (error_rate 1pp, cache_hit_rate 5pp)": the most common relative threshold, then the exceptions. */
function thresholdSummary(c: Comparison): string {
  const rel = c.metrics.filter((m) => m.changeUnit === "relative");
  const counts = new Map<number, number>();
  for (const m of rel) counts.set(m.threshold, (counts.get(m.threshold) ?? 0) + 1);
  const common = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
  const exceptions = c.metrics
    .filter((m) => m.changeUnit === "pp" || m.threshold !== common)
    .map((m) => `${m.name} ${threshold(m)}`);
  return `${threshold({ threshold: common, changeUnit: "relative" })}${exceptions.length ? ` (${exceptions.join(", ")})` : ""}`;
}

const P_LEGEND =
  "p: of the row's own change: from its interval (latency percentiles), Fisher's exact test (rates), Welch's t across runs (throughput)";

const confidence = (c: Comparison) => `${Number(((1 - c.settings.alpha) * 100).toFixed(2))}%`;

function sideLine(s: Comparison["base"]): string {
  const runs = s.files.length === 1 ? "1 run" : `${s.files.length} runs`;
  // the runs of one `run --runs N` file are named once
  const names = [...new Set(s.files.map((f) => f.replace(/ \[run \d+\/\d+\]$/, "")))];
  return `${names.join(" ")} (${runs}, ${s.requests.sent} requests; ${s.tools.join(", ")})`;
}

function countsLine(c: Comparison, sep: string): string {
  const k = c.counts;
  return [
    `${k.regressed} regressed`,
    `${k.improved} improved`,
    `${k.unchanged} unchanged`,
    `${k.inconclusive} inconclusive`,
    `${k.unjudged} not judged`,
    `${k.unavailable} n/a`,
  ].join(sep);
}

function headline(c: Comparison): string {
  if (c.verdict === "failed")
    return `failed: ${c.failures.length === 1 ? c.failures[0] : `${c.failures.length} reasons below`}`;
  if (c.verdict === "undecided") {
    return `undecided: ${c.undecided.join(", ")} ${c.undecided.length === 1 ? "has" : "have"} only a bare ratio (no interval), and the gate does not decide on one; keep the records (the default) or measure several runs per side, or pass --gate-on-ratios`;
  }
  if (c.verdict === "regressed")
    return `regressed: ${c.gatedRegressions.join(", ")} ${c.gatedRegressions.length === 1 ? "is" : "are"} worse beyond the threshold`;
  if (c.verdict === "improved")
    return `improved: ${c.gatedImprovements.join(", ")} ${c.gatedImprovements.length === 1 ? "is" : "are"} better beyond the threshold, and no gated metric regressed`;
  return "unchanged: no gated metric regressed or improved beyond its threshold";
}

/** Lines under the headline: every reason the gate failed, and the gated metrics with too few samples to judge. */
function gateLines(c: Comparison): string[] {
  const out = c.verdict === "failed" && c.failures.length > 1 ? c.failures.map((f) => `gate failed: ${f}`) : [];
  if (c.unjudged.length > 0) {
    out.push(
      `not judged (no interval: too few samples, or a side's interval reaches 0): ${c.unjudged.join(", ")}; each row says why, and how many samples it needs`,
    );
  }
  return out;
}

function testLines(c: Comparison): string[] {
  return c.tests.map(
    (t) =>
      `${FAMILY_LABELS[t.family]}: U = ${t.u} (n ${t.nBase} → ${t.nCand}${t.unit === "request median gap" ? " requests' median gaps" : ""}), ` +
      `P(candidate > baseline) = ${t.effect.toFixed(3)}, ${t.pValue < 0.001 ? "p < 0.001" : `p = ${formatP(t.pValue)}`} (${t.method}${t.z !== null ? `, z = ${t.z.toFixed(2)}` : ""})`,
  );
}

function visible(c: Comparison, o: RenderOptions): MetricResult[] {
  return o.hideUnchanged
    ? c.metrics.filter((m) => m.verdict !== "unchanged" && m.verdict !== "unavailable")
    : c.metrics;
}

function footnotes(c: Comparison): { differences: string[]; notes: string[] } {
  return {
    differences: summarizeDifferences(c.differences).map(
      (d) => `${d.severity === "refuse" ? "DIFFERENT (compared with --allow-mismatch) " : ""}${d.text}`,
    ),
    notes: c.notes,
  };
}

export function renderCompareText(c: Comparison, o: RenderOptions = {}): string {
  const lines: string[] = [];
  lines.push(`llmbench compare`);
  lines.push(`  baseline   ${sideLine(c.base)}`);
  lines.push(`  candidate  ${sideLine(c.cand)}`);
  lines.push(
    `  threshold ${thresholdSummary(c)}; ${confidence(c)} intervals (alpha ${c.settings.alpha}): order statistics for percentiles, no resampling`,
  );
  lines.push(`  gated (*): ${c.settings.gate.length ? c.settings.gate.join(", ") : "none"}`);
  lines.push(`  ${P_LEGEND}`);
  lines.push("");
  const head = compareColumns(confidence(c));
  const rows = visible(c, o).map((m) => compareCells(m));
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const align = (cells: string[]) =>
    `  ${cells
      .map((cell, i) => (i === 0 || i >= 4 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join("  ")
      .trimEnd()}`;
  lines.push(align(head));
  for (const r of rows) lines.push(align(r));
  if (o.hideUnchanged && rows.length < c.metrics.length)
    lines.push(`  (${c.metrics.length - rows.length} unchanged or n/a rows hidden)`);
  lines.push("");
  lines.push(`Result: ${headline(c).toUpperCase().slice(0, c.verdict.length)}${headline(c).slice(c.verdict.length)}`);
  for (const g of gateLines(c)) lines.push(`  ${g}`);
  lines.push(`  ${countsLine(c, ", ")}`);
  const tests = testLines(c);
  if (tests.length) {
    lines.push("");
    lines.push("Mann-Whitney U, candidate vs baseline, on the whole distribution (a test of its own: no row's p):");
    for (const t of tests) lines.push(`  ${t}`);
  }
  const { differences, notes } = footnotes(c);
  if (differences.length) {
    lines.push("");
    lines.push("Configuration differences:");
    for (const d of differences) lines.push(`  - ${d}`);
  }
  if (notes.length) {
    lines.push("");
    lines.push("Notes:");
    for (const n of notes) lines.push(`  - ${n}`);
  }
  return `${lines.join("\n")}\n`;
}

const mdEscape = (s: string) => s.replace(/\|/g, "\\|");

export function renderCompareMarkdown(c: Comparison, o: RenderOptions = {}): string {
  const icon = c.verdict === "regressed" || c.verdict === "failed" ? "❌" : c.verdict === "undecided" ? "❔" : "✅";
  const lines: string[] = [];
  lines.push(`### llmbench compare: ${icon} ${c.verdict}`);
  lines.push("");
  lines.push(`${headline(c).replace(/^[a-z]+: /, (w) => `**${w.slice(0, -2)}**: `)}.`);
  for (const g of gateLines(c)) lines.push(`${g}.`);
  lines.push(`${countsLine(c, " · ")}.`);
  lines.push("");
  lines.push(
    `Baseline ${c.base.files.map((f) => `\`${f}\``).join(", ")} (${c.base.requests.sent} requests) → candidate ${c.cand.files.map((f) => `\`${f}\``).join(", ")} (${c.cand.requests.sent} requests). ` +
      `Threshold ${thresholdSummary(c)}; ${confidence(c)} intervals; **bold** metrics are gated; ${P_LEGEND}.`,
  );
  lines.push("");
  lines.push(`| metric | baseline | candidate | change | ${confidence(c)} interval | p | verdict |`);
  lines.push("|:--|--:|--:|--:|:--|--:|:--|");
  for (const m of visible(c, o)) {
    const name = `${m.gated ? `**${m.label}**` : m.label}${m.unit === "ms" ? " (ms)" : ""}`;
    const verdict = verdictCell(m, VERDICT_MD);
    lines.push(
      `| ${[name, formatValue(m, m.base), formatValue(m, m.cand), formatChange(m), formatInterval(m, " … ").replace(/^\[|\]$/g, ""), formatP(m.pValue), verdict].map(mdEscape).join(" | ")} |`,
    );
  }
  if (o.hideUnchanged) {
    const hidden = c.metrics.length - visible(c, o).length;
    if (hidden > 0) lines.push(`\n_${hidden} unchanged or n/a rows hidden._`);
  }
  const { differences, notes } = footnotes(c);
  const details = [
    ...testLines(c).map((t) => `Mann-Whitney U on the whole distribution (no row's p), ${t}`),
    ...differences.map((d) => `Configuration: ${d}`),
    ...notes,
  ];
  if (details.length) {
    lines.push("");
    lines.push("<details><summary>Tests, configuration and notes</summary>");
    lines.push("");
    for (const d of details) lines.push(`- ${mdEscape(d)}`);
    lines.push("");
    lines.push("</details>");
  }
  return `${lines.join("\n")}\n`;
}

const snake = (k: string) => k.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`);

function snakeKeys(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(snakeKeys);
  if (typeof x === "number" && !Number.isFinite(x)) return null;
  if (typeof x === "object" && x !== null) {
    return Object.fromEntries(
      Object.entries(x).map(([k, v]) => [k.includes("_") || /^[a-z0-9]+$/.test(k) ? k : snake(k), snakeKeys(v)]),
    );
  }
  return x;
}

/** Every number and verdict, keys in snake_case like the result document; exit_code as the command sets it. */
export function renderCompareJson(c: Comparison, exitCode: number): string {
  const metricsOrder = METRICS.map((m) => m.name);
  const doc = {
    ...c,
    metrics: [...c.metrics].sort((a, b) => metricsOrder.indexOf(a.name) - metricsOrder.indexOf(b.name)),
    exitCode,
  };
  return `${JSON.stringify(snakeKeys(doc), null, 2)}\n`;
}

export function renderComparison(
  c: Comparison,
  format: CompareFormat,
  exitCode: number,
  o: RenderOptions = {},
): string {
  if (format === "json") return renderCompareJson(c, exitCode);
  if (format === "markdown") return renderCompareMarkdown(c, o);
  return renderCompareText(c, o);
}
