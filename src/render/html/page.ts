/**
 * Result documents (and compare JSON) → one self-contained HTML page: inline CSS and SVG, no
 * script, no external reference, a Content-Security-Policy that forbids any request. Every string
 * from a file goes through `esc`. Numbers in tables are the result's own (the text report's);
 * charts are drawn from the records, downsampled for drawing only. Pure.
 */
import type { ErrorClass } from "../../core/errors.ts";
import type { RunSummary } from "../../core/metrics.ts";
import type { ResultDocument, ResultRecord } from "../../core/result.ts";
import type { SerializedDigest } from "../../core/stats/digest.ts";
import type { Distribution } from "../../core/stats/percentiles.ts";
import type { MetricResult } from "../../core/compare/compare.ts";
import { compareCells, compareColumns } from "../compare.ts";
import { ms, num, pct } from "../../core/format.ts";
import { renderReport } from "../report.ts";
import { renderSweep } from "../sweep.ts";
import {
  CUT_SHORT,
  DIST_COLUMNS,
  distCells,
  distRows,
  type Fact,
  INCOMPLETE,
  levelName,
  lengthsText,
  loadText,
  RUNS_COLUMNS,
  RUNS_INTRO,
  runsRows,
  sizeText,
  sloFact,
  sloRows,
  summaryFacts,
  sweepColumns,
  sweepFacts,
  sweepRows,
} from "../rows.ts";
import {
  binWidth,
  cdfPoints,
  digestCdf,
  DIST_METRICS,
  errorsOverTime,
  inFlight,
  measuredFrom,
  perRequest,
  samplesOf,
  thin,
  timeSpan,
  tokensPerSecond,
  type DistMetric,
} from "./data.ts";
import { chart, esc, PALETTE, wantsLog, type Marker, type Series } from "./svg.ts";
import { REUSABLE_COLUMNS, REUSABLE_TITLE, reusableRows } from "../prefix.ts";
import { sessionRows } from "../sessions.ts";

/** One result file, with its records when they exist (in the result, or read from its records file). */
export interface ReportFile {
  /** the name it was given by */
  name: string;
  doc: ResultDocument;
  /** the records of a result written with --records-file, read from that file; otherwise null (the result's own `requests` are used) */
  recordsFromFile: ResultRecord[] | null;
  /** why a result without records shows less (e.g. its records file is missing) */
  recordsNote?: string;
}

/** A compare JSON (`llmbench compare --format json`), as read. */
export interface CompareFile {
  name: string;
  doc: Record<string, unknown>;
}

export interface ReportInput {
  files: ReportFile[];
  comparisons: CompareFile[];
  /** the tool version that wrote the page */
  version: string;
}

/** Cells of the grid a scatter is thinned on: about 3 px each, the size of a dot. */
const GRID = [200, 80] as const;

const LABEL: Record<DistMetric, string> = { ttft_ms: "TTFT", tpot_ms: "TPOT", itl_ms: "ITL", e2e_ms: "E2E latency" };

const ERROR_COLOR: Record<ErrorClass, string> = {
  connect: "#7f3b08",
  timeout: "#b35806",
  http_4xx: "#e08214",
  http_5xx: "#d73027",
  redirect: "#8073ac",
  protocol: "#542788",
  client: "#2d004b",
  aborted: "#999999",
};

/** A series of one run: its label, records and summary (one file, one of its `--runs`, or one sweep level). */
interface RunView {
  label: string;
  records: ResultRecord[] | null;
  summary: RunSummary;
  digests: Partial<Record<DistMetric, SerializedDigest>>;
  latencyFrom: "send" | "due";
  /** where the distributions come from */
  source: "records" | "records-file" | "digest";
}

function latencyFromOf(doc: ResultDocument): "send" | "due" {
  return doc.config.latency_from === "due" ? "due" : "send";
}

/** The runs a file holds: itself, or each of its `--runs`. */
function viewsOf(f: ReportFile): RunView[] {
  const d = f.doc;
  const latencyFrom = latencyFromOf(d);
  if (d.runs && d.runs.length > 1 && !d.requests) {
    return d.runs.map((r, i) => ({
      label: `${f.name} [run ${i + 1}/${d.runs!.length}]`,
      records: r.requests,
      summary: r.summary,
      digests: r.digests,
      latencyFrom,
      source: r.requests ? "records" : "digest",
    }));
  }
  // a sweep's summary is its knee's (or last) level's: so are the records drawn with it
  const level = d.sweep && !d.requests ? d.sweep.levels[d.sweep.knee ?? d.sweep.levels.length - 1] : undefined;
  const own = d.requests ?? level?.requests ?? null;
  const records = own ?? f.recordsFromFile;
  return [
    {
      label: f.name,
      records,
      summary: d.summary,
      digests: d.digests,
      latencyFrom,
      source: own ? "records" : f.recordsFromFile ? "records-file" : "digest",
    },
  ];
}

