/** `llmbench run`: wires the plan, the HTTP client and the metrics into one result document. */
import { cpus } from "node:os";
import { EndpointError, UsageError, type ErrorClass } from "../core/errors.ts";
import { summarizeRun, type RawRecord, type RunSummary } from "../core/metrics.ts";
import { publicConfig, type RunOptions } from "../core/options.ts";
import { getProtocol } from "../core/protocols/index.ts";
import { RESULT_SCHEMA, relativeRecords, type ResultDocument } from "../core/result.ts";
import { ClosedLoopPlan, type PlannedRequest } from "../core/schedule.ts";
import { MetricDigest } from "../core/stats/digest.ts";
import { countTokens, loadTokenizer } from "../core/tokenizer.ts";
import { syntheticWorkload } from "../core/workload.ts";
import { now as realClock, type Clock } from "../io/clock.ts";
import { http, sendRequest, type Target } from "../io/http.ts";
import { VERSION } from "../version.ts";

export type { ProgressView as Progress } from "../render/report.ts";
import type { ProgressView as Progress } from "../render/report.ts";

export interface RunDeps {
  clock?: Clock;
  /** aborted on Ctrl-C: stop sending, give in-flight requests `graceMs`, then abort them */
  interrupt?: AbortSignal;
  graceMs?: number;
  onProgress?: (p: Progress) => void;
  info?: (msg: string) => void;
}

export interface RunOutcome {
  doc: ResultDocument;
  /** the run was cut short by Ctrl-C */
  interrupted: boolean;
  /** the run stopped early: the endpoint could not be reached */
  unreachable: boolean;
  /** every record, warm-up included, in dispatch order */
  records: RawRecord[];
}

/** Number of first completions that, all failing to connect, stop the run: the server is not there. */
const UNREACHABLE_AFTER = 5;

