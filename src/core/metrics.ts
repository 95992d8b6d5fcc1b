/**
 * Raw request records → per-request metrics → the run's summary. The ONE place numbers are derived
 * (SPEC §4). Records hold only timestamps and counts, so records from several workers or machines
 * can be concatenated and summarised again.
 */
import type { ErrorClass } from "./errors.ts";
import type { SchemaRecord } from "./generated/result-types.ts";
import { countErrors } from "./errors.ts";
import { MetricDigest, type SerializedDigest } from "./stats/digest.ts";
import { summarize, type Distribution } from "./stats/percentiles.ts";
import { PrefixCacheAccumulator, type PrefixCacheSummary } from "./prefix.ts";
import { checkSlo, meetsSlo, type SloResult, type SloTerm } from "./slo.ts";
import { SessionStats, type SessionsSummary } from "./sessions.ts";

/**
 * What the engine records for one request: raw monotonic timestamps (ms) and counts, nothing derived.
 * It is the result document's record (schema/result.schema.json `$defs.record`, each field described
 * there), so the type is the schema's generated one: in memory its times are the monotonic clock's,
 * in a document they are relative to the run's first send.
 */
export type RawRecord = SchemaRecord;

/** Why a request failed: its class, and finer where the fix differs (hints match on `reason`). */
export type RequestError = NonNullable<SchemaRecord["error"]>;

export type TtftKind = "token" | "first-byte";

export interface RequestMetrics {
  ok: boolean;
  ttftMs: number | null;
  ttftKind: TtftKind;
  e2eMs: number | null;
  outputTokens: number;
  promptTokens: number;
  /** true when the output count is the server's (usage), false when the client's tokenizer counted it */
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
  const ttftMs = streamed
    ? r.tokenTimes.length > 0
      ? r.tokenTimes[0] - t0
      : null
    : r.tFirstByte !== null
      ? r.tFirstByte - t0
      : null;
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
    /** succeeded requests whose output length is the server's usage (absent in older files) */
    from_usage?: number;
    /** requests where the server's usage and the client's tokenizer both gave a count (a sample: README "Token counts"), and how many of those disagreed */
    usage_vs_client: { compared: number; disagreed: number; mean_relative_difference: number | null };
    /** streamed output tokens per token-bearing chunk (1 = one token per chunk; more = ITL is per chunk, not per token) */
    tokens_per_chunk: number | null;
  };
  cache: {
    hits: number;
    hit_rate: number | null;
    repeats_sent: number;
    repeats_succeeded: number;
    repeat_hits: number;
    repeat_hit_rate: number | null;
  };
  duration_s: number;
  tokens_source: string;
  /** with --slo: each term against the run, and goodput */
  slo?: SloResult;
  /** the client's check of itself: was it fast enough not to distort what it measured? */
  client?: ClientCheck;
  /** how p50…p99 were found when the run held no records in memory: "exact" from the records file, "digest" for --bounded (absent: exact, from memory) */
  percentiles?: "exact" | "digest";
  /** requests sent again on a fresh connection because the server had closed the reused one (absent in older files) */
  connections?: ConnectionCounts;
  /** multi-turn sessions (--sessions, --turns): TTFT and context by turn, sessions completed; absent otherwise */
  sessions?: SessionsSummary;
  /** the server's cached_tokens share next to the workload's reusable share (README "Prefix caching"; absent in older files) */
  prefix_cache?: PrefixCacheSummary;
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
  if (limit !== undefined && loop && loop.count >= MIN_LAG_SAMPLES && loop.p99 > limit)
    reasons.push(`event-loop lag p99 ${loop.p99.toFixed(2)} ms`);
  if (limit !== undefined && s.send_lag_ms && s.send_lag_ms.count >= MIN_LAG_SAMPLES && s.send_lag_ms.p99 > limit)
    reasons.push(`send lag p99 ${s.send_lag_ms.p99.toFixed(2)} ms`);
  return {
    event_loop_lag_ms: loop,
    distorted: reasons.length > 0,
    reason:
      reasons.length > 0
        ? `${reasons.join(" and ")} ${reasons.length > 1 ? "exceed" : "exceeds"} ${limit!.toFixed(2)} ms (${DISTORTION_SHARE * 100}% of TTFT p50 ${ttft!.toFixed(2)} ms, at least ${LAG_FLOOR_MS} ms): the client was a bottleneck; lower the load or run several clients`
        : null,
  };
}