// ——— tables ———

function distRow(label: string, d: Distribution | null | undefined): string {
  if (!d) return `<tr><th>${esc(label)}</th><td colspan="7" class="na">n/a</td></tr>`;
  return `<tr><th>${esc(label)}</th>${distCells(d)
    .map((x) => `<td>${x}</td>`)
    .join("")}</tr>`;
}

/** labelled facts as a two-column table */
const factsTable = (facts: readonly Fact[]) =>
  `<table class="facts">${facts.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join("")}</table>`;

function header(f: ReportFile): string {
  const d = f.doc;
  const c = d.config;
  const size = sizeText(c, d.summary);
  const seed = c.shards
    ? Array.isArray(c.seeds)
      ? `seeds ${(c.seeds as unknown[]).join(", ")}`
      : `${c.seed} (${c.shards} shards)`
    : String(c.seed);
  const rows: Array<[string, string]> = [
    ["endpoint", String(c.endpoint)],
    ["API", `${c.api}${c.stream ? ", streamed" : ""}`],
    ["model", c.model ? String(c.model) : "-"],
    [
      "load",
      `${d.sweep ? `sweep of ${d.sweep.kind} ${d.sweep.levels.map((l) => (d.sweep!.kind === "rate" ? `${l.rate}/s` : l.concurrency)).join(", ")}, ` : `${loadText(c)}, `}${size}${d.sweep ? " per level" : ""} (+${c.warmup} warm-up${c.ramp_up_s ? `, ${c.ramp_up_s} s ramp` : ""}), ${lengthsText(c)}${c.latency_from === "due" ? ", latency from when due" : ""}`,
    ],
    ["seed", seed],
    ["tool", `${d.tool.name} ${d.tool.version}`],
    ["complete", d.complete ? "yes" : INCOMPLETE.replace(/^INCOMPLETE/, "NO")],
    ["started", `${d.started_at} → ${d.finished_at}`],
    ["environment", `${d.environment.os} ${d.environment.arch}, ${d.environment.cpus} CPUs, ${d.environment.runtime}`],
  ];
  return `<dl class="header">${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd${k === "complete" && !d.complete ? ' class="warn"' : ""}>${esc(v)}</dd>`).join("")}</dl>`;
}

/** Notes and warnings the text report prints, and what this page could not draw. */
function notes(f: ReportFile, views: RunView[]): string {
  const d = f.doc;
  const s = d.summary;
  const items: Array<{ warn: boolean; text: string }> = [];
  if (!d.complete) items.push({ warn: true, text: INCOMPLETE });
  if (s.client?.distorted && s.client.reason) items.push({ warn: true, text: `WARNING: ${s.client.reason}` });
  for (const n of d.notes) items.push({ warn: false, text: `Note: ${n}` });
  const source = views[0].source;
  if (source === "records-file")
    items.push({
      warn: false,
      text: `Per-request records read from the records file ${d.records_file}: the charts show every request.`,
    });
  if (source === "digest") {
    items.push({
      warn: false,
      text: `This result holds no per-request records (${d.records_file ? `written with --records-file, and ${f.recordsNote ?? "its records file was not found"}` : d.summary.percentiles === "digest" ? "written with --bounded" : d.runs ? "--runs without records" : "written with --no-records"}): the tables are the result's own numbers, the distributions are drawn from its t-digests (approximate), and the run over time cannot be drawn.`,
    });
  }
  if (items.length === 0) return "";
  return `<ul class="notes">${items.map((i) => `<li${i.warn ? ' class="warn"' : ""}>${esc(i.text)}</li>`).join("")}</ul>`;
}

/** A table of text rows: a header row, then each row's first cell as its heading. */
function rowsTable(name: string, head: readonly string[], rows: readonly string[][]): string {
  const tr = (row: readonly string[]) =>
    `<tr><th>${esc(row[0])}</th>${row
      .slice(1)
      .map((v) => `<td>${esc(v)}</td>`)
      .join("")}</tr>`;
  return `<table class="num" data-table="${name}"><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr>${rows.map(tr).join("")}</table>`;
}

