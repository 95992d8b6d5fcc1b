/**
 * The result document of one run (SPEC §5), built by a pure function from what the run measured:
 * the environment, the dates, the clock's origin and the version come in as values. Also the notes
 * the report prints under it. Tested with an exact expectation (test/core/run-document.test.ts).
 */
import type { RawRecord, RunSummary } from "./metrics.ts";
import { prefixCacheNote } from "./prefix.ts";
import { publicConfig, type RunOptions } from "./options.ts";
import { RESULT_SCHEMA, relativeRecords, type ResultDocument } from "./result.ts";

export interface RunDocumentInput {
  opts: RunOptions;
  /** the model asked for (or learned from GET /v1/models); null when none */
  model: string | null;
  /** where the prompts came from (the workload's source) */
  prompts: string;
  /** false when the run was interrupted, stopped early or gave up */
  complete: boolean;
  /** ISO 8601 */
  startedAt: string;
  finishedAt: string;
  /** the first send on the run's clock; Infinity when nothing was sent */
  firstSend: number;
  /** the Unix time (ms) at which the run's clock reads 0 (`performance.timeOrigin` for the real clock) */
  clockOriginUnixMs: number;
  environment: ResultDocument["environment"];
  /** llmbench's version */
  version: string;
  summary: RunSummary;
  digests: ResultDocument["digests"];
  /** answers whose output tokens were extrapolated (README "Token counting") */
  estimated: number;
  /** the records kept, in seq order (saved only with --records) */
  records: readonly RawRecord[];
}

export function runDocument(i: RunDocumentInput): ResultDocument {
  const { opts, summary } = i;
  return {
    schema: RESULT_SCHEMA,
    tool: { name: "llmbench", version: i.version },
    complete: i.complete,
    started_at: i.startedAt,
    finished_at: i.finishedAt,
    t0_unix_ms: Number.isFinite(i.firstSend) ? Math.round((i.clockOriginUnixMs + i.firstSend) * 1000) / 1000 : null,
    config: { ...publicConfig(opts), model: i.model, prompts: i.prompts },
    environment: i.environment,
    notes: runNotes(opts, summary, i.estimated),
    summary,
    digests: i.digests,
    requests: opts.records ? relativeRecords(i.records, i.firstSend) : null,
    ...(opts.recordsFile !== undefined ? { records_file: opts.recordsFile } : {}),
  };
}

/** Whose number the mean output length is: the server's usage, the client's tokenizer, or both (README "Token counting"). */
export function outputLengthSource(meanOut: number, fromUsage: number, succeeded: number, tokenizer: string): string {
  const mean = `${meanOut.toFixed(1)} output tokens per request on average`;
  if (fromUsage >= succeeded) return `the server reported ${mean} (its usage)`;
  if (fromUsage === 0) return `the client's ${tokenizer} tokenizer counted ${mean} (the server reported no usage)`;
  return `${mean}, by the server's usage for ${fromUsage} of ${succeeded} requests and the client's ${tokenizer} tokenizer for the rest`;
}

/** Send lag p99 past which a trace replay says it fell behind the trace. */
const TRACE_LATE_MS = 50;

