/** A sweep's result → a table (a row per level), the knee, and a text chart of throughput against latency. Pure. */
import { ms, num, pct, times } from "../core/format.ts";
import type { ResultDocument, SweepLevel } from "../core/result.ts";

/** a level's name: its concurrency or rate as given (0.5, not rounded) */
const levelName = (kind: "concurrency" | "rate", l: SweepLevel) => String(kind === "rate" ? l.rate : l.concurrency);

export function renderSweep(doc: ResultDocument): string {
  const sw = doc.sweep!;
  const c = doc.config;
  const lines: string[] = [];
  lines.push(`llmbench ${doc.tool.version} — sweep of ${sw.kind} — ${c.api} ${c.endpoint}${c.model ? ` (model ${c.model})` : ""}`);
  lines.push(`  ${c.requests !== null ? `${c.requests} requests` : `${c.duration_s} s`} per level (+${c.warmup} warm-up each), max tokens ${c.max_tokens}, seed ${c.seed}${c.stream ? ", streamed" : ""}`);
  if (!doc.complete) lines.push(`  INCOMPLETE: ${sw.stop_reason ?? "the sweep was stopped early"}; every level measured is kept`);
  lines.push("");
  const withSlo = sw.levels.some((l) => l.summary.slo);
  // the server's prefix-cached share of prompt tokens, where it reported cached_tokens (README "Prefix caching")
  const withCached = sw.levels.some((l) => l.summary.prefix_cache?.cached_share != null);
  const head = [sw.kind === "rate" ? "rate/s" : "conc", "req/s", "out tok/s", "TTFT p50", "TTFT p99", "TPOT p50", "E2E p50", "errors", ...(withSlo ? ["goodput"] : []), ...(withCached ? ["cached"] : []), "gain"];
  lines.push(`  ${head.map((h, i) => (i === 0 ? h.padEnd(8) : h.padStart(10))).join("")}`);
  sw.levels.forEach((l, i) => {
    const s = l.summary;
    const row = [
      `${levelName(sw.kind, l)}${l.complete ? "" : "*"}`,
      num(s.throughput.requests_per_s, 2),
      num(s.throughput.output_tokens_per_s),
      ms(s.ttft_ms?.p50),
      ms(s.ttft_ms?.p99),
      ms(s.tpot_ms?.p50),
      ms(s.e2e_ms?.p50),
      pct(s.error_rate),
      ...(withSlo ? [num(s.slo?.goodput_rps, 2)] : []),
      ...(withCached ? [pct(s.prefix_cache?.cached_share)] : []),
      times(l.batching_gain),
    ];
    const mark = i === sw.knee ? "  ← knee" : "";
    lines.push(`  ${row.map((v, j) => (j === 0 ? v.padEnd(8) : v.padStart(10))).join("")}${mark}`);
  });
  if (sw.levels.some((l) => !l.complete)) lines.push(`  * cut short: the level covers the requests that finished`);
  lines.push("");
  if (sw.knee !== null) {
    const k = sw.levels[sw.knee];
    lines.push(`Knee          ${sw.kind} ${levelName(sw.kind, k)}: ${sw.knee_reason}`);
  } else if (sw.knee_reason) lines.push(`Knee          none: ${sw.knee_reason}`);
  if (sw.single_request_tokens_per_s === null) lines.push(`Gain          not known: no request succeeded when sent one at a time`);
  else {
    lines.push(
      `Gain          output throughput ÷ one request at a time (${num(sw.single_request_tokens_per_s)} tok/s); 1.0× = batching does not pay, the ideal is the number in flight`,
    );
  }
  if (sw.stop_reason) lines.push(`Stopped       ${sw.stop_reason}`);
  lines.push("");
  lines.push(...chart(sw.levels.map((l) => ({ x: l.summary.throughput.output_tokens_per_s, y: l.summary.e2e_ms?.p50 ?? null, label: levelName(sw.kind, l) }))));
  return `${lines.join("\n")}\n`;
}

/** A small scatter: output tok/s across, E2E p50 up; each point is its level's value. */
export function chart(points: Array<{ x: number; y: number | null; label: string }>, width = 56, height = 12): string[] {
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