function summaryTable(d: ResultDocument): string {
  const s = d.summary;
  const facts = factsTable(summaryFacts(s));
  const head = `<tr><th>ms</th>${DIST_COLUMNS.map((h) => `<th>${h}</th>`).join("")}</tr>`;
  const dist = distRows(s)
    .map((r) => distRow(r.label, r.dist))
    .join("");
  let slo = "";
  if (s.slo) {
    const [, text] = sloFact(s, s.slo);
    slo = `<p class="${s.slo.passed ? "" : "warn"}">SLO ${esc(text)}</p><table class="num"><tr><th>term</th><th>value ms</th><th>bound ms</th><th>status</th></tr>${sloRows(
      s.slo,
    )
      .map(
        (t) =>
          `<tr><th>${esc(t.name)}</th><td>${t.status === "not measured" ? "not measured" : t.value}</td><td>${t.bound}</td><td>${esc(t.word)}</td></tr>`,
      )
      .join("")}</table>`;
  }
  let runs = "";
  if (d.runs && d.runs.length > 1) {
    runs = `<p>${esc(RUNS_INTRO(d.runs.length))}</p><table class="num"><tr><th>run</th>${RUNS_COLUMNS.map((h) => `<th>${h}</th>`).join("")}</tr>${runsRows(
      d.runs,
    )
      .map((r) => `<tr><th>${r.name}</th>${r.cells.map((v) => `<td>${v}</td>`).join("")}</tr>`)
      .join("")}</table>`;
  }
  // multi-turn sessions by turn, and TTFT by reusable share where the server reported no cached_tokens:
  // the text report's rows (render/sessions.ts, render/prefix.ts)
  let chats = "";
  if (s.sessions) {
    const r = sessionRows(s.sessions);
    const foot = [...r.foot, ...(r.firstVsLater ? [r.firstVsLater] : [])].map((f) => `<p>${esc(f)}</p>`).join("");
    chats = `<p>Sessions: ${esc(r.line)}</p>${rowsTable("sessions", r.head, r.rows)}${foot}`;
  }
  const rows = reusableRows(s.prefix_cache);
  const reusable =
    rows.length === 0 ? "" : `<p>${esc(REUSABLE_TITLE)}</p>${rowsTable("reusable", REUSABLE_COLUMNS, rows)}`;
  return `${facts}${reusable}<table class="num dist" data-table="summary">${head}${dist}</table>${slo}${runs}${chats}`;
}

// ——— charts ———

function distChart(
  id: string,
  metric: DistMetric,
  views: RunView[],
  marks: Distribution | null | undefined,
  ttftKind: string | null,
): string {
  const series: Series[] = [];
  let approximate = false;
  let total = 0;
  views.forEach((v, i) => {
    let pts: Array<[number, number]>;
    if (v.records) {
      const sorted = samplesOf(v.records, v.latencyFrom)[metric];
      total += sorted.length;
      pts = cdfPoints(sorted);
    } else {
      pts = digestCdf(v.digests[metric]);
      total += v.digests[metric]?.count ?? 0;
      approximate ||= pts.length > 0;
    }
    series.push({
      kind: "line",
      name: views.length > 1 ? v.label : "",
      color: PALETTE[i % PALETTE.length],
      points: pts,
    });
  });
  let lo = Infinity;
  let hi = -Infinity;
  let zeros = 0;
  for (const s of series) {
    for (const [x] of s.points) {
      if (x > 0 && x < lo) lo = x;
      if (x > hi) hi = x;
    }
  }
  const xLog = wantsLog(lo, hi);
  if (xLog)
    for (const v of views)
      if (v.records) zeros += samplesOf(v.records, v.latencyFrom)[metric].filter((x) => x <= 0).length;
  const markers: Marker[] = marks
    ? [
        { x: marks.p50, label: `p50 ${ms(marks.p50)}` },
        { x: marks.p95, label: `p95 ${ms(marks.p95)}`, color: "#a05a00" },
        { x: marks.p99, label: `p99 ${ms(marks.p99)}`, color: "#c00" },
      ]
    : [];
  const label = `${LABEL[metric]}${metric === "ttft_ms" && ttftKind === "first-byte" ? " (first byte)" : ""}`;
  return chart({
    id,
    title: `${label}: share of ${metric === "itl_ms" ? "gaps" : "requests"} at or below (CDF)`,
    xLabel: `${label} ms`,
    yLabel: "share at or below",
    series,
    markers: views.length === 1 ? markers : [],
    xLog,
    yDomain: [0, 1],
    caption: `${total.toLocaleString("en-US")} ${metric === "itl_ms" ? "gaps" : "values"}${zeros > 0 ? ` (${zeros.toLocaleString("en-US")} of 0 ms, chunks read at once, sit left of the log axis: the curve starts at their share)` : ""}${views.length === 1 && marks ? "; dashed lines: p50, p95, p99 of the summary" : ""}${approximate ? "; from the result's t-digest (no per-request records): approximate" : "; drawn through a few hundred ranks, denser in the tail"}.`,
  });
}

