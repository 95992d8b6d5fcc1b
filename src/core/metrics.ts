/**
 * Raw request records → per-request metrics → the run's summary. The ONE place numbers are derived
 * (SPEC §4). Records hold only timestamps and counts, so records from several workers or machines
 * can be concatenated and summarised again.
 */
import type { ErrorClass } from "./errors.ts";
import { countErrors } from "./errors.ts";
import type { Usage } from "./protocols/types.ts";
import type { Phase } from "./schedule.ts";
import { MetricDigest, type SerializedDigest } from "./stats/digest.ts";
import { summarize, type Distribution } from "./stats/percentiles.ts";
import { checkSlo, meetsSlo, type SloResult, type SloTerm } from "./slo.ts";

export interface RequestError {
  class: ErrorClass;
  message: string;
  status?: number;
  /** the first bytes of the response body, when there was one */
  body?: string;
}

/** What the engine records for one request: raw monotonic timestamps (ms) and counts, nothing derived. */
export interface RawRecord {
  seq: number;
  phase: Phase;
  promptId: number;
  repeat: boolean;
  /** when the request was due (open loop); null in closed loop */
  tSched: number | null;
  /** handed to the HTTP client (the first attempt's send, when the request was sent twice) */
  tSend: number;
  /**
   * present only when a reused keep-alive connection died before any response byte and the request
   * was sent once more on a fresh connection: when that second attempt was sent
   */
  tRetry?: number;
  /** first body byte read */
  tFirstByte: number | null;
  /** one timestamp per token-bearing chunk (event), in order */
  tokenTimes: number[];
  /** body complete (or the failure observed) */
  tEnd: number | null;
  /** the response was a stream (SSE or NDJSON), so chunk times are token times */
  streamed: boolean;
  status: number | null;
  /** output tokens counted on the client with the run's tokenizer (text + reasoning) */
  outputTokensCounted: number;
  /** of which reasoning/thinking tokens */
  reasoningTokensCounted: number;
  /** prompt tokens counted on the client */
  promptTokensCounted: number;
  /**
   * true when the output was too long to count in the time the response took to arrive (or before
   * the deadline): the counts are extrapolated from the part counted. Absent otherwise.
   */
  tokensEstimated?: true;
  usage: Usage | null;
  /** the server's cache signal: `cached` of the generate API, or cached_tokens > 0; null when not given */
  cached: boolean | null;
  error: RequestError | null;
}

export type TtftKind = "token" | "first-byte";

export interface RequestMetrics {
  ok: boolean;
  ttftMs: number | null;
  ttftKind: TtftKind;
  e2eMs: number | null;
  outputTokens: number;
  promptTokens: number;
  /** "usage" when the server's count was used */
  tokensFromUsage: boolean;
  tpotMs: number | null;
  itlMs: number[];
  latencyPerTokenMs: number | null;
  cached: boolean;
  /** send_lag = t_send − t_sched (open loop) */
  sendLagMs: number | null;
}

/**
 * Per-request numbers. `latencyFrom: "due"` measures TTFT and E2E from when an open-loop request was
 * due (t_sched) instead of when it was sent, so a client or server that falls behind cannot hide it.
 */
export function deriveRequest(r: RawRecord, latencyFrom: "send" | "due" = "send"): RequestMetrics {
  const ok = r.error === null && r.tEnd !== null;
  const t0 = latencyFrom === "due" && r.tSched !== null ? r.tSched : r.tSend;
  const e2eMs = r.tEnd !== null ? r.tEnd - t0 : null;
  const fromUsage = r.usage?.completionTokens !== undefined;
  const n = fromUsage ? r.usage!.completionTokens! : r.outputTokensCounted;
  // a stream's TTFT is its first token-bearing chunk; a stream that carried none has no TTFT
  const streamed = r.streamed;
  const ttftMs = streamed ? (r.tokenTimes.length > 0 ? r.tokenTimes[0] - t0 : null) : r.tFirstByte !== null ? r.tFirstByte - t0 : null;
  const itlMs: number[] = [];
  if (streamed) for (let k = 1; k < r.tokenTimes.length; k++) itlMs.push(r.tokenTimes[k] - r.tokenTimes[k - 1]);
  const tpotMs = streamed && ok && n >= 2 && ttftMs !== null ? (e2eMs! - ttftMs) / (n - 1) : null;
  return {
    ok,
    ttftMs,
    ttftKind: streamed ? "token" : "first-byte",
    e2eMs,
    outputTokens: n,
    promptTokens: r.usage?.promptTokens ?? r.promptTokensCounted,
    tokensFromUsage: fromUsage,
    tpotMs,
    itlMs,
    latencyPerTokenMs: ok && n > 0 ? e2eMs! / n : null,
    cached: r.cached === true,
    sendLagMs: r.tSched !== null ? r.tSend - r.tSched : null,
  };
}

