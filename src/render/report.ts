/** Result document → the terminal report. Pure: data in, text out. */
import type { ResultDocument } from "../core/result.ts";
import type { Distribution } from "../core/stats/percentiles.ts";
import type { ProgressView } from "../core/progress.ts";
import { ms, num } from "../core/format.ts";
import { renderSessions } from "./sessions.ts";
import { REUSABLE_COLUMNS, REUSABLE_TITLE, reusableRows } from "./prefix.ts";
import {
  DIST_COLUMNS,
  distCells,
  distRows,
  type Fact,
  FACT_WIDTH,
  INCOMPLETE,
  lengthsText,
  loadText,
  RUNS_COLUMNS,
  RUNS_INTRO,
  runsRows,
  sizeText,
  sloFact,
  sloRows,
  summaryFacts,
} from "./rows.ts";

const fact = ([label, text]: Fact) => `${label.padEnd(FACT_WIDTH)}${text}`;

function distRow(label: string, d: Distribution | null): string {
  if (!d) return `  ${label.padEnd(22)}${"n/a".padStart(9)}`;
  return `  ${label.padEnd(22)}${distCells(d)
    .map((x) => x.padStart(9))
    .join("")}`;
}

export function renderReport(doc: ResultDocument): string {
  const s = doc.summary;
  const c = doc.config;
  const lines: string[] = [];
  lines.push(`llmbench ${doc.tool.version} — ${c.api} ${c.endpoint}${c.model ? ` (model ${c.model})` : ""}`);
  lines.push(
    `  ${sizeText(c, s)} (+${c.warmup} warm-up${c.ramp_up_s ? `, ${c.ramp_up_s} s ramp` : ""}), ${loadText(c)}, ${lengthsText(c)}, ${c.shards ? `${c.shards} shards (${Array.isArray(c.seeds) ? `seeds ${c.seeds.join(", ")}` : `one workload, seed ${c.seed}`})` : `seed ${c.seed}`}${c.stream ? ", streamed" : ""}${c.latency_from === "due" ? ", latency from when due" : ""}`,
  );
  if (!doc.complete) lines.push(`  ${INCOMPLETE}`);
  lines.push("");
  for (const f of summaryFacts(s)) lines.push(fact(f));
  // multi-turn sessions by turn; TTFT by reusable share where the server reported no cached_tokens
  if (s.sessions) lines.push(...renderSessions(s.sessions));
  const reusable = reusableRows(s.prefix_cache);
  if (reusable.length > 0) {
    lines.push(`  ${REUSABLE_TITLE}`);
    for (const row of [[...REUSABLE_COLUMNS], ...reusable])
      lines.push(
        `  ${row[0].padEnd(10)}${row
          .slice(1)
          .map((c) => c.padStart(10))
          .join("")}`,
      );
  }
  lines.push("");
  lines.push(`  ${"ms".padEnd(22)}${DIST_COLUMNS.map((h) => h.padStart(9)).join("")}`);
  for (const r of distRows(s)) lines.push(distRow(r.label, r.dist));
  if (s.slo) {
    lines.push("");
    lines.push(fact(sloFact(s, s.slo)));
    for (const t of sloRows(s.slo)) {
      if (t.status === "not measured")
        lines.push(`  ${t.name.padEnd(10)} ${"not measured".padStart(12)}  (bound ${t.bound} ms)`);
      else
        lines.push(
          `  ${t.name.padEnd(10)} ${t.value.padStart(9)} ms  ${t.status === "met" ? "≤" : ">"} ${t.bound} ms  ${t.word}`,
        );
    }
  }
  if (doc.runs && doc.runs.length > 1) {
    lines.push("");
    lines.push(fact(["Runs", RUNS_INTRO(doc.runs.length)]));
    lines.push(`  ${"run".padEnd(6)}${RUNS_COLUMNS.map((h) => h.padStart(10)).join("")}`);
    for (const r of runsRows(doc.runs))
      lines.push(
        `  ${r.name.padEnd(6)}${r.cells.map((x) => x.padStart(10)).join("")}${r.distorted ? "  (client distorted)" : ""}`,
      );
  }
  if (s.client?.distorted) lines.push(`\nWARNING: ${s.client.reason}`);
  for (const note of doc.notes) lines.push(`\nNote: ${note}`);
  return `${lines.join("\n")}\n`;
}

export function renderProgress(p: ProgressView): string {
  const width = String(p.total).length;
  return `[${String(p.done).padStart(width)}/${p.total}] ${num(p.requestsPerS, 2)} req/s  ${num(p.outputTokensPerS)} tok/s  TTFT p50 ${ms(p.ttftP50Ms)} ms${p.failed ? `  failed ${p.failed}` : ""}`;
}

export interface StatusView {
  elapsedS: number;
  inFlight: number;
  /** while the warm-up lasts: its requests finished and planned; null once measuring */
  warmup: { done: number; total: number } | null;
  progress: ProgressView;
}

/** The one-line status printed every 10 s when stderr is not a terminal (a CI log), instead of the live line. */
export function renderStatus(s: StatusView): string {
  const head = `status at ${s.elapsedS.toFixed(0)} s:`;
  const where = s.warmup
    ? `warm-up ${s.warmup.done}/${s.warmup.total} finished`
    : renderProgress(s.progress).replace(/\s+/g, " ");
  return `${head} ${where}, ${s.inFlight} in flight`;
}