function distributions(prefix: string, views: RunView[], s: RunSummary | null): string {
  return DIST_METRICS.map((m) =>
    distChart(
      `${prefix}-${m.replace("_ms", "")}-cdf`,
      m,
      views,
      s ? s[m] : null,
      s?.ttft_kind ?? views[0].summary.ttft_kind,
    ),
  ).join("");
}

function overTime(prefix: string, views: RunView[]): string {
  const withRecords = views.filter((v) => v.records && v.records.length > 0);
  if (withRecords.length === 0)
    return `<p class="na">The run over time needs per-request records: run without --no-records or --bounded (or keep the --records-file next to the result).</p>`;
  const multi = views.length > 1;
  const color = (i: number) => PALETTE[i % PALETTE.length];
  const measuring: Marker[] = [];
  if (!multi) {
    const m = measuredFrom(withRecords[0].records!);
    if (m !== null && withRecords[0].records!.some((r) => r.phase !== "measured"))
      measuring.push({ x: m, label: "measuring from here", color: "#666" });
  }
  // one time axis for every chart below: 0 → the last end of any run drawn
  const end = Math.max(...withRecords.map((v) => timeSpan(v.records!)[1]));
  const xDomain: [number, number] = [0, end > 0 ? end : 1];
  const out: string[] = [];
  // requests in flight
  out.push(
    chart({
      id: `${prefix}-inflight`,
      title: "Requests in flight",
      xLabel: "time since the first send (s)",
      yLabel: "in flight",
      series: withRecords.map((v, i) => ({
        kind: "step",
        name: multi ? v.label : "",
        color: color(i),
        points: inFlight(v.records!),
      })),
      markers: measuring,
      xDomain,
      yZero: true,
      caption: "Every request, warm-up included; the highest count in each 1/600 of the run, so no peak is lost.",
    }),
  );
  // TTFT and E2E per request
  const perRequests = withRecords.map((v) => perRequest(v.records!, v.latencyFrom));
  for (const [key, name] of [
    ["ttft", "TTFT"],
    ["e2e", "E2E latency"],
  ] as const) {
    let total = 0;
    const series: Series[] = [];
    const ys: number[] = [];
    const per = perRequests.map((p) => p[key]);
    for (const p of per) for (const q of [...p.measured, ...p.warmup]) ys.push(q[1]);
    const lo = Math.min(...ys.filter((y) => y > 0));
    const hi = Math.max(...ys);
    const yLog = wantsLog(lo, hi);
    per.forEach((p, i) => {
      const m = thin(p.measured, GRID[0], GRID[1], yLog);
      const w = thin(p.warmup, GRID[0], GRID[1], yLog);
      total += m.total + w.total;
      if (w.total > 0)
        series.push({
          kind: "dots",
          name: multi ? `${withRecords[i].label} warm-up` : "warm-up",
          color: "#999",
          points: w.points,
        });
      series.push({
        kind: "dots",
        name: multi ? withRecords[i].label : w.total > 0 ? "measured" : "",
        color: color(i),
        points: m.points,
      });
    });
    const drawn = series.reduce((n, s) => n + s.points.length, 0);
    out.push(
      chart({
        id: `${prefix}-${key}-time`,
        title: `${name} of each request against when it was sent`,
        xLabel: "send time since the first send (s)",
        yLabel: `${name} ms`,
        series,
        markers: measuring,
        xDomain,
        yLog,
        caption: `${total.toLocaleString("en-US")} successful requests${drawn < total ? `, drawn as ${drawn.toLocaleString("en-US")} points (one per occupied cell of a ${GRID[0]} × ${GRID[1]} grid: outliers stay, overlaps merge)` : ""}.`,
      }),
    );
  }
  // output tokens per second
  const bin = binWidth(end);
  const per = bin === 1 ? "per second" : `per ${bin} s, as a rate`;
  out.push(
    chart({
      id: `${prefix}-tokens-time`,
      title: "Output tokens per second",
      xLabel: "time since the first send (s)",
      yLabel: "output tok/s",
      // a run that produced no token has nothing to draw (said in words), not a flat line at 0
      series: withRecords.map((v, i) => {
        const pts = tokensPerSecond(v.records!, bin, v.latencyFrom);
        return {
          kind: "step" as const,
          name: multi ? v.label : "",
          color: color(i),
          points: pts.some(([, k]) => k > 0) ? pts.map(([t, k]) => [t - bin / 2, k] as [number, number]) : [],
        };
      }),
      markers: measuring,
      xDomain,
      yZero: true,
      caption: `Tokens ${per}, warm-up included; a streamed answer's tokens are spread over its chunks, a non-streamed one's counted when it ended.`,
    }),
  );
  // errors by class
  const errSeries: Series[] = [];
  withRecords.forEach((v, vi) => {
    const classes = errorsOverTime(v.records!, bin);
    const base = new Array<number>(classes[0]?.points.length ?? 0).fill(0);
    for (const c of classes) {
      errSeries.push({
        kind: "bars",
        name: `${multi ? `${v.label}: ` : ""}${c.cls}`,
        color: multi && vi > 0 ? PALETTE[(vi + 3) % PALETTE.length] : ERROR_COLOR[c.cls],
        points: c.points,
        base: [...base],
        width: bin * 0.9,
      });
      c.points.forEach((p, i) => (base[i] += p[1]));
    }
  });
  const failed = withRecords.reduce((n, v) => n + v.records!.filter((r) => r.error !== null).length, 0);
  out.push(
    failed === 0
      ? `<figure class="chart none" data-chart="${esc(`${prefix}-errors-time`)}" data-marks="0"><div class="title">Errors by class</div><p>No request failed.</p></figure>`
      : chart({
          id: `${prefix}-errors-time`,
          title: "Errors by class",
          xLabel: "time since the first send (s)",
          yLabel: `failed requests per ${bin === 1 ? "s" : `${bin} s`}`,
          series: errSeries,
          markers: measuring,
          xDomain,
          yZero: true,
          caption: `${failed} failed requests (warm-up included), stacked by class, counted when the failure was seen.`,
        }),
  );
  return out.join("");
}

