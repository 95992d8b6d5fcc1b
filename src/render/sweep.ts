/** A sweep's result → a table (a row per level), the knee, and a text chart of throughput against latency. Pure. */
import { num } from "../core/format.ts";
import type { ResultDocument } from "../core/result.ts";
import {
  CUT_SHORT,
  FACT_WIDTH,
  levelName,
  sizeText,
  sweepColumns,
  sweepFacts,
  sweepRows,
  TURNS_LEGEND,
} from "./rows.ts";

export function renderSweep(doc: ResultDocument): string {
  const sw = doc.sweep!;
  const c = doc.config;
  const lines: string[] = [];
  lines.push(
    `llmbench ${doc.tool.version} — sweep of ${sw.kind} — ${c.api} ${c.endpoint}${c.model ? ` (model ${c.model})` : ""}`,
  );
  lines.push(
    `  ${sizeText(c)} per level (+${c.warmup} warm-up each), max tokens ${c.max_tokens}, seed ${c.seed}${c.stream ? ", streamed" : ""}`,
  );
  if (!doc.complete)
    lines.push(`  INCOMPLETE: ${sw.stop_reason ?? "the sweep was stopped early"}; every level measured is kept`);
  lines.push("");
  const row = (cells: string[]) => cells.map((v, j) => (j === 0 ? v.padEnd(8) : v.padStart(10))).join("");
  lines.push(`  ${row(sweepColumns(sw))}`);
  for (const r of sweepRows(sw)) lines.push(`  ${row([r.name, ...r.cells])}${r.knee ? "  ← knee" : ""}`);
  if (sw.levels.some((l) => !l.complete)) lines.push(`  ${CUT_SHORT}`);
  if (sw.levels.some((l) => l.summary.sessions)) lines.push(`  ${TURNS_LEGEND}`);
  lines.push("");
  for (const [label, text] of sweepFacts(sw)) lines.push(`${label.padEnd(FACT_WIDTH)}${text}`);
  lines.push("");
  lines.push(
    ...chart(
      sw.levels.map((l) => ({
        x: l.summary.throughput.output_tokens_per_s,
        y: l.summary.e2e_ms?.p50 ?? null,
        label: levelName(sw.kind, l),
      })),
    ),
  );
  return `${lines.join("\n")}\n`;
}

/** A small scatter: output tok/s across, E2E p50 up; each point is its level's value. */
export function chart(
  points: Array<{ x: number; y: number | null; label: string }>,
  width = 56,
  height = 12,
): string[] {
  const pts = points.filter((p): p is { x: number; y: number; label: string } => p.y !== null && Number.isFinite(p.x));
  if (pts.length === 0) return [];
  const xMax = Math.max(...pts.map((p) => p.x)) || 1;
  const yMax = Math.max(...pts.map((p) => p.y)) || 1;
  const grid = Array.from({ length: height }, () => Array<string>(width).fill(" "));
  for (const p of pts) {
    const col = Math.min(width - p.label.length, Math.round((p.x / xMax) * (width - 1)));
    const row = height - 1 - Math.round((p.y / yMax) * (height - 1));
    for (let k = 0; k < p.label.length; k++) grid[row][Math.max(0, col) + k] = p.label[k];
  }
  const yLabel = (r: number) => (r === 0 ? num(yMax, 0) : r === height - 1 ? "0" : "").padStart(7);
  const out = [`  E2E p50 (ms) by output tok/s; points are levels`];
  grid.forEach((row, r) => out.push(`${yLabel(r)} │${row.join("")}`));
  out.push(`${" ".repeat(7)} └${"─".repeat(width)}`);
  out.push(`${" ".repeat(9)}0${num(xMax, 0).padStart(width - 1)} tok/s`);
  return out;
}
