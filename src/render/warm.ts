/** The warm document → the terminal report, with a small curve of latency against request number. Pure. */
import { ERROR_CLASSES } from "../core/errors.ts";
import type { WarmDocument, WarmPoint, WindowStats } from "../core/steady.ts";
import { ms, pct, seconds, times, trend } from "../core/format.ts";

export function renderWarmReport(doc: WarmDocument): string {
  const c = doc.config;
  const lines: string[] = [];
  lines.push(`llmbench ${doc.tool.version} — warm ${c.api} ${c.endpoint}${c.model ? ` (model ${c.model})` : ""}`);
  const limits = `window ${c.window}, cv ≤ ${pct(Number(c.max_cv))}, trend ≥ ${trend(Number(c.max_drop))}`;
  const mode =
    c.requests !== null
      ? `exactly ${c.requests} requests`
      : c.max_requests === null
        ? `each prompt of ${c.prompts} once`
        : `until steady (${limits}), at most ${c.max_requests} requests`;
  lines.push(
    `  ${mode}, concurrency ${c.concurrency}, max tokens ${c.max_tokens}, seed ${c.seed}${c.stream ? ", streamed" : ""}`,
  );
  if (!doc.complete && doc.ready && doc.error === null)
    lines.push(`  INCOMPLETE: interrupted; the numbers cover the requests that finished`);
  lines.push("");
  if (!doc.ready) {
    lines.push(
      `Ready         NO, after ${doc.attempts} attempt${doc.attempts === 1 ? "" : "s"}: ${doc.error ?? "interrupted"}`,
    );
    return `${lines.join("\n")}\n`;
  }
  lines.push(
    `Ready         after ${seconds(doc.time_to_first_success_ms!)} (the first success was attempt ${doc.attempts})`,
  );
  lines.push(`Steady        ${steadyLine(doc)}`);
  const l = doc.latency_ms;
  const ratio = l.first !== null && l.steady ? `, ${times(l.first / l.steady, 1)} the steady latency` : "";
  lines.push(
    `Latency       first ${ms(l.first)} ms → ${l.steady !== null ? `steady ${ms(l.steady)} ms (median of the steady window)${ratio}` : `last ${c.window}: ${ms(l.last_window)} ms (median)`}`,
  );
  const t = doc.ttft_ms;
  lines.push(
    `TTFT${doc.ttft_kind === "first-byte" ? "*" : " "}         first ${ms(t.first)} ms → ${t.steady !== null ? `steady ${ms(t.steady)} ms` : `last ${c.window}: ${ms(t.last_window)} ms`}`,
  );
  const errs = ERROR_CLASSES.filter((k) => doc.errors[k] > 0).map((k) => `${k} ${doc.errors[k]}`);
  lines.push(
    `Requests      sent ${doc.requests.sent}, succeeded ${doc.requests.succeeded}, failed ${doc.requests.failed}${errs.length ? ` (${errs.join(", ")})` : ""}`,
  );
  if (doc.ttft_kind === "first-byte")
    lines.push(`              * not streamed: TTFT is the time to the first body byte`);
  if (doc.error) lines.push(`              stopped: ${doc.error}`);
  lines.push("");
  lines.push(...renderCurve(doc.curve, doc.requests_to_steady));
  return `${lines.join("\n")}\n`;
}

function steadyLine(doc: WarmDocument): string {
  const w = doc.window;
  const windowLine = (s: WindowStats) => `cv ${pct(s.cv)}, trend ${trend(s.drop)} across the last ${s.n}`;
  if (doc.steady) return `after ${doc.requests_to_steady} requests: ${windowLine(w!)}`;
  const c = doc.config;
  const limits = `needs ${c.window} latencies with cv ≤ ${pct(Number(c.max_cv))} and trend ≥ ${trend(Number(c.max_drop))}`;
  return `not reached in ${doc.requests.sent} requests${w ? `: ${windowLine(w)}` : ""} (${limits})`;
}

const LEVELS = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];

export interface CurveOptions {
  /** rows of the plot (each row is 8 levels high) */
  height?: number;
  /** most columns; more requests than this are grouped, a column showing their mean */
  width?: number;
}

/**
 * E2E latency against request number as a column chart: one column per request (or per group of
 * requests when there are more than `width`), scaled from the lowest to the highest latency, `×` for
 * a column whose requests all failed, and `┴` under the column where latency became steady.
 */
export function renderCurve(
  points: readonly WarmPoint[],
  steadyAt: number | null,
  { height = 8, width = 60 }: CurveOptions = {},
): string[] {
  if (points.length === 0) return [];
  const per = Math.ceil(points.length / width);
  const columns: (number | null)[] = [];
  for (let i = 0; i < points.length; i += per) {
    const xs = points.slice(i, i + per).flatMap((p) => (p.e2e_ms === null ? [] : [p.e2e_ms]));
    columns.push(xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);
  }
  const values = columns.filter((x): x is number => x !== null);
  if (values.length === 0) return [];
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const eighths = height * 8;
  const level = (v: number) => (hi === lo ? 8 : 1 + Math.round(((v - lo) / (hi - lo)) * (eighths - 1)));
  const hiLabel = ms(hi);
  const loLabel = ms(lo);
  const pad = Math.max(hiLabel.length, loLabel.length);
  const lines = [
    `Latency by request (E2E ms${per > 1 ? `, each column the mean of ${per} requests` : ""}${steadyAt !== null ? `; ┴ steady at request ${steadyAt}` : ""})`,
  ];
  for (let row = height - 1; row >= 0; row--) {
    const label = row === height - 1 ? hiLabel : row === 0 ? loLabel : "";
    const cells = columns.map((v) => {
      if (v === null) return row === 0 ? "×" : " ";
      return LEVELS[Math.max(0, Math.min(8, level(v) - 8 * row))];
    });
    lines.push(`  ${label.padStart(pad)} ┤${cells.join("").trimEnd()}`);
  }
  const axis = columns.map((_, i) => (steadyAt !== null && Math.floor((steadyAt - 1) / per) === i ? "┴" : "─"));
  lines.push(`  ${" ".repeat(pad)} └${axis.join("")}`);
  const first = String(points[0].n);
  const last = String(points[points.length - 1].n);
  const gap = Math.max(1, columns.length - first.length - last.length);
  lines.push(
    `  ${" ".repeat(pad)}  ${first}${columns.length > first.length + last.length ? " ".repeat(gap) + last : ""}`,
  );
  return lines;
}

export type WarmProgressView =
  | { phase: "wait"; elapsedMs: number; waitMs: number; attempts: number; last: string }
  | { phase: "warm"; done: number; total: number; lastMs: number | null; window: WindowStats | null };

export function renderWarmProgress(p: WarmProgressView): string {
  if (p.phase === "wait") {
    return `waiting ${(p.elapsedMs / 1000).toFixed(1)}/${(p.waitMs / 1000).toFixed(0)} s, attempt ${p.attempts}: ${p.last.length > 60 ? `${p.last.slice(0, 60)}…` : p.last}`;
  }
  const w = p.window;
  return `[${p.done}/${p.total}] last ${ms(p.lastMs)} ms${w ? `; last ${w.n}: median ${ms(w.median)} ms, cv ${pct(w.cv)}, trend ${trend(w.drop)}` : ""}`;
}
