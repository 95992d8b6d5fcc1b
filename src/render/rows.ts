/**
 * The rows of the run report's and the sweep's tables, each defined once — its label, which metric,
 * how the number is written — and drawn by both the terminal text (report.ts, sweep.ts) and the HTML
 * page (html/page.ts). A row added here shows in both. Compare's rows live with compare's text
 * renderer (compare.ts: `compareCells`), which the page draws too. Pure.
 */
import { ERROR_CLASSES } from "../core/errors.ts";
import { ms, num, pct, times } from "../core/format.ts";
import type { RunSummary } from "../core/metrics.ts";
import type { RepeatedRun, ResultConfig, SweepLevel, SweepResult } from "../core/result.ts";
import type { Distribution } from "../core/stats/percentiles.ts";
import { prefixCacheFact } from "./prefix.ts";

/** A labelled line of facts: `Requests      sent 100, …` in the terminal, a table row on the page. */
export type Fact = readonly [label: string, text: string];

/** the terminal's label column: `Requests      ` */
export const FACT_WIDTH = 14;

export const INCOMPLETE = "INCOMPLETE: the run was stopped early; numbers cover the requests that finished";

/** The load of a run: `concurrency 8`, `rate 20/s (burstiness 0.5), cap 64`, `4 sessions at once`, `trace FILE at 2× speed`. */
export function loadText(c: Pick<ResultConfig, "rate" | "burstiness" | "concurrency" | "sessions" | "trace">): string {
  const chat = c.sessions;
  if (chat)
    return `${chat.concurrency} session${chat.concurrency === 1 ? "" : "s"} at once${chat.think_time_s > 0 ? `, think time ${chat.think_time_s} s` : ""}`;
  const trace = c.trace;
  if (trace)
    return `trace ${trace.file}${trace.speed !== 1 ? ` at ${trace.speed}× speed` : ""}${c.concurrency !== null && c.concurrency !== undefined ? `, cap ${c.concurrency}` : ""}`;
  if (c.rate === null || c.rate === undefined) return `concurrency ${c.concurrency}`;
  const burst = c.burstiness !== 1 && c.burstiness !== undefined ? ` (burstiness ${c.burstiness})` : "";
  const cap = c.concurrency !== null && c.concurrency !== undefined ? `, cap ${c.concurrency}` : "";
  return `rate ${c.rate}/s${burst}${cap}`;
}

/** What sets the lengths of a run's requests: the trace's own, or the run's max tokens and repeat ratio. */
export function lengthsText(c: Pick<ResultConfig, "trace" | "max_tokens" | "repeat_ratio">): string {
  return c.trace
    ? `max tokens and prompts from the trace (blocks of ${c.trace.block_tokens} tokens)`
    : `max tokens ${c.max_tokens}, repeat ratio ${c.repeat_ratio}`;
}

/** How much a run sends: `100 requests`, `60 s`, or (multi-turn sessions) `12 sessions of 3 turns` before it, `36 turns of 12 sessions, 3 turns each` given its summary. */
export function sizeText(
  c: Pick<ResultConfig, "requests" | "duration_s" | "sessions">,
  s?: Pick<RunSummary, "requests" | "sessions">,
): string {
  const chat = c.sessions;
  // before the run (no summary yet): what it is about to send
  if (chat && !s)
    return chat.file
      ? `the conversations of ${chat.file}`
      : `${Math.ceil((c.requests ?? 1) / (chat.turns ?? 1))} sessions of ${chat.turns} turns`;
  if (chat && s) {
    const started = s.sessions?.started ?? 0;
    return `${s.requests.sent} turns of ${started} session${started === 1 ? "" : "s"}${chat.file ? ` from ${chat.file}` : `, ${chat.turns} turns each`}`;
  }
  return c.requests !== null && c.requests !== undefined ? `${c.requests} requests` : `${c.duration_s} s`;
}