export async function runBenchmark(opts: RunOptions, deps: RunDeps = {}): Promise<RunOutcome> {
  const clock = deps.clock ?? realClock;
  const info = deps.info ?? (() => {});
  const protocol = getProtocol(opts.api);
  await loadTokenizer(opts.tokenizer);
  const headers: Record<string, string> = { "content-type": "application/json", accept: "*/*", ...opts.headers };
  if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
  const model = opts.model ?? (opts.api === "generate" ? undefined : await discoverModel(opts, headers, info));
  const target: Target = { url: opts.url.href, headers, protocol, timeoutMs: opts.timeoutMs };
  const workload = syntheticWorkload(opts.seed, opts.promptWords);
  const plan = new ClosedLoopPlan({ requests: opts.requests, warmup: opts.warmup, repeatRatio: opts.repeatRatio, seed: opts.seed });

  const startedAt = new Date();
  const records: RawRecord[] = [];
  const hardStop = new AbortController();
  let stopping = false;
  let interrupted = false;
  let unreachable = false;
  const onInterrupt = () => {
    if (stopping) return;
    interrupted = stopping = true;
    info(`interrupted: no new requests; waiting up to ${(deps.graceMs ?? 2000) / 1000} s for those in flight`);
    setTimeout(() => hardStop.abort(), deps.graceMs ?? 2000).unref?.();
  };
  if (deps.interrupt?.aborted) onInterrupt();
  deps.interrupt?.addEventListener("abort", onInterrupt);

  const ttftDigest = new MetricDigest();
  let measuredStart: number | undefined;
  let measuredDone = 0;
  let measuredFailed = 0;
  let measuredTokens = 0;
  let completions = 0;
  let connectFailures = 0;
  const reportProgress = () => {
    if (!deps.onProgress || measuredStart === undefined) return;
    const elapsedS = (clock() - measuredStart) / 1000;
    deps.onProgress({
      done: measuredDone,
      total: opts.requests,
      failed: measuredFailed,
      requestsPerS: elapsedS > 0 ? (measuredDone - measuredFailed) / elapsedS : 0,
      outputTokensPerS: elapsedS > 0 ? measuredTokens / elapsedS : 0,
      ttftP50Ms: ttftDigest.count > 0 ? ttftDigest.percentile(0.5) : undefined,
    });
  };

  const execute = async (req: PlannedRequest): Promise<void> => {
    const prompt = workload.prompt(req.promptId);
    const body = JSON.stringify(protocol.buildBody({ prompt, maxTokens: opts.maxTokens, stream: opts.stream, model, extraBody: opts.extraBody }));
    if (req.phase === "measured" && measuredStart === undefined) measuredStart = clock();
    const out = await sendRequest(target, body, hardStop.signal, clock);
    const reasoningTokens = out.reasoning ? countTokens(out.reasoning, opts.tokenizer) : 0;
    const record: RawRecord = {
      seq: req.seq,
      phase: req.phase,
      promptId: req.promptId,
      repeat: req.repeat,
      tSched: null,
      tSend: out.tSend,
      tFirstByte: out.tFirstByte,
      tokenTimes: out.tokenTimes,
      tEnd: out.tEnd,
      streamed: out.streamed,
      status: out.status,
      outputTokensCounted: countTokens(out.text, opts.tokenizer) + reasoningTokens,
      reasoningTokensCounted: reasoningTokens,
      promptTokensCounted: countTokens(prompt, opts.tokenizer),
      usage: out.usage,
      cached: out.cached,
      error: out.error,
    };
    records.push(record);
    plan.complete(req.seq, out.error === null);
    completions++;
    if (out.error?.class === "connect") connectFailures++;
    if (connectFailures === completions && completions >= Math.min(UNREACHABLE_AFTER, plan.total) && !stopping) {
      unreachable = stopping = true;
    }
    if (req.phase === "measured") {
      measuredDone++;
      if (out.error) measuredFailed++;
      else {
        measuredTokens += out.usage?.completionTokens ?? record.outputTokensCounted;
        const first = out.streamed && out.tokenTimes.length > 0 ? out.tokenTimes[0] : out.tFirstByte;
        if (first !== null) ttftDigest.push(first - out.tSend);
      }
      reportProgress();
    }
  };

  // closed loop: at most `concurrency` in flight; a finished request lets the next one go
  await new Promise<void>((resolve) => {
    let inFlight = 0;
    const pump = () => {
      while (!stopping && inFlight < opts.concurrency) {
        const step = plan.next();
        if (step === "wait" || step === "done") break;
        inFlight++;
        execute(step).finally(() => {
          inFlight--;
          pump();
        });
      }
      if (inFlight === 0) resolve();
    };
    pump();
  });
  deps.interrupt?.removeEventListener("abort", onInterrupt);

  records.sort((a, b) => a.seq - b.seq);
  const { summary, digests } = summarizeRun(records, opts.tokenizer);
  const t0 = records.reduce((m, r) => Math.min(m, r.tSend), Infinity);
  const doc: ResultDocument = {
    schema: RESULT_SCHEMA,
    tool: { name: "llmbench", version: VERSION },
    complete: !interrupted && !unreachable,
    started_at: startedAt.toISOString(),
    finished_at: new Date().toISOString(),
    config: { ...publicConfig(opts), model: model ?? null },
    environment: { os: process.platform, arch: process.arch, cpus: cpus().length, runtime: `bun ${Bun.version}` },
    notes: runNotes(opts, summary),
    summary,
    digests,
    requests: opts.records ? relativeRecords(records, t0) : null,
  };
  return { doc, interrupted, unreachable, records };
}

function runNotes(opts: RunOptions, s: RunSummary): string[] {
  const notes: string[] = [];
  const meanOut = s.tokens.mean_output_per_request;
  if (s.ttft_kind === "first-byte") {
    notes.push("responses were not streamed: TTFT is the time to the first body byte; TPOT and ITL cannot be observed and are not given (use --stream where the server supports it)");
  }
  if (meanOut !== null && Math.abs(meanOut - opts.maxTokens) > 0.5) {
    notes.push(`the server returned ${meanOut.toFixed(1)} output tokens per request on average, not --max-tokens ${opts.maxTokens}: throughput compares only with runs of the same lengths`);
  }
  const perChunk = s.tokens.tokens_per_chunk;
  if (perChunk !== null && perChunk > 1.05) {
    notes.push(`stream chunks carried ${perChunk.toFixed(2)} tokens each on average: ITL is measured between chunks, not between tokens; TPOT is per token`);
  }
  const { compared, disagreed } = s.tokens.usage_vs_client;
  if (disagreed > 0) {
    notes.push(`the server's usage and the ${opts.tokenizer} tokenizer disagreed on the output length of ${disagreed} of ${compared} requests; the server's count was used`);
  }
  return notes;
}

