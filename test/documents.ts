/**
 * The one builder of result documents for tests. `document()` is hand-built — every number written
 * here, none measured — so a renderer's golden text depends on the renderer alone; `resultDoc()` is
 * the same document around real records, summarised by the real summarizeRun (readers, compare,
 * importers). `streamed()` builds one such record.
 */
import { countErrors, type ErrorClass } from "../src/core/errors.ts";
import { summarizeRun, type RawRecord, type RunSummary } from "../src/core/metrics.ts";
import type { ResultDocument, SweepLevel } from "../src/core/result.ts";
import type { Distribution } from "../src/core/stats/percentiles.ts";

/** count, mean, min, max, then p50, p90, p95, p99 */
export function dist(
  count: number,
  mean: number,
  min: number,
  max: number,
  p50: number,
  p90: number,
  p95: number,
  p99: number,
): Distribution {
  return { count, mean, min, max, p50, p90, p95, p99 };
}

export function summary(over: Partial<RunSummary> = {}, errors: Partial<Record<ErrorClass, number>> = {}): RunSummary {
  const errs = countErrors();
  Object.assign(errs, errors);
  const failed = Object.values(errs).reduce((a, b) => a + b, 0);
  return {
    requests: { sent: 100, succeeded: 100 - failed, failed },
    errors: errs,
    error_rate: failed / 100,
    ttft_ms: dist(100, 212.4, 98.25, 612, 187.5, 301.2, 355.75, 590.1),
    tpot_ms: dist(100, 21.37, 18.02, 40.5, 20.9, 24.18, 26.4, 38.77),
    itl_ms: dist(9900, 21.4, 0.42, 180.3, 20.1, 25.6, 29.04, 61.5),
    e2e_ms: dist(100, 2328.6, 1950.2, 4870.33, 2255, 2640.8, 2900.1, 4502.7),
    latency_per_token_ms: dist(100, 23.29, 19.5, 48.7, 22.55, 26.41, 29, 45.03),
    send_lag_ms: null,
    ttft_kind: "token",
    throughput: { output_tokens_per_s: 2143.567, input_tokens_per_s: 686.04, requests_per_s: 21.43567 },
    tokens: {
      output: 10000,
      input: 3200,
      reasoning: 0,
      mean_output_per_request: 100,
      usage_vs_client: { compared: 100, disagreed: 3, mean_relative_difference: 0.012 },
      tokens_per_chunk: 1,
    },
    cache: {
      hits: 31,
      hit_rate: 0.31,
      repeats_sent: 30,
      repeats_succeeded: 30,
      repeat_hits: 29,
      repeat_hit_rate: 29 / 30,
    },
    duration_s: 4.6651,
    tokens_source: "usage",
    client: { event_loop_lag_ms: dist(466, 0.21, 0, 1.9, 0.12, 0.4, 0.55, 1.1), distorted: false, reason: null },
    ...over,
  };
}

export function config(over: Record<string, unknown> = {}): ResultDocument["config"] {
  return {
    endpoint: "http://10.0.0.7:8000/v1/chat/completions",
    api: "openai-chat",
    stream: true,
    model: "llama-3.1-8b-instruct",
    requests: 100,
    duration_s: null,
    concurrency: 8,
    rate: null,
    burstiness: 1,
    ramp_up_s: 0,
    latency_from: "send",
    max_tokens: 100,
    ignore_eos: false,
    repeat_ratio: 0.3,
    warmup: 5,
    seed: 1234,
    timeout_s: 60,
    input_tokens: { mean: 32, stdev: 0 },
    prefix_tokens: 0,
    prompts: "synthetic",
    slo: [],
    runs: 1,
    sweep: null,
    tokenizer: "o200k",
    output: null,
    records: true,
    header_names: [],
    api_key_set: false,
    extra_body: null,
    ...over,
  } as ResultDocument["config"];
}

export function document(
  over: Omit<Partial<ResultDocument>, "config"> & { config?: Record<string, unknown> } = {},
): ResultDocument {
  return {
    schema: "llmbench.result/v1",
    tool: { name: "llmbench", version: "0.1.0" },
    complete: true,
    started_at: "2026-11-30T12:00:00.000Z",
    finished_at: "2026-11-30T12:00:05.000Z",
    t0_unix_ms: 1795000000000,
    environment: { os: "linux", arch: "x64", cpus: 2, runtime: "bun 1.4.5" },
    notes: [],
    summary: summary(),
    digests: {} as ResultDocument["digests"],
    requests: null,
    ...over,
    config: config(over.config),
  };
}

export function level(x: number, s: RunSummary, gain: number | null, over: Partial<SweepLevel> = {}): SweepLevel {
  return {
    concurrency: x,
    rate: null,
    batching_gain: gain,
    complete: true,
    notes: [],
    summary: s,
    digests: {} as SweepLevel["digests"],
    requests: null,
    ...over,
  };
}

/** A streamed, successful record: sent at `tSend`, first token after `ttft`, then one token per gap. */
export function streamed(
  seq: number,
  tSend: number,
  ttft: number,
  gaps: number[],
  extra: Partial<RawRecord> = {},
): RawRecord {
  const tokenTimes = [tSend + ttft];
  for (const g of gaps) tokenTimes.push(tokenTimes[tokenTimes.length - 1] + g);
  return {
    seq,
    phase: "measured",
    promptId: seq,
    repeat: false,
    tSched: null,
    tSend,
    tFirstByte: tSend + ttft - 0.1,
    tokenTimes,
    tEnd: tokenTimes[tokenTimes.length - 1] + 0.05,
    streamed: true,
    status: 200,
    outputTokensCounted: tokenTimes.length,
    reasoningTokensCounted: 0,
    promptTokensCounted: 34,
    usage: null,
    cached: false,
    error: null,
    ...extra,
  };
}

export const BASE_CONFIG = {
  endpoint: "http://127.0.0.1:8000/generate",
  api: "generate",
  stream: true,
  model: null,
  requests: 3,
  concurrency: 1,
  max_tokens: 4,
  repeat_ratio: 0,
  warmup: 1,
  seed: 1,
  timeout_s: 60,
  tokenizer: "whitespace",
  output: "a.json",
  records: true,
  header_names: [],
  api_key_set: false,
};

/** A v1 result document from records, summarised by the real summarizeRun. */
export function resultDoc(
  records: RawRecord[],
  config: Record<string, unknown> = {},
  keepRecords = true,
): Record<string, unknown> {
  const { summary, digests } = summarizeRun(records, "whitespace");
  return document({
    summary,
    digests,
    requests: keepRecords ? records : null,
    config: { ...BASE_CONFIG, ...config },
  }) as unknown as Record<string, unknown>;
}

/** One raw record: a measured, successful, unstreamed request sent at 1000, with what a test gives it. */
export function record(over: Partial<RawRecord> = {}): RawRecord {
  return {
    seq: 0,
    phase: "measured",
    promptId: 0,
    repeat: false,
    tSched: null,
    tSend: 1000,
    tFirstByte: null,
    tokenTimes: [],
    tEnd: null,
    streamed: false,
    status: 200,
    outputTokensCounted: 0,
    reasoningTokensCounted: 0,
    promptTokensCounted: 10,
    usage: null,
    cached: null,
    error: null,
    ...over,
  };
}