export interface SummaryOptions {
  latencyFrom?: "send" | "due";
  slo?: readonly SloTerm[];
}

export const DIGEST_METRICS = ["ttft_ms", "tpot_ms", "itl_ms", "e2e_ms"] as const;
export type DigestMetric = (typeof DIGEST_METRICS)[number];

/** Every distribution a summary reports, by its name in the summary. */
export const SUMMARY_METRICS = [
  "ttft_ms",
  "tpot_ms",
  "itl_ms",
  "e2e_ms",
  "latency_per_token_ms",
  "send_lag_ms",
] as const;
export type SummaryMetric = (typeof SUMMARY_METRICS)[number];

/** An empty list per distribution: what `metricValues` fills. */
export function emptyValues(): Record<SummaryMetric, number[]> {
  return { ttft_ms: [], tpot_ms: [], itl_ms: [], e2e_ms: [], latency_per_token_ms: [], send_lag_ms: [] };
}

/** The values one measured record gives each distribution (ITL: its gaps). Empty for a failed request. */
export function metricValues(m: RequestMetrics, out: Record<SummaryMetric, number[]>): void {
  for (const k of SUMMARY_METRICS) out[k].length = 0;
  if (m.sendLagMs !== null) out.send_lag_ms.push(m.sendLagMs);
  if (!m.ok) return;
  if (m.ttftMs !== null) out.ttft_ms.push(m.ttftMs);
  if (m.tpotMs !== null) out.tpot_ms.push(m.tpotMs);
  for (const g of m.itlMs) out.itl_ms.push(g);
  out.e2e_ms.push(m.e2eMs!);
  if (m.latencyPerTokenMs !== null) out.latency_per_token_ms.push(m.latencyPerTokenMs);
}

/** Exact p50/p90/p95/p99 of one distribution, found elsewhere (e.g. by a pass over the records on disk). */
export type ExactPercentiles = Pick<Distribution, "p50" | "p90" | "p95" | "p99">;

/**
 * The run's summary, folded one record at a time (warm-up records are ignored). With `keepSamples`
 * every value is kept and percentiles are exact from memory; without, memory stays flat in the
 * number of requests: count, mean, min and max stay exact, and percentiles come from exact values
 * handed to `finish` (found on disk), or else from the t-digests.
 */
export class SummaryAccumulator {
  private readonly errors = countErrors();
  private readonly samples: Record<SummaryMetric, number[]> | null;
  /** one digest per distribution; ttft/tpot/itl/e2e are serialised into the result */
  readonly digests: Record<SummaryMetric, MetricDigest>;
  private readonly values = emptyValues();
  private measured = 0;
  private succeeded = 0;
  private outTokens = 0;
  private reasoningTokens = 0;
  private compared = 0;
  private disagreed = 0;
  private relDiff = 0;
  private streamedTokens = 0;
  private streamedChunks = 0;
  private inTokens = 0;
  private hits = 0;
  private repeatsSent = 0;
  private repeatsOk = 0;
  private repeatHits = 0;
  private anyFirstByte = false;
  private allUsage = true;
  private fromUsage = 0;
  private windowStart = Infinity;
  private windowEnd = -Infinity;
  private good = 0;
  private retried = 0;
  private retriesFailed = 0;
  /** measured successes whose output tokens were extrapolated by the client (no usage) */
  estimated = 0;
  private readonly slo: readonly SloTerm[];
  /** the turns of multi-turn sessions, when records carry them */
  private readonly chats = new SessionStats();
  private readonly prefix: PrefixCacheAccumulator;

  constructor(
    private readonly tokenizer: string,
    private readonly options: SummaryOptions = {},
    keepSamples = true,
  ) {
    this.slo = options.slo ?? [];
    this.prefix = new PrefixCacheAccumulator(keepSamples);
    this.samples = keepSamples
      ? { ttft_ms: [], tpot_ms: [], itl_ms: [], e2e_ms: [], latency_per_token_ms: [], send_lag_ms: [] }
      : null;
    const d = () => new MetricDigest();
    this.digests = {
      ttft_ms: d(),
      tpot_ms: d(),
      itl_ms: d(),
      e2e_ms: d(),
      latency_per_token_ms: d(),
      send_lag_ms: d(),
    };
  }