function runNotes(opts: RunOptions, s: RunSummary, estimated: number): string[] {
  const notes: string[] = [];
  const meanOut = s.tokens.mean_output_per_request;
  // older files lack from_usage: then every request with usage was also compared
  const fromUsage = s.tokens.from_usage ?? s.tokens.usage_vs_client.compared;
  if (s.percentiles === "digest")
    notes.push(
      "--bounded: percentiles are t-digest estimates (count, mean, min and max are exact); drop --bounded for exact ones",
    );
  if (s.ttft_kind === "first-byte") {
    notes.push(
      "responses were not streamed: TTFT is the time to the first body byte; TPOT and ITL cannot be observed and are not given (use --stream where the server supports it)",
    );
  }
  // a trace (each request asks its own output_length), or a sessions file (its turns may give max_tokens each), has no one --max-tokens to miss
  if (meanOut !== null && !opts.trace && !opts.sessions?.file && Math.abs(meanOut - opts.maxTokens) > 0.5) {
    notes.push(
      `${outputLengthSource(meanOut, fromUsage, s.requests.succeeded, opts.tokenizer)}, not --max-tokens ${opts.maxTokens}: throughput compares only with runs of the same lengths`,
    );
  }
  // answers too long to count in the time they took to arrive: their count is extrapolated (README "Token counting")
  if (estimated > 0) {
    notes.push(
      `${estimated} answers were too long for the ${opts.tokenizer} tokenizer to count in the time they took to arrive: their output tokens were extrapolated from the part counted${opts.tokenizer === "whitespace" ? "" : " (--tokenizer whitespace counts ~50× faster)"}`,
    );
  }
  const perChunk = s.tokens.tokens_per_chunk;
  if (perChunk !== null && perChunk > 1.05) {
    notes.push(
      `stream chunks carried ${perChunk.toFixed(2)} tokens each on average: ITL is measured between chunks, not between tokens; TPOT is per token`,
    );
  }
  // fewer tokens than token-bearing chunks, and no usage to go by: the tokenizer is not the model's (README "Token counting")
  if (perChunk !== null && perChunk < 0.95 && fromUsage === 0) {
    notes.push(
      `the ${opts.tokenizer} tokenizer counted fewer output tokens than the stream had chunks with text (${perChunk.toFixed(2)} tokens per chunk): its count was used for output tokens, TPOT and throughput, since the server reported no usage and a chunk is not always one token; but every such chunk carries at least one of the model's tokens, so the tokenizer does not fit the model and TPOT is overstated (by about ${((1 / perChunk - 1) * 100).toFixed(0)}% if each chunk is one token): pass --tokenizer with the model's tokenizer.json`,
    );
  }
  // a few tokens apart is normal (the server's tokenizer is not ours); a tenth or more says --tokenizer does not fit the model
  const { compared, disagreed, mean_relative_difference: diff } = s.tokens.usage_vs_client;
  if (diff !== null && diff > 0.1) {
    notes.push(
      `the server's usage and the ${opts.tokenizer} tokenizer disagreed on the output length of ${disagreed} of ${compared} requests, by ${(diff * 100).toFixed(0)}% on average; the server's count was used (choose --tokenizer to match the model for servers without usage)`,
    );
  }
  // first-time prompts answered from the cache: the server saw them before (an earlier run with the same --seed, or a short prompts file)
  // (with cached_tokens reported, a first-time prompt whose prefix was sent before is a hit too: prefixCacheNote says what is unexpected;
  // a session's later turns are meant to hit: their history was sent before)
  const earlyHits = s.cache.hits - s.cache.repeat_hits;
  const prefixNote = prefixCacheNote(s.prefix_cache);
  if (prefixNote !== null) notes.push(prefixNote);
  if (earlyHits > 0 && !(s.prefix_cache && s.prefix_cache.reported > 0) && !s.sessions) {
    notes.push(
      `${earlyHits} first-time prompts were answered from the server's cache: it had seen them before (an earlier run with the same --seed, or prompts that repeat in --prompts); the cache hit rate is not the repeat ratio's`,
    );
  }
  // open loop: the load applied is the load offered only when requests left on time
  if (opts.rate !== undefined && s.send_lag_ms && s.send_lag_ms.p50 > 10) {
    notes.push(
      `requests left late (send lag p50 ${s.send_lag_ms.p50.toFixed(0)} ms): the load applied was below the offered ${opts.rate} req/s — the server (or the --concurrency cap) could not keep up; with --latency-from due the wait counts in latency`,
    );
  }
  // a trace replayed late under a cap is not the trace (a client too busy to keep time is the client check's warning)
  if (opts.trace && Number.isFinite(opts.concurrency) && s.send_lag_ms && s.send_lag_ms.p99 > TRACE_LATE_MS) {
    notes.push(
      `the replay fell behind the trace: send lag p99 ${s.send_lag_ms.p99.toFixed(0)} ms, p50 ${s.send_lag_ms.p50.toFixed(0)} ms past the requests' times — the --concurrency ${opts.concurrency} cap held requests back; with --latency-from due the wait counts in latency`,
    );
  }
  return notes;
}