export interface RunSummary {
  requests: { sent: number; succeeded: number; failed: number };
  errors: Record<ErrorClass, number>;
  error_rate: number;
  ttft_ms: Distribution | null;
  tpot_ms: Distribution | null;
  itl_ms: Distribution | null;
  e2e_ms: Distribution | null;
  latency_per_token_ms: Distribution | null;
  send_lag_ms: Distribution | null;
  /** "token" when every measured TTFT is a true first-token time; "first-byte" when any is not */
  ttft_kind: TtftKind | null;
  throughput: { output_tokens_per_s: number; input_tokens_per_s: number; requests_per_s: number };
  tokens: {
    output: number;
    input: number;
    /** reasoning/thinking tokens among `output`, counted on the client */
    reasoning: number;
    mean_output_per_request: number | null;
    /** requests where the server's usage and the client's tokenizer both gave a count, and how many of those disagreed */
    usage_vs_client: { compared: number; disagreed: number; mean_relative_difference: number | null };
    /** streamed output tokens per token-bearing chunk (1 = one token per chunk; more = ITL is per chunk, not per token) */
    tokens_per_chunk: number | null;
  };
  cache: { hits: number; hit_rate: number | null; repeats_sent: number; repeats_succeeded: number; repeat_hits: number; repeat_hit_rate: number | null };
  duration_s: number;
  tokens_source: string;
  /** with --slo: each term against the run, and goodput */
  slo?: SloResult;
  /** the client's check of itself: was it fast enough not to distort what it measured? */
  client?: ClientCheck;
  /** requests sent again on a fresh connection because the server had closed the reused one (absent in older files) */
  connections?: ConnectionCounts;
}

export interface ConnectionCounts {
  /** fresh connections opened to replace a reused one the server had closed or reset before any response byte */
  reconnects: number;
  /** measured requests sent a second time for that reason (never a third) */
  retried_requests: number;
  /** of those, how many failed on the fresh connection too (counted in `errors`) */
  retries_failed: number;
}

export interface ClientCheck {
  /** how late a 10 ms timer fired during the run */
  event_loop_lag_ms: Distribution | null;
  /** true when the client's own delays are large enough to distort TTFT */
  distorted: boolean;
  /** why, in one sentence, when distorted */
  reason: string | null;
}

/** Share of the TTFT median above which the client's own p99 lag counts as distorting the numbers. */
export const DISTORTION_SHARE = 0.05;
/**
 * Lags under 2 ms are within what timers show on an idle machine here (p99 0.6–0.9 ms, max 1.5–3.3 ms
 * over 3 s of a 10 ms timer): never a finding alone.
 */
export const LAG_FLOOR_MS = 2;
/** A p99 of fewer samples is its maximum, one hiccup: not a finding either. */
export const MIN_LAG_SAMPLES = 100;

/**
 * The client's self-check: when its event-loop lag or its send lag (p99) exceeds 5% of the TTFT
 * median, what it measured includes its own delays, and the report says so.
 */