  add(r: RawRecord): void {
    if (r.phase !== "measured") return;
    this.measured++;
    const m = deriveRequest(r, this.options.latencyFrom);
    if (r.tRetry !== undefined) {
      this.retried++;
      if (!m.ok) this.retriesFailed++;
    }
    if (r.repeat) this.repeatsSent++;
    // the measured window spans every measured request, failed ones too (SPEC §4)
    this.windowStart = Math.min(this.windowStart, r.tSend);
    if (r.tEnd !== null) this.windowEnd = Math.max(this.windowEnd, r.tEnd);
    if (r.turn !== undefined && r.session !== undefined) {
      this.chats.add({
        session: r.session,
        turn: r.turn,
        sessionTurns: r.sessionTurns ?? r.turn,
        ok: m.ok,
        aborted: r.error?.class === "aborted",
        ttftMs: m.ttftMs,
        promptTokens: m.promptTokens,
        reusableTokens: r.reusableTokens ?? 0,
        cachedTokens: r.usage?.cachedTokens,
      });
    }
    metricValues(m, this.values);
    for (const k of SUMMARY_METRICS) {
      const xs = this.values[k];
      if (xs.length === 0) continue;
      // the in-memory summary serialises only the four digests the result carries
      if (this.samples) {
        for (const x of xs) this.samples[k].push(x);
        if (k === "latency_per_token_ms" || k === "send_lag_ms") continue;
      }
      const d = this.digests[k];
      for (const x of xs) d.push(x);
    }
    if (!m.ok) {
      this.errors[r.error?.class ?? "protocol"]++;
      return;
    }
    this.succeeded++;
    if (r.tokensEstimated && r.usage?.completionTokens === undefined) this.estimated++;
    if (this.slo.length > 0 && meetsSlo(this.slo, m)) this.good++;
    if (r.repeat) this.repeatsOk++;
    if (m.ttftKind === "first-byte") this.anyFirstByte = true;
    this.outTokens += m.outputTokens;
    this.reasoningTokens += r.reasoningTokensCounted;
    if (m.tokensFromUsage && !r.outputUncounted) {
      this.compared++;
      if (r.outputTokensCounted !== m.outputTokens) this.disagreed++;
      this.relDiff += m.outputTokens > 0 ? Math.abs(r.outputTokensCounted - m.outputTokens) / m.outputTokens : 0;
    }
    if (m.ttftKind === "token") {
      this.streamedTokens += m.outputTokens;
      this.streamedChunks += r.tokenTimes.length;
    }
    this.inTokens += m.promptTokens;
    this.prefix.add({
      cachedTokens: r.usage?.cachedTokens,
      promptTokens: m.promptTokens,
      promptTokensCounted: r.promptTokensCounted,
      reusableTokens: r.reusableTokens,
      ttftMs: m.ttftMs,
    });
    if (m.tokensFromUsage) this.fromUsage++;
    else this.allUsage = false;
    if (m.cached) {
      this.hits++;
      if (r.repeat) this.repeatHits++;
    }
  }

  /** How many values each distribution holds so far. */
  count(k: SummaryMetric): number {
    return this.samples ? this.samples[k].length : this.digests[k].count;
  }

