/** The "Sessions" block of the run report: sessions completed, and TTFT and context by turn. Pure; the text and the HTML page draw the same rows. */
import { ms, num } from "../core/format.ts";
import type { SessionsSummary } from "../core/sessions.ts";

/** Turns listed one by one; past this many, the rest are one line (the file's longest conversations). */
const TURN_ROWS = 10;

export interface SessionRows {
  /** sessions started, completed, failed, unfinished */
  line: string;
  head: string[];
  /** one per turn index (the first TURN_ROWS) */
  rows: string[][];
  /** what the table leaves out, and what its columns mean */
  foot: string[];
  /** TTFT of first turns against later turns, when both were measured */
  firstVsLater: string | null;
}

export function sessionRows(s: SessionsSummary): SessionRows {
  const each = s.turns_per_session_mean === null ? "" : `; ${num(s.turns_per_session_mean)} turns each`;
  const rows = s.by_turn.slice(0, TURN_ROWS).map((t) => {
    const ctx = t.context_tokens?.mean;
    const perK = t.ttft_ms && ctx ? (t.ttft_ms.p50 / ctx) * 1000 : null;
    return [
      String(t.turn),
      String(t.sent),
      String(t.succeeded),
      num(ctx),
      num(t.reusable_tokens_mean),
      t.cached_tokens_mean === null ? "n/a" : num(t.cached_tokens_mean),
      ms(t.ttft_ms?.p50),
      ms(t.ttft_ms?.p95),
      ms(perK),
    ];
  });
  const foot = [
    ...(s.by_turn.length > TURN_ROWS
      ? [`… ${s.by_turn.length - TURN_ROWS} more turns (the result file has every one)`]
      : []),
    "context, reusable, cached: mean prompt tokens per turn (reusable: the history the server has seen, earlier prompts and answers; cached: the server's cached_tokens, n/a when it reports none)",
  ];
  return {
    line: `${s.started} started, ${s.completed} completed, ${s.failed} failed (a failed turn ends its session)${s.unfinished > 0 ? `, ${s.unfinished} unfinished (stopped)` : ""}${each}`,
    head: ["turn", "sent", "ok", "context", "reusable", "cached", "TTFT p50", "TTFT p95", "ms/1k ctx"],
    rows,
    foot,
    firstVsLater:
      s.first_turn_ttft_ms && s.later_turns_ttft_ms
        ? `TTFT p50 first turn ${ms(s.first_turn_ttft_ms.p50)} ms, later turns ${ms(s.later_turns_ttft_ms.p50)} ms (n ${s.first_turn_ttft_ms.count} and ${s.later_turns_ttft_ms.count})`
        : null,
  };
}

/** The text report's lines. */
export function renderSessions(s: SessionsSummary): string[] {
  const r = sessionRows(s);
  const line = (cells: string[]) =>
    `  ${cells[0].padEnd(6)}${cells
      .slice(1)
      .map((c) => c.padStart(10))
      .join("")}`;
  return [
    `Sessions      ${r.line}`,
    line(r.head),
    ...r.rows.map(line),
    ...r.foot.map((f) => `  ${f}`),
    ...(r.firstVsLater ? [`  ${r.firstVsLater}`] : []),
  ];
}