function sweepSection(f: ReportFile, prefix: string): string {
  const sw = f.doc.sweep!;
  const name = (l: (typeof sw.levels)[number]) => levelName(sw.kind, l);
  const rows = sweepRows(sw)
    .map(
      (r) =>
        `<tr${r.knee ? ' class="knee"' : ""}><th>${esc(r.name)}${r.knee ? " ← knee" : ""}</th>${r.cells.map((c) => `<td>${c}</td>`).join("")}</tr>`,
    )
    .join("");
  const table = `<table class="num" data-table="sweep"><tr>${sweepColumns(sw)
    .map((h) => `<th>${h}</th>`)
    .join("")}</tr>${rows}</table>`;
  const lines = [
    ...(sw.levels.some((l) => !l.complete) ? [CUT_SHORT] : []),
    ...sweepFacts(sw).map(([label, text]) => `${label}: ${text}`),
  ];
  const pts = (pick: (s: RunSummary) => number | null | undefined) =>
    sw.levels.flatMap((l) => {
      const y = pick(l.summary);
      return y === null || y === undefined ? [] : [[l.summary.throughput.output_tokens_per_s, y] as [number, number]];
    });
  const labels = (pick: (s: RunSummary) => number | null | undefined) =>
    sw.levels.filter((l) => pick(l.summary) !== null && pick(l.summary) !== undefined).map(name);
  const p50 = pts((s) => s.e2e_ms?.p50);
  const p99 = pts((s) => s.e2e_ms?.p99);
  const ys = [...p50, ...p99].map((p) => p[1]);
  const k = sw.knee !== null ? sw.levels[sw.knee] : null;
  const tradeoff = chart({
    id: `${prefix}-sweep-tradeoff`,
    title: "Throughput against latency, one point per level",
    xLabel: "output tok/s",
    yLabel: "E2E latency ms",
    series: [
      {
        kind: "line",
        name: "E2E p50",
        color: PALETTE[0],
        points: p50,
        dots: true,
        labels: labels((s) => s.e2e_ms?.p50),
      },
      { kind: "line", name: "E2E p99", color: PALETTE[1], points: p99, dots: true, dash: true },
    ],
    yLog: wantsLog(Math.min(...ys.filter((y) => y > 0)), Math.max(...ys)),
    xZero: true,
    highlight: k?.summary.e2e_ms
      ? { x: k.summary.throughput.output_tokens_per_s, y: k.summary.e2e_ms.p50, label: `knee (${name(k)})` }
      : undefined,
    caption: `Each point is a level (labelled with its ${sw.kind}); up and to the right, latency buys throughput; the ring marks the knee.`,
  });
  const gains = sw.levels.flatMap((l, i) =>
    l.batching_gain === null ? [] : [[i + 1, l.batching_gain] as [number, number]],
  );
  const ideal =
    sw.kind === "concurrency"
      ? sw.levels.flatMap((l, i) => (l.concurrency === null ? [] : [[i + 1, l.concurrency] as [number, number]]))
      : [];
  const gain = chart({
    id: `${prefix}-sweep-gain`,
    title: "Batching gain per level",
    xLabel: `level (${sw.levels.map((l, i) => `${i + 1} = ${name(l)}`).join(", ")})`,
    yLabel: "gain ×",
    series: [
      { kind: "bars", name: "gain", color: PALETTE[2], points: gains, width: 0.6 },
      ...(ideal.length
        ? [{ kind: "line" as const, name: "ideal (= concurrency)", color: "#999", points: ideal, dash: true }]
        : []),
    ],
    yZero: true,
    xDomain: [0.5, sw.levels.length + 0.5],
    caption: `Output throughput at the level ÷ one request at a time; 1× means batching does not pay${ideal.length ? "; the dashed line is the ideal, the concurrency" : ""}.`,
  });
  const levelViews: RunView[] = sw.levels.map((l) => ({
    label: `${sw.kind} ${name(l)}`,
    records: l.requests,
    summary: l.summary,
    digests: l.digests,
    latencyFrom: latencyFromOf(f.doc),
    source: l.requests ? "records" : "digest",
  }));
  return `<h3>Sweep of ${esc(sw.kind)}</h3>${table}<ul class="notes">${lines.map((l) => `<li>${esc(l)}</li>`).join("")}</ul><div class="charts">${tradeoff}${gain}</div><h3>Distributions per level</h3><div class="charts">${distributions(`${prefix}-levels`, levelViews, null)}</div>`;
}