export function clientCheck(loopLagMs: readonly number[], s: RunSummary): ClientCheck {
  const loop = summarize(loopLagMs);
  const ttft = s.ttft_ms?.p50;
  const limit = ttft === undefined ? undefined : Math.max(DISTORTION_SHARE * ttft, LAG_FLOOR_MS);
  const reasons: string[] = [];
  if (limit !== undefined && loop && loop.count >= MIN_LAG_SAMPLES && loop.p99 > limit) reasons.push(`event-loop lag p99 ${loop.p99.toFixed(2)} ms`);
  if (limit !== undefined && s.send_lag_ms && s.send_lag_ms.count >= MIN_LAG_SAMPLES && s.send_lag_ms.p99 > limit) reasons.push(`send lag p99 ${s.send_lag_ms.p99.toFixed(2)} ms`);
  return {
    event_loop_lag_ms: loop,
    distorted: reasons.length > 0,
    reason: reasons.length > 0 ? `${reasons.join(" and ")} ${reasons.length > 1 ? "exceed" : "exceeds"} ${limit!.toFixed(2)} ms (${DISTORTION_SHARE * 100}% of TTFT p50 ${ttft!.toFixed(2)} ms, at least ${LAG_FLOOR_MS} ms): the client was a bottleneck; lower the load or run several clients` : null,
  };
}

export interface SummaryOptions {
  latencyFrom?: "send" | "due";
  slo?: readonly SloTerm[];
}

export const DIGEST_METRICS = ["ttft_ms", "tpot_ms", "itl_ms", "e2e_ms"] as const;
export type DigestMetric = (typeof DIGEST_METRICS)[number];

/**
 * Summary over the measured records (warm-up records are ignored), and a t-digest per metric
 * (for `merge` of shards and for metrics whose samples outgrow memory).
 */
export function summarizeRun(
  records: readonly RawRecord[],
  tokenizer: string,
  options: SummaryOptions = {},
): { summary: RunSummary; digests: Record<DigestMetric, SerializedDigest> } {
  return summarizeOver(records, tokenizer, options, measuredWindowS(records));
}

/** One of the runs `poolRuns` pools: its records (warm-up included) and the client's check of itself. */
export interface PooledRun {
  records: readonly RawRecord[];
  client?: ClientCheck;
}

/**
 * The summary of `run --runs N`: latencies, counts and cache over every run's measured requests;
 * every windowed rate (throughputs, goodput) over the runs' measured windows laid end to end (the
 * gaps between runs — warm-ups, start-up — are no part of any window); the client distorted when
 * it was in any run.
 */
export function poolRuns(
  runs: readonly PooledRun[],
  tokenizer: string,
  options: SummaryOptions = {},
): { summary: RunSummary; digests: Record<DigestMetric, SerializedDigest> } {
  const windowS = runs.reduce((s, r) => s + measuredWindowS(r.records), 0);
  const pooled = summarizeOver(runs.flatMap((r) => r.records), tokenizer, options, windowS);
  const distorted = runs.map((r, i) => ({ c: r.client, i })).filter(({ c }) => c?.distorted);
  pooled.summary.client = {
    event_loop_lag_ms: null,
    distorted: distorted.length > 0,
    reason: distorted.length > 0 ? `in run ${distorted.map(({ i }) => i + 1).join(", ")} of ${runs.length}: ${distorted[0].c!.reason}` : null,
  };
  return pooled;
}

/** The measured window in seconds: the first measured send → the last measured end, failed requests included (SPEC §4). */
function measuredWindowS(records: readonly RawRecord[]): number {
  let start = Infinity;
  let end = -Infinity;
  for (const r of records) {
    if (r.phase !== "measured") continue;
    start = Math.min(start, r.tSend);
    if (r.tEnd !== null) end = Math.max(end, r.tEnd);
  }
  return end > start ? (end - start) / 1000 : 0;
}