/** The facts above the latency table: requests, connections sent again, duration, throughput, tokens, cache, mean latency. */
export function summaryFacts(s: RunSummary): Fact[] {
  const errs = ERROR_CLASSES.filter((k) => s.errors[k] > 0).map((k) => `${k} ${s.errors[k]}`);
  const facts: Fact[] = [
    [
      "Requests",
      `sent ${s.requests.sent}, succeeded ${s.requests.succeeded}, failed ${s.requests.failed}${errs.length ? ` (${errs.join(", ")})` : ""}`,
    ],
  ];
  const conn = s.connections;
  if (conn && conn.retried_requests > 0) {
    facts.push([
      "Connections",
      `${conn.retried_requests} requests sent again on a fresh connection (the server had closed the reused one before answering)${conn.retries_failed > 0 ? `; ${conn.retries_failed} failed again` : ""}`,
    ]);
  }
  const reasoning = s.tokens.reasoning > 0 ? ` (${s.tokens.reasoning} reasoning)` : "";
  facts.push(
    ["Duration", `${num(s.duration_s, 2)} s (first measured send → last measured end)`],
    [
      "Throughput",
      `${num(s.throughput.output_tokens_per_s)} output tok/s, ${num(s.throughput.input_tokens_per_s)} input tok/s, ${num(s.throughput.requests_per_s, 2)} req/s`,
    ],
    ["Tokens", `${s.tokens.output} out${reasoning}, ${s.tokens.input} in (counted by: ${s.tokens_source})`],
    [
      "Cache",
      `hit rate ${pct(s.cache.hit_rate)} (${s.cache.hits} hits); among repeated prompts ${pct(s.cache.repeat_hit_rate)} (${s.cache.repeat_hits} of ${s.cache.repeats_succeeded} answered)`,
    ],
  );
  // the server's prefix-cached share beside what the workload offered (README "Prefix caching")
  const prefix = prefixCacheFact(s.prefix_cache);
  if (prefix) facts.push(prefix);
  facts.push(["Avg latency", `${ms(s.e2e_ms?.mean)} ms`]);
  return facts;
}

/** The latency table's columns after the label (its label column is headed `ms`). */
export const DIST_COLUMNS = ["mean", "p50", "p90", "p95", "p99", "max", "n"] as const;

/** The latency table's rows, in order; send lag and the client's loop lag only when measured. */
export function distRows(s: RunSummary): Array<{ label: string; dist: Distribution | null }> {
  return [
    { label: `TTFT${s.ttft_kind === "first-byte" ? " (first byte)" : ""}`, dist: s.ttft_ms },
    { label: "TPOT", dist: s.tpot_ms },
    { label: "ITL", dist: s.itl_ms },
    { label: "E2E latency", dist: s.e2e_ms },
    { label: "latency per token", dist: s.latency_per_token_ms },
    ...(s.send_lag_ms ? [{ label: "send lag", dist: s.send_lag_ms }] : []),
    ...(s.client?.event_loop_lag_ms ? [{ label: "client loop lag", dist: s.client.event_loop_lag_ms }] : []),
  ];
}

/** A latency row's cells, one per DIST_COLUMNS. */
export const distCells = (d: Distribution): string[] => [
  ...[d.mean, d.p50, d.p90, d.p95, d.p99, d.max].map(ms),
  String(d.count),
];

type SloTermResult = NonNullable<RunSummary["slo"]>["terms"][number];

/** A term's status; files written before `status` existed have only `passed`. */
const sloStatus = (t: SloTermResult) => t.status ?? (t.passed ? "met" : "missed");

/** The SLO line: held or not, and goodput. */
export function sloFact(s: RunSummary, slo: NonNullable<RunSummary["slo"]>): Fact {
  const held = slo.passed
    ? "met"
    : slo.terms.some((t) => sloStatus(t) === "missed")
      ? "MISSED"
      : "NOT VERIFIED (a metric was not measured)";
  return [
    "SLO",
    `${held}; goodput ${num(slo.goodput_rps, 2)} req/s (${slo.good_requests} of ${s.requests.succeeded} requests met every per-request bound)`,
  ];
}

/** Each SLO term: its value and bound in ms, and whether it held (`ok`, `MISSED`, `not measured`). */
export function sloRows(
  slo: NonNullable<RunSummary["slo"]>,
): Array<{ name: string; status: "met" | "missed" | "not measured"; value: string; bound: string; word: string }> {
  return slo.terms.map((t) => {
    const status = sloStatus(t);
    return {
      name: t.name,
      status,
      value: ms(t.value_ms),
      bound: ms(t.bound_ms),
      word: status === "met" ? "ok" : status === "missed" ? "MISSED" : "not measured",
    };
  });
}

/** `run --runs N`: a row per run. */
export const RUNS_INTRO = (n: number) => `${n} runs of the same measurement (the table above pools them); run to run:`;
export const RUNS_COLUMNS = ["TTFT p50", "TPOT p50", "E2E p50", "E2E p95", "out tok/s"] as const;