function fileSection(f: ReportFile, index: number): string {
  const prefix = `f${index}`;
  const views = viewsOf(f);
  const d = f.doc;
  const parts: string[] = [];
  parts.push(`<section class="file" data-file="${index}"><h2>${esc(f.name)}${d.sweep ? " (sweep)" : ""}</h2>`);
  parts.push(header(f));
  parts.push(notes(f, views));
  if (d.sweep) parts.push(sweepSection(f, prefix));
  const whose =
    d.sweep && d.sweep.knee !== null
      ? ` (the knee's level, as in the result)`
      : d.sweep
        ? " (the last level, as in the result)"
        : "";
  parts.push(`<h3>Summary${esc(whose)}</h3>`);
  parts.push(summaryTable(d));
  parts.push(
    `<h3>Distributions${esc(whose)}</h3><div class="charts">${distributions(prefix, views, views.length === 1 ? d.summary : null)}</div>`,
  );
  parts.push(`<h3>The run over time${esc(whose)}</h3><div class="charts">${overTime(prefix, views)}</div>`);
  parts.push(
    `<details class="text"><summary>The text report</summary><pre>${esc(d.sweep ? renderSweep(d) : renderReport(d))}</pre></details>`,
  );
  parts.push(`</section>`);
  return parts.join("");
}

function overlaySection(files: ReportFile[]): string {
  const views: RunView[] = files.map((f) => {
    const v = viewsOf(f);
    // a --runs file overlays as one series: its pooled summary, its runs' records together
    if (v.length === 1) return v[0];
    return {
      ...v[0],
      label: f.name,
      records: v.every((x) => x.records) ? v.flatMap((x) => x.records!) : null,
      summary: f.doc.summary,
      digests: f.doc.digests,
      source: v.every((x) => x.records) ? "records" : "digest",
    };
  });
  const cols = files
    .map((f, i) => `<th><i class="swatch" style="background:${PALETTE[i % PALETTE.length]}"></i>${esc(f.name)}</th>`)
    .join("");
  const row = (label: string, pick: (s: RunSummary) => string) =>
    `<tr><th>${esc(label)}</th>${files.map((f) => `<td>${esc(pick(f.doc.summary))}</td>`).join("")}</tr>`;
  const rows = [
    row("requests sent / failed", (s) => `${s.requests.sent} / ${s.requests.failed}`),
    row("output tok/s", (s) => num(s.throughput.output_tokens_per_s)),
    row("req/s", (s) => num(s.throughput.requests_per_s, 2)),
    row("cache hit rate", (s) => pct(s.cache.hit_rate)),
    ...(files.some((f) => f.doc.summary.prefix_cache?.cached_share != null)
      ? [row("prefix cached share", (s) => pct(s.prefix_cache?.cached_share))]
      : []),
    ...DIST_METRICS.flatMap((m) =>
      (["p50", "p95", "p99"] as const).map((q) => row(`${LABEL[m]} ${q} ms`, (s) => ms(s[m]?.[q]))),
    ),
  ].join("");
  return `<section class="overlay"><h2>${files.length} runs overlaid</h2><table class="num" data-table="overlay"><tr><th></th>${cols}</tr>${rows}</table><h3>Distributions</h3><div class="charts">${distributions("all", views, null)}</div><h3>Over time</h3><div class="charts">${overTime("all", views)}</div></section>`;
}

