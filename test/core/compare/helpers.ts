/** Hand-built result documents and runs for the compare tests. */
import type { RunData } from "../../../src/core/importers/types.ts";
import { summarizeRun, type RawRecord } from "../../../src/core/metrics.ts";

/** A streamed, successful record: sent at `tSend`, first token after `ttft`, then one token per gap. */
export function streamed(seq: number, tSend: number, ttft: number, gaps: number[], extra: Partial<RawRecord> = {}): RawRecord {
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
export function resultDoc(records: RawRecord[], config: Record<string, unknown> = {}, keepRecords = true): Record<string, unknown> {
  const { summary, digests } = summarizeRun(records, "whitespace");
  return {
    schema: "llmbench.result/v1",
    tool: { name: "llmbench", version: "0.1.0" },
    complete: true,
    started_at: "2026-11-27T10:00:00.000Z",
    finished_at: "2026-11-27T10:00:01.000Z",
    config: { ...BASE_CONFIG, duration_s: null, rate: null, ...config },
    environment: { os: "linux", arch: "x64", cpus: 2, runtime: "bun 1.4.5" },
    notes: [],
    summary,
    digests,
    requests: keepRecords ? records : null,
  };
}

/** A RunData with per-request samples drawn from `gen` (deterministic), for compareRuns. */
export function syntheticRun(source: string, opts: { n?: number; ttft?: (i: number) => number; tpot?: (i: number) => number; failed?: number; hits?: number; throughput?: number; config?: Record<string, unknown> } = {}): RunData {
  const n = opts.n ?? 200;
  const ttft = Array.from({ length: n }, (_, i) => (opts.ttft ?? ((k) => 10 + ((k * 37) % 23) / 10))(i));
  const tpot = Array.from({ length: n }, (_, i) => (opts.tpot ?? ((k) => 4 + ((k * 17) % 13) / 20))(i));
  const itl = tpot.map((t, i) => [t * 0.9, t, t * 1.1 + (i % 3) / 100]);
  const e2e = ttft.map((t, i) => t + 3 * tpot[i]);
  const failed = opts.failed ?? 0;
  return {
    source,
    format: "llmbench.result/v1",
    tool: "llmbench 0.1.0",
    complete: true,
    config: { ...BASE_CONFIG, requests: n + failed, ...opts.config },
    ttftKind: "token",
    samples: { ttft, tpot, e2e, itl },
    summary: { ttft: null, tpot: null, itl: null, e2e: null },
    digests: null,
    requests: { sent: n + failed, succeeded: n, failed },
    cache: { hits: opts.hits ?? 0, of: n },
    throughput: { outputTokensPerS: opts.throughput ?? 400, requestsPerS: (opts.throughput ?? 400) / 4 },
    goodput: null,
    distorted: null,
    notes: [],
  };
}