  /**
   * The summary. Without kept samples, `exact` gives percentiles found elsewhere (from the records on
   * disk); a distribution it does not cover takes the digest's.
   */
  /** `windowS`: the measured window, when it is not this accumulator's own span (`poolRuns`: the runs' windows laid end to end) */
  finish(
    exact: Partial<Record<SummaryMetric, ExactPercentiles>> = {},
    windowS?: number,
  ): { summary: RunSummary; digests: Record<DigestMetric, SerializedDigest> } {
    const dist = (k: SummaryMetric): Distribution | null => {
      if (this.samples) return summarize(this.samples[k]);
      const s = this.digests[k].summary();
      return s && exact[k] ? { ...s, ...exact[k] } : s;
    };
    const { succeeded, measured } = this;
    windowS ??= this.windowEnd > this.windowStart ? (this.windowEnd - this.windowStart) / 1000 : 0;
    const perS = (x: number) => (windowS > 0 ? x / windowS : 0);
    const failed = measured - succeeded;
    const digests = {
      ttft_ms: this.digests.ttft_ms.toJSON(),
      tpot_ms: this.digests.tpot_ms.toJSON(),
      itl_ms: this.digests.itl_ms.toJSON(),
      e2e_ms: this.digests.e2e_ms.toJSON(),
    };
    const summary: RunSummary = {
      requests: { sent: measured, succeeded, failed },
      errors: this.errors,
      error_rate: measured > 0 ? failed / measured : 0,
      ttft_ms: dist("ttft_ms"),
      tpot_ms: dist("tpot_ms"),
      itl_ms: dist("itl_ms"),
      e2e_ms: dist("e2e_ms"),
      latency_per_token_ms: dist("latency_per_token_ms"),
      send_lag_ms: dist("send_lag_ms"),
      ttft_kind: succeeded === 0 ? null : this.anyFirstByte ? "first-byte" : "token",
      throughput: {
        output_tokens_per_s: perS(this.outTokens),
        input_tokens_per_s: perS(this.inTokens),
        requests_per_s: perS(succeeded),
      },
      tokens: {
        output: this.outTokens,
        input: this.inTokens,
        reasoning: this.reasoningTokens,
        mean_output_per_request: succeeded > 0 ? this.outTokens / succeeded : null,
        from_usage: this.fromUsage,
        usage_vs_client: {
          compared: this.compared,
          disagreed: this.disagreed,
          mean_relative_difference: this.compared > 0 ? this.relDiff / this.compared : null,
        },
        tokens_per_chunk: this.streamedChunks > 0 ? this.streamedTokens / this.streamedChunks : null,
      },
      cache: {
        hits: this.hits,
        hit_rate: succeeded > 0 ? this.hits / succeeded : null,
        repeats_sent: this.repeatsSent,
        repeats_succeeded: this.repeatsOk,
        repeat_hits: this.repeatHits,
        repeat_hit_rate: this.repeatsOk > 0 ? this.repeatHits / this.repeatsOk : null,
      },
      duration_s: windowS,
      tokens_source: succeeded > 0 && this.allUsage ? "usage" : this.tokenizer,
      // one fresh connection per retried request: the rule retries once, never twice
      connections: { reconnects: this.retried, retried_requests: this.retried, retries_failed: this.retriesFailed },
      prefix_cache: this.prefix.finish(),
    };
    if (this.slo.length > 0) summary.slo = checkSlo(this.slo, summary, this.good, windowS);
    if (this.chats.any) summary.sessions = this.chats.finish();
    return { summary, digests };
  }
}

/**
 * Summary over the measured records (warm-up records are ignored), exact from every value — all are
 * kept in memory here — and a t-digest per metric, serialised for `merge` and `compare`. What keeps
 * memory flat is a SummaryAccumulator without samples (run --records-file, --bounded), not these digests.
 */
export function summarizeRun(
  records: readonly RawRecord[],
  tokenizer: string,
  options: SummaryOptions = {},
): { summary: RunSummary; digests: Record<DigestMetric, SerializedDigest> } {
  const acc = new SummaryAccumulator(tokenizer, options);
  for (const r of records) acc.add(r);
  return acc.finish();
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
  const acc = new SummaryAccumulator(tokenizer, options);
  // a session of one run is not the same-numbered session of another
  runs.forEach((r, i) => {
    for (const record of r.records)
      acc.add(i === 0 || record.session === undefined ? record : { ...record, session: i * 1e6 + record.session });
  });
  const pooled = acc.finish({}, windowS);
  const distorted = runs.map((r, i) => ({ c: r.client, i })).filter(({ c }) => c?.distorted);
  pooled.summary.client = {
    event_loop_lag_ms: null,
    distorted: distorted.length > 0,
    reason:
      distorted.length > 0
        ? `in run ${distorted.map(({ i }) => i + 1).join(", ")} of ${runs.length}: ${distorted[0].c!.reason}`
        : null,
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
