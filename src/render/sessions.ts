/** The "Sessions" block of the terminal report: sessions completed, and TTFT and context by turn. Pure. */
import { ms, num } from "../core/format.ts";
import type { SessionsSummary } from "../core/sessions.ts";

/** Turns listed one by one; past this many, the rest are one row (the file's longest conversations). */
const TURN_ROWS = 10;

export function renderSessions(s: SessionsSummary): string[] {
  const lines: string[] = [];
  const each = s.turns_per_session_mean === null ? "" : `; ${num(s.turns_per_session_mean)} turns each`;
  lines.push(`Sessions      ${s.started} started, ${s.completed} completed, ${s.failed} failed (a failed turn ends its session)${s.unfinished > 0 ? `, ${s.unfinished} unfinished (stopped)` : ""}${each}`);
  const head = ["turn", "sent", "ok", "context", "reusable", "cached", "TTFT p50", "TTFT p95", "ms/1k ctx"];
  lines.push(`  ${head[0].padEnd(6)}${head.slice(1).map((h) => h.padStart(10)).join("")}`);
  const shown = s.by_turn.slice(0, TURN_ROWS);
  for (const t of shown) {
    const ctx = t.context_tokens?.mean;
    const perK = t.ttft_ms && ctx ? (t.ttft_ms.p50 / ctx) * 1000 : null;
    const cells = [String(t.sent), String(t.succeeded), num(ctx), num(t.reusable_tokens_mean), t.cached_tokens_mean === null ? "n/a" : num(t.cached_tokens_mean), ms(t.ttft_ms?.p50), ms(t.ttft_ms?.p95), ms(perK)];
    lines.push(`  ${String(t.turn).padEnd(6)}${cells.map((c) => c.padStart(10)).join("")}`);
  }
  if (s.by_turn.length > TURN_ROWS) lines.push(`  … ${s.by_turn.length - TURN_ROWS} more turns (the result file has every one)`);
  lines.push(`  context, reusable, cached: mean prompt tokens per turn (reusable: the history the server has seen, earlier prompts and answers; cached: the server's cached_tokens, n/a when it reports none)`);
  if (s.first_turn_ttft_ms && s.later_turns_ttft_ms) {
    lines.push(`  TTFT p50 first turn ${ms(s.first_turn_ttft_ms.p50)} ms, later turns ${ms(s.later_turns_ttft_ms.p50)} ms (n ${s.first_turn_ttft_ms.count} and ${s.later_turns_ttft_ms.count})`);
  }
  return lines;
}