/** Ask GET /v1/models for the first model when --model is not given. */
async function discoverModel(opts: RunOptions, headers: Record<string, string>, info: (m: string) => void): Promise<string> {
  const base = opts.url.href.replace(/\/(chat\/)?completions\/?$/, "");
  const url = `${base}/models`;
  let body: unknown;
  try {
    const res = await http.raw(url, { headers, signal: AbortSignal.timeout(opts.timeoutMs), responseType: "json" });
    if (res.status >= 400) throw new Error(`HTTP ${res.status}`);
    body = res._data;
  } catch (err) {
    const msg = (err as Error).message;
    if (/ECONNREFUSED|Unable to connect/.test(msg)) {
      throw new EndpointError(`cannot connect to ${opts.endpoint}: connection refused`, `is the server running? 'llmbench serve' starts one`);
    }
    throw new UsageError(`--model was not given and GET ${url} failed (${msg.split("\n")[0]})`, `pass --model NAME`);
  }
  const first = (body as { data?: Array<{ id?: unknown }> })?.data?.[0]?.id;
  if (typeof first !== "string") throw new UsageError(`--model was not given and GET ${url} listed no model`, `pass --model NAME`);
  info(`using model '${first}' (the first listed by GET ${url}; pass --model to choose)`);
  return first;
}

/** The one-line error for a run in which no measured request succeeded. */
export function allFailedError(doc: ResultDocument, records: readonly RawRecord[]): EndpointError {
  const failures = records.filter((r) => r.error);
  const counts = new Map<ErrorClass, number>();
  for (const r of failures) counts.set(r.error!.class, (counts.get(r.error!.class) ?? 0) + 1);
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  const first = failures.find((r) => r.error!.class === top)?.error;
  const endpoint = String(doc.config.endpoint);
  const api = String(doc.config.api);
  switch (top) {
    case "connect":
      if (first?.message.startsWith("host not found")) {
        return new EndpointError(`cannot reach ${endpoint}: ${first.message}`, `check the host name in --endpoint`);
      }
      return new EndpointError(`cannot connect to ${endpoint}: ${first?.message ?? "connection failed"}`, `is the server running? 'llmbench serve --port ${new URL(endpoint).port || 8000}' starts one, or pass --endpoint`);
    case "timeout":
      return new EndpointError(`every request timed out (${first?.message})`, `raise --timeout, lower --max-tokens or --concurrency, or check that the server is generating`);
    case "http_4xx":
    case "http_5xx":
      return new EndpointError(
        `every request failed: ${first?.message}; first response: ${oneLine(first?.body ?? "")}`,
        `check --endpoint and --api (this run sent the ${api} API's request to ${new URL(endpoint).pathname})`,
      );
    case "protocol":
      return new EndpointError(`every response was unreadable as the ${api} API: ${oneLine(first?.message ?? "")}; first response: ${oneLine(first?.body ?? "")}`, `check --api matches the server (${expectedSchema(api)})`);
    default:
      return new EndpointError(`no request completed`, `check the server`);
  }
}

function expectedSchema(api: string): string {
  if (api === "generate") return `expected POST {"prompt", "max_tokens", "temperature"} → {"text": str, "cached": bool}`;
  return `expected the OpenAI ${api === "openai-chat" ? "chat completions" : "completions"} API`;
}

const oneLine = (s: string) => {
  const t = s.replace(/\s+/g, " ").trim();
  return t.length > 200 ? `${t.slice(0, 200)}…` : t || "(empty)";
};
