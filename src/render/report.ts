/** Result document → the terminal report. Pure: data in, text out. */
import type { ResultDocument } from "../core/result.ts";
import type { Distribution } from "../core/stats/percentiles.ts";
import { ERROR_CLASSES } from "../core/errors.ts";
import type { ProgressView } from "../core/progress.ts";
import { ms, num, pct } from "../core/format.ts";
import { prefixCacheLines } from "./prefix.ts";

function distRow(label: string, d: Distribution | null): string {
  if (!d) return `  ${label.padEnd(22)}${"n/a".padStart(9)}`;
  return `  ${label.padEnd(22)}${[d.mean, d.p50, d.p90, d.p95, d.p99, d.max].map((x) => ms(x).padStart(9)).join("")}${String(d.count).padStart(9)}`;
}

export function renderReport(doc: ResultDocument): string {
  const s = doc.summary;
  const c = doc.config;
  const lines: string[] = [];
  lines.push(`llmbench ${doc.tool.version} — ${c.api} ${c.endpoint}${c.model ? ` (model ${c.model})` : ""}`);
  const size = c.requests !== null ? `${c.requests} requests` : `${c.duration_s} s`;
  const trace = c.trace;
  const load = trace
    ? `trace ${trace.file}${trace.speed !== 1 ? ` at ${trace.speed}× speed` : ""}${c.concurrency !== null ? `, cap ${c.concurrency}` : ""}`
    : c.rate !== null ? `rate ${c.rate}/s${c.burstiness !== 1 ? ` (burstiness ${c.burstiness})` : ""}${c.concurrency !== null ? `, cap ${c.concurrency}` : ""}` : `concurrency ${c.concurrency}`;
  lines.push(
    `  ${size} (+${c.warmup} warm-up${c.ramp_up_s ? `, ${c.ramp_up_s} s ramp` : ""}), ${load}, ${trace ? `max tokens and prompts from the trace (blocks of ${trace.block_tokens} tokens)` : `max tokens ${c.max_tokens}, repeat ratio ${c.repeat_ratio}`}, ${c.shards ? `${c.shards} shards (${Array.isArray(c.seeds) ? `seeds ${c.seeds.join(", ")}` : `one workload, seed ${c.seed}`})` : `seed ${c.seed}`}${c.stream ? ", streamed" : ""}${c.latency_from === "due" ? ", latency from when due" : ""}`,
  );
  if (!doc.complete) lines.push(`  INCOMPLETE: the run was stopped early; numbers cover the requests that finished`);
  lines.push("");
  const errs = ERROR_CLASSES.filter((k) => s.errors[k] > 0).map((k) => `${k} ${s.errors[k]}`);
  lines.push(`Requests      sent ${s.requests.sent}, succeeded ${s.requests.succeeded}, failed ${s.requests.failed}${errs.length ? ` (${errs.join(", ")})` : ""}`);
  const conn = s.connections;
  if (conn && conn.retried_requests > 0) {
    lines.push(
      `Connections   ${conn.retried_requests} requests sent again on a fresh connection (the server had closed the reused one before answering)${conn.retries_failed > 0 ? `; ${conn.retries_failed} failed again` : ""}`,
    );
  }
  lines.push(`Duration      ${num(s.duration_s, 2)} s (first measured send → last measured end)`);
  lines.push(
    `Throughput    ${num(s.throughput.output_tokens_per_s)} output tok/s, ${num(s.throughput.input_tokens_per_s)} input tok/s, ${num(s.throughput.requests_per_s, 2)} req/s`,
  );
  const reasoning = s.tokens.reasoning > 0 ? ` (${s.tokens.reasoning} reasoning)` : "";
  lines.push(`Tokens        ${s.tokens.output} out${reasoning}, ${s.tokens.input} in (counted by: ${s.tokens_source})`);
  lines.push(
    `Cache         hit rate ${pct(s.cache.hit_rate)} (${s.cache.hits} hits); among repeated prompts ${pct(s.cache.repeat_hit_rate)} (${s.cache.repeat_hits} of ${s.cache.repeats_succeeded} answered)`,
  );
  lines.push(...prefixCacheLines(s.prefix_cache));
  lines.push(`Avg latency   ${ms(s.e2e_ms?.mean)} ms`);
  lines.push("");
  lines.push(`  ${"ms".padEnd(22)}${["mean", "p50", "p90", "p95", "p99", "max", "n"].map((h) => h.padStart(9)).join("")}`);
  lines.push(distRow(`TTFT${s.ttft_kind === "first-byte" ? " (first byte)" : ""}`, s.ttft_ms));
  lines.push(distRow("TPOT", s.tpot_ms));
  lines.push(distRow("ITL", s.itl_ms));
  lines.push(distRow("E2E latency", s.e2e_ms));
  lines.push(distRow("latency per token", s.latency_per_token_ms));
  if (s.send_lag_ms) lines.push(distRow("send lag", s.send_lag_ms));
  if (s.client?.event_loop_lag_ms) lines.push(distRow("client loop lag", s.client.event_loop_lag_ms));
  if (s.slo) {
    lines.push("");
    const status = (t: (typeof s.slo.terms)[number]) => t.status ?? (t.passed ? "met" : "missed"); // older files have no status
    const held = s.slo.passed ? "met" : s.slo.terms.some((t) => status(t) === "missed") ? "MISSED" : "NOT VERIFIED (a metric was not measured)";
    lines.push(`SLO           ${held}; goodput ${num(s.slo.goodput_rps, 2)} req/s (${s.slo.good_requests} of ${s.requests.succeeded} requests met every per-request bound)`);
    for (const t of s.slo.terms) {
      const st = status(t);
      if (st === "not measured") lines.push(`  ${t.name.padEnd(10)} ${"not measured".padStart(12)}  (bound ${ms(t.bound_ms)} ms)`);
      else lines.push(`  ${t.name.padEnd(10)} ${ms(t.value_ms).padStart(9)} ms  ${st === "met" ? "≤" : ">"} ${ms(t.bound_ms)} ms  ${st === "met" ? "ok" : "MISSED"}`);
    }
  }
  if (doc.runs && doc.runs.length > 1) {
    lines.push("");
    lines.push(`Runs          ${doc.runs.length} runs of the same measurement (the table above pools them); run to run:`);
    lines.push(`  ${"run".padEnd(6)}${["TTFT p50", "TPOT p50", "E2E p50", "E2E p95", "out tok/s"].map((h) => h.padStart(10)).join("")}`);
    doc.runs.forEach((r, i) => {
      const x = r.summary;
      const cells = [ms(x.ttft_ms?.p50), ms(x.tpot_ms?.p50), ms(x.e2e_ms?.p50), ms(x.e2e_ms?.p95), num(x.throughput.output_tokens_per_s)];
      lines.push(`  ${`${i + 1}${r.complete ? "" : "*"}`.padEnd(6)}${cells.map((c) => c.padStart(10)).join("")}${x.client?.distorted ? "  (client distorted)" : ""}`);
    });
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
  const where = s.warmup ? `warm-up ${s.warmup.done}/${s.warmup.total} finished` : renderProgress(s.progress).replace(/\s+/g, " ");
  return `${head} ${where}, ${s.inFlight} in flight`;
}