function summarizeOver(
  records: readonly RawRecord[],
  tokenizer: string,
  options: SummaryOptions,
  windowS: number,
): { summary: RunSummary; digests: Record<DigestMetric, SerializedDigest> } {
  const measured = records.filter((r) => r.phase === "measured");
  const errors = countErrors();
  const ttft: number[] = [];
  const tpot: number[] = [];
  const itl: number[] = [];
  const e2e: number[] = [];
  const lpt: number[] = [];
  const lag: number[] = [];
  let succeeded = 0;
  let outTokens = 0;
  let reasoningTokens = 0;
  let compared = 0;
  let disagreed = 0;
  let relDiff = 0;
  let streamedTokens = 0;
  let streamedChunks = 0;
  let inTokens = 0;
  let hits = 0;
  let repeatsSent = 0;
  let repeatsOk = 0;
  let repeatHits = 0;
  let anyFirstByte = false;
  let allUsage = true;
  let good = 0;
  let retried = 0;
  let retriesFailed = 0;
  const slo = options.slo ?? [];
  for (const r of measured) {
    const m = deriveRequest(r, options.latencyFrom);
    if (r.tRetry !== undefined) {
      retried++;
      if (!m.ok) retriesFailed++;
    }
    if (m.sendLagMs !== null) lag.push(m.sendLagMs);
    if (r.repeat) repeatsSent++;
    if (!m.ok) {
      errors[r.error?.class ?? "protocol"]++;
      continue;
    }
    succeeded++;
    if (slo.length > 0 && meetsSlo(slo, m)) good++;
    if (r.repeat) repeatsOk++;
    if (m.ttftMs !== null) ttft.push(m.ttftMs);
    if (m.ttftKind === "first-byte") anyFirstByte = true;
    if (m.tpotMs !== null) tpot.push(m.tpotMs);
    for (const g of m.itlMs) itl.push(g);
    e2e.push(m.e2eMs!);
    if (m.latencyPerTokenMs !== null) lpt.push(m.latencyPerTokenMs);
    outTokens += m.outputTokens;
    reasoningTokens += r.reasoningTokensCounted;
    if (m.tokensFromUsage) {
      compared++;
      if (r.outputTokensCounted !== m.outputTokens) disagreed++;
      relDiff += m.outputTokens > 0 ? Math.abs(r.outputTokensCounted - m.outputTokens) / m.outputTokens : 0;
    }
    if (m.ttftKind === "token") {
      streamedTokens += m.outputTokens;
      streamedChunks += r.tokenTimes.length;
    }
    inTokens += m.promptTokens;
    if (!m.tokensFromUsage) allUsage = false;
    if (m.cached) {
      hits++;
      if (r.repeat) repeatHits++;
    }
  }
  const perS = (x: number) => (windowS > 0 ? x / windowS : 0);
  const failed = measured.length - succeeded;
  const digest = (xs: number[]) => {
    const d = new MetricDigest();
    d.pushAll(xs);
    return d.toJSON();
  };
  const digests = { ttft_ms: digest(ttft), tpot_ms: digest(tpot), itl_ms: digest(itl), e2e_ms: digest(e2e) };
  const summary: RunSummary = {
    requests: { sent: measured.length, succeeded, failed },
    errors,
    error_rate: measured.length > 0 ? failed / measured.length : 0,
    ttft_ms: summarize(ttft),
    tpot_ms: summarize(tpot),
    itl_ms: summarize(itl),
    e2e_ms: summarize(e2e),
    latency_per_token_ms: summarize(lpt),
    send_lag_ms: summarize(lag),
    ttft_kind: succeeded === 0 ? null : anyFirstByte ? "first-byte" : "token",
    throughput: {
      output_tokens_per_s: perS(outTokens),
      input_tokens_per_s: perS(inTokens),
      requests_per_s: perS(succeeded),
    },
    tokens: {
      output: outTokens,
      input: inTokens,
      reasoning: reasoningTokens,
      mean_output_per_request: succeeded > 0 ? outTokens / succeeded : null,
      usage_vs_client: { compared, disagreed, mean_relative_difference: compared > 0 ? relDiff / compared : null },
      tokens_per_chunk: streamedChunks > 0 ? streamedTokens / streamedChunks : null,
    },
    cache: {
      hits,
      hit_rate: succeeded > 0 ? hits / succeeded : null,
      repeats_sent: repeatsSent,
      repeats_succeeded: repeatsOk,
      repeat_hits: repeatHits,
      repeat_hit_rate: repeatsOk > 0 ? repeatHits / repeatsOk : null,
    },
    duration_s: windowS,
    tokens_source: succeeded > 0 && allUsage ? "usage" : tokenizer,
    // one fresh connection per retried request: the rule retries once, never twice
    connections: { reconnects: retried, retried_requests: retried, retries_failed: retriesFailed },
  };
  if (slo.length > 0) summary.slo = checkSlo(slo, summary, good, windowS);
  return { summary, digests };
}