/** A row per run: its number (`2*` when it was cut short), its cells (one per RUNS_COLUMNS), and whether the client distorted it. */
export function runsRows(runs: readonly RepeatedRun[]): Array<{ name: string; cells: string[]; distorted: boolean }> {
  return runs.map((r, i) => {
    const x = r.summary;
    return {
      name: `${i + 1}${r.complete ? "" : "*"}`,
      cells: [
        ms(x.ttft_ms?.p50),
        ms(x.tpot_ms?.p50),
        ms(x.e2e_ms?.p50),
        ms(x.e2e_ms?.p95),
        num(x.throughput.output_tokens_per_s),
      ],
      distorted: x.client?.distorted === true,
    };
  });
}

/** a level's name: its concurrency or rate as given (0.5, not rounded) */
export const levelName = (kind: SweepResult["kind"], l: SweepLevel): string =>
  String(kind === "rate" ? l.rate : l.concurrency);

/** The sweep table's columns: the level, then one per cell of `sweepRows`. */
export function sweepColumns(sw: SweepResult): string[] {
  const { withSlo, withCached, withTurns } = sweepExtras(sw);
  return [
    sw.kind === "rate" ? "rate/s" : "conc",
    "req/s",
    "out tok/s",
    "TTFT p50",
    "TTFT p99",
    ...(withTurns ? ["turn 1", "later"] : []),
    "TPOT p50",
    "E2E p50",
    "errors",
    ...(withSlo ? ["goodput"] : []),
    ...(withCached ? ["cached"] : []),
    "gain",
  ];
}

/** The sweep table's optional columns: goodput with an SLO, the server's prefix-cached share where it reported cached_tokens. */
function sweepExtras(sw: SweepResult): { withSlo: boolean; withCached: boolean; withTurns: boolean } {
  return {
    withSlo: sw.levels.some((l) => l.summary.slo),
    withCached: sw.levels.some((l) => l.summary.prefix_cache?.cached_share != null),
    // multi-turn sessions: a level's TTFT of first turns and of later turns (what a prefix cache changes)
    withTurns: sw.levels.some((l) => l.summary.sessions),
  };
}

/** Under a sweep of sessions: what its two turn columns hold. */
export const TURNS_LEGEND =
  "turn 1, later: TTFT p50 of the sessions' first turns and of their later turns; conc is sessions at once";

/** A row per level: its name (`8*` when cut short), whether it is the knee, and its cells. */
export function sweepRows(sw: SweepResult): Array<{ name: string; knee: boolean; cells: string[] }> {
  const { withSlo, withCached, withTurns } = sweepExtras(sw);
  return sw.levels.map((l, i) => {
    const s = l.summary;
    return {
      name: `${levelName(sw.kind, l)}${l.complete ? "" : "*"}`,
      knee: i === sw.knee,
      cells: [
        num(s.throughput.requests_per_s, 2),
        num(s.throughput.output_tokens_per_s),
        ms(s.ttft_ms?.p50),
        ms(s.ttft_ms?.p99),
        ...(withTurns ? [ms(s.sessions?.first_turn_ttft_ms?.p50), ms(s.sessions?.later_turns_ttft_ms?.p50)] : []),
        ms(s.tpot_ms?.p50),
        ms(s.e2e_ms?.p50),
        pct(s.error_rate),
        ...(withSlo ? [num(s.slo?.goodput_rps, 2)] : []),
        ...(withCached ? [pct(s.prefix_cache?.cached_share)] : []),
        times(l.batching_gain),
      ],
    };
  });
}

export const CUT_SHORT = "* cut short: the level covers the requests that finished";

/** Under the sweep table: the knee, what the gain means, why the sweep stopped. */
export function sweepFacts(sw: SweepResult): Fact[] {
  const facts: Fact[] = [];
  if (sw.knee !== null) facts.push(["Knee", `${sw.kind} ${levelName(sw.kind, sw.levels[sw.knee])}: ${sw.knee_reason}`]);
  else if (sw.knee_reason) facts.push(["Knee", `none: ${sw.knee_reason}`]);
  if (sw.single_request_tokens_per_s === null)
    facts.push(["Gain", "not known: no request succeeded when sent one at a time"]);
  else
    facts.push([
      "Gain",
      `output throughput ÷ one request at a time (${num(sw.single_request_tokens_per_s)} tok/s); 1.0× = batching does not pay, the ideal is the number in flight`,
    ]);
  if (sw.stop_reason) facts.push(["Stopped", sw.stop_reason]);
  return facts;
}