// ——— compare JSON ———

const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** A verdict as a class name: one of ours, or "other" (a crafted file's verdict is shown as text, never as markup) */
const cls = (v: unknown): string => (typeof v === "string" && /^[a-z]+$/.test(v) ? v : "other");

const numOrNull = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const text = (v: unknown): string => (v === undefined || v === null ? "" : String(v));

/** A row of a compare JSON as the text renderer's MetricResult: numbers are numbers or null, whatever a crafted file holds. */
function metricRow(raw: Record<string, unknown>): MetricResult {
  const m = Object.fromEntries(Object.entries(raw ?? {}).map(([k, v]) => [camel(k), v])) as Record<string, unknown>;
  const interval =
    Array.isArray(m.interval) && m.interval.length === 2 && m.interval.every((x) => numOrNull(x) !== null)
      ? (m.interval as [number, number])
      : null;
  return {
    ...(m as unknown as MetricResult),
    label: text(m.label ?? m.name),
    unit: (["ms", "%", "tok/s", "req/s"] as const).find((u) => u === m.unit) ?? "ms",
    changeUnit: m.changeUnit === "pp" ? "pp" : "relative",
    base: numOrNull(m.base),
    cand: numOrNull(m.cand),
    change: numOrNull(m.change),
    interval,
    pValue: numOrNull(m.pValue),
    gated: m.gated === true,
    reason: m.reason === undefined || m.reason === null ? undefined : text(m.reason),
    flags: Array.isArray(m.flags) ? m.flags.map(text) : undefined,
  };
}

function compareTable(c: Record<string, unknown>, id: string): string {
  const metrics = (Array.isArray(c.metrics) ? c.metrics : []).filter(
    (m): m is Record<string, unknown> => typeof m === "object" && m !== null,
  );
  const settings = (typeof c.settings === "object" && c.settings !== null ? c.settings : {}) as {
    alpha?: unknown;
    gate?: unknown;
  };
  const alpha = numOrNull(settings.alpha) ?? 0.05;
  const conf = `${Number(((1 - alpha) * 100).toFixed(2))}%`;
  const rows = metrics
    .map((raw) => {
      const m = metricRow(raw);
      const [label, ...cells] = compareCells(m);
      const verdict = cells.pop()!;
      return `<tr class="v-${esc(cls(m.verdict))}"><th>${esc(label)}</th>${cells.map((c) => `<td>${esc(c)}</td>`).join("")}<td class="verdict">${esc(verdict)}</td></tr>`;
    })
    .join("");
  const side = (s: unknown) => {
    const x = (typeof s === "object" && s !== null ? s : {}) as {
      files?: unknown;
      requests?: { sent?: unknown } | null;
    };
    const sent = numOrNull(x.requests?.sent);
    return `${(Array.isArray(x.files) ? x.files : []).map(text).join(" ")} (${sent ?? "?"} requests)`;
  };
  const verdict = cls(c.verdict);
  const list = (k: string) => ((Array.isArray(c[k]) ? c[k] : []) as unknown[]).map(String);
  const why =
    verdict === "failed"
      ? list("failures").join("; ")
      : verdict === "regressed"
        ? `${list("gated_regressions").join(", ")} worse beyond the threshold`
        : verdict === "improved"
          ? `${list("gated_improvements").join(", ")} better beyond the threshold, and no gated metric regressed`
          : verdict === "undecided"
            ? `${list("undecided").join(", ")}: only a bare ratio (no interval)`
            : verdict === "unchanged"
              ? "no gated metric regressed or improved beyond its threshold"
              : `verdict ${JSON.stringify(c.verdict ?? null)}`;
  const notes = list("notes");
  return `<p class="verdict-line v-${esc(verdict)}"><b>Result: ${esc(verdict.toUpperCase())}</b>: ${esc(why)}</p><p>baseline ${esc(side(c.base))} → candidate ${esc(side(c.cand))}; gated (*): ${esc((Array.isArray(settings.gate) ? settings.gate : []).map(text).join(", ") || "none")}</p><table class="num compare" data-table="${esc(id)}"><tr>${compareColumns(
    conf,
  )
    .map((h) => `<th>${esc(h)}</th>`)
    .join(
      "",
    )}</tr>${rows}</table>${notes.length ? `<ul class="notes">${notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>` : ""}`;
}

function compareSection(cf: CompareFile, index: number): string {
  const c = cf.doc;
  if (c.schema === "llmbench.compare-sweep/v1") {
    const levels = (Array.isArray(c.levels) ? c.levels : []).filter(
      (l): l is { level?: unknown; comparison?: unknown } => typeof l === "object" && l !== null,
    );
    const obj = (v: unknown) => (typeof v === "object" && v !== null ? (v as Record<string, unknown>) : {});
    return `<section class="compare"><h2>Comparison ${esc(cf.name)}: sweep of ${esc(c.kind)}</h2>${levels.map((l, i) => `<h3>${esc(l.level)}</h3>${compareTable(obj(l.comparison), `compare-${index}-${i}`)}`).join("")}</section>`;
  }
  return `<section class="compare"><h2>Comparison ${esc(cf.name)}</h2>${compareTable(c, `compare-${index}`)}</section>`;
}

const CSS = `
:root{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;background:#fff}
body{margin:0 auto;max-width:1340px;padding:16px}
h1{font-size:1.5em;margin:0 0 4px}h2{font-size:1.25em;border-bottom:2px solid #ddd;margin-top:28px}h3{font-size:1.05em;margin:18px 0 6px}
dl.header{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:8px 0}dt{color:#666}dd{margin:0;word-break:break-all}
.warn{color:#b00;font-weight:600}.na{color:#888}
ul.notes{padding-left:18px;margin:6px 0}
table{border-collapse:collapse;margin:6px 0}th,td{padding:2px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
table.num td{text-align:right;font-variant-numeric:tabular-nums}table.facts th{color:#666;font-weight:normal}
tr.knee{background:#fff3e0}.compare td.verdict{text-align:left;white-space:normal}.compare td,.compare th{white-space:nowrap}
tr.v-regressed td.verdict,.verdict-line.v-regressed,.verdict-line.v-failed{color:#b00}tr.v-improved td.verdict,.verdict-line.v-improved{color:#070}
.charts{display:flex;flex-wrap:wrap;gap:12px}
figure.chart{margin:0;border:1px solid #e4e4e4;border-radius:4px;padding:6px;box-sizing:border-box;width:calc(50% - 6px);min-width:320px}
@media (max-width:900px){figure.chart{width:100%}}
figure .title{font-weight:600;margin-bottom:2px}figcaption{color:#555;font-size:12px}
svg{max-width:100%;height:auto;font-size:11px}svg text{fill:#444}
.grid{stroke:#eee;fill:none}.axis{stroke:#888;fill:none}.axis-label{fill:#333;font-size:12px}.point-label{font-size:10px}
.marker text{font-size:10px}
.legend{font-size:12px}.legend span{margin-right:12px;white-space:nowrap}.legend i,.swatch{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
details.text pre{font-size:12px;overflow-x:auto;background:#f7f7f7;padding:8px}
@media print{body{max-width:none;padding:0}figure.chart{width:calc(50% - 6px)}figure.chart,table,dl{break-inside:avoid}section{break-before:auto}h2,h3{break-after:avoid}details.text{display:none}a{color:inherit}}
`;

/** The whole page. */
export function renderHtml(input: ReportInput): string {
  const names = [...input.files.map((f) => f.name), ...input.comparisons.map((c) => c.name)];
  const title = `llmbench report: ${names.join(", ")}`;
  const body: string[] = [];
  body.push(
    `<h1>llmbench report</h1><p class="sub">${esc(names.join(" · "))} — written by llmbench ${esc(input.version)}</p>`,
  );
  input.comparisons.forEach((c, i) => body.push(compareSection(c, i)));
  if (input.files.length > 1) body.push(overlaySection(input.files));
  input.files.forEach((f, i) => body.push(fileSection(f, i)));
  // no script, no request: the policy forbids both, whatever a file contains
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="generator" content="llmbench ${esc(input.version)}">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body>${body.join("\n")}</body></html>
`;
}
