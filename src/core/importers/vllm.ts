/**
 * The result JSON of vLLM's `vllm bench serve --save-result` (benchmarks/serve.py) → RunData, so a
 * team can compare llmbench against the numbers it already has, or two vLLM runs.
 *
 * Fields read (times per request in seconds, summary fields in ms):
 *  - run: `completed`, `failed`, `num_prompts`, `duration`, `request_throughput`,
 *    `output_throughput`, `model_id`, `backend` (or `endpoint_type`), `max_concurrency`,
 *    `request_rate` (a number or "inf"), `burstiness`;
 *  - per request, with `--save-detailed` only: `ttfts`, `itls` (a list of gaps per request),
 *    `output_lens`, `input_lens`, `errors` ("" for a success);
 *  - summary: `mean_ttft_ms`, `median_ttft_ms`, `p99_ttft_ms` (and any other `pNN_`), likewise
 *    for `tpot`, `itl`, `e2el`.
 *
 * Each successful request becomes a raw record (send at 0, one token time per chunk: TTFT, then
 * TTFT + each ITL gap, the end at the last chunk) and goes through `deriveRequest`, like ours.
 * That reproduces vLLM's own definitions: its per-request latency is the time of the last chunk
 * (`most_recent_timestamp − st`), so E2E = TTFT + Σ ITL and TPOT = (E2E − TTFT)/(output_len − 1).
 */
import { deriveRequest, type RawRecord } from "../metrics.ts";
import { Checker, isNum, type Obj } from "./check.ts";
import {
  FAMILIES,
  type BaseFamily,
  type Family,
  type PercentileSummary,
  type RunData,
  type RunSamples,
} from "./types.ts";

export const VLLM_FORMAT = "vllm bench serve";

const HINT = "pass a file written by 'vllm bench serve --save-result' (add --save-detailed for per-request samples)";

/** Does a parsed document look like a vLLM bench serve result? */
export function isVllmResult(doc: Obj): boolean {
  if (doc.schema !== undefined) return false;
  const hasRun = isNum(doc.completed) && (isNum(doc.request_throughput) || isNum(doc.duration));
  return hasRun && (isNum(doc.mean_ttft_ms) || isNum(doc.mean_e2el_ms) || Array.isArray(doc.ttfts));
}

const VLLM_NAMES: Record<BaseFamily, string> = { ttft: "ttft", tpot: "tpot", itl: "itl", e2e: "e2el" };

/** backend → llmbench's API name, where they are the same API */
const APIS: Record<string, string> = {
  openai: "openai-completions",
  vllm: "openai-completions",
  "openai-chat": "openai-chat",
};

function summaryOf(c: Checker, doc: Obj, name: string): PercentileSummary | null {
  // a latency the file states is never negative
  for (const [key, v] of Object.entries(doc))
    if (key.endsWith(`_${name}_ms`) && isNum(v) && v < 0) c.fail(`${key} is ${v}, a negative latency`);
  const out: PercentileSummary = {};
  const mean = doc[`mean_${name}_ms`];
  const median = doc[`median_${name}_ms`];
  if (isNum(mean)) out.mean = mean;
  for (const p of ["p50", "p90", "p95", "p99"] as const) {
    const v = doc[`${p}_${name}_ms`];
    if (isNum(v)) out[p] = v;
  }
  if (out.p50 === undefined && isNum(median)) out.p50 = median;
  return Object.keys(out).length > 0 ? out : null;
}

export function fromVllm(doc: Obj, source: string): RunData {
  const c = new Checker(source, "vLLM bench serve result", HINT);
  const completed = c.num(doc.completed, "completed", { min: 0, integer: true });
  const errors = Array.isArray(doc.errors) ? doc.errors : null;
  const failed =
    doc.failed !== undefined
      ? c.num(doc.failed, "failed", { min: 0, integer: true })
      : errors
        ? errors.filter((e) => typeof e === "string" && e !== "").length
        : isNum(doc.num_prompts)
          ? Math.max(0, doc.num_prompts - completed)
          : 0;
  const notes: string[] = [];

  let samples: RunSamples | null = null;
  if (Array.isArray(doc.ttfts)) {
    const ttfts = c.numbers(doc.ttfts, "ttfts", { min: 0 });
    const n = ttfts.length;
    const itlsDoc: unknown = doc.itls;
    if (!Array.isArray(itlsDoc) || itlsDoc.length !== n)
      c.fail(`itls is not a list of ${n} lists (one per request, like ttfts)`);
    const itls = (itlsDoc as unknown[]).map((x, i) => c.numbers(x, `itls[${i}]`, { min: 0 }));
    const outputLens = doc.output_lens === undefined ? null : c.numbers(doc.output_lens, "output_lens", { min: 0 });
    const inputLens = doc.input_lens === undefined ? null : c.numbers(doc.input_lens, "input_lens", { min: 0 });
    if (outputLens && outputLens.length !== n) c.fail(`output_lens has ${outputLens.length} entries, ttfts ${n}`);
    samples = { ttft: [], tpot: [], e2e: [], itl: [] };
    for (let i = 0; i < n; i++) {
      const failedHere = errors !== null && typeof errors[i] === "string" && errors[i] !== "";
      if (failedHere || !(ttfts[i] > 0)) continue;
      const tokenTimes = [ttfts[i] * 1000];
      for (const gap of itls[i]) tokenTimes.push(tokenTimes[tokenTimes.length - 1] + gap * 1000);
      const outputTokens = outputLens ? outputLens[i] : tokenTimes.length;
      const record: RawRecord = {
        seq: i,
        phase: "measured",
        promptId: i,
        repeat: false,
        tSched: null,
        tSend: 0,
        tFirstByte: tokenTimes[0],
        tokenTimes,
        tEnd: tokenTimes[tokenTimes.length - 1],
        streamed: true,
        status: 200,
        outputTokensCounted: outputTokens,
        reasoningTokensCounted: 0,
        promptTokensCounted: inputLens?.[i] ?? 0,
        usage: { completionTokens: outputTokens, ...(inputLens ? { promptTokens: inputLens[i] } : {}) },
        cached: null,
        error: null,
      };
      const m = deriveRequest(record);
      samples.ttft.push(m.ttftMs!);
      if (m.tpotMs !== null) samples.tpot.push(m.tpotMs);
      samples.e2e.push(m.e2eMs!);
      if (m.itlMs.length > 0) samples.itl.push(m.itlMs);
    }
    notes.push(
      `${source} is a vLLM bench serve result: E2E is TTFT + Σ ITL (vLLM's latency: send → last chunk), TPOT (E2E − TTFT)/(output_len − 1)`,
    );
  } else {
    notes.push(
      `${source} is a vLLM bench serve result without per-request samples (run it with --save-detailed for a real test)`,
    );
  }

  for (const k of ["output_throughput", "request_throughput", "duration"])
    if (isNum(doc[k]) && (doc[k] as number) < 0) c.fail(`${k} is ${doc[k]}, expected a number ≥ 0`);
  const summary = Object.fromEntries(FAMILIES.map((f) => [f, summaryOf(c, doc, VLLM_NAMES[f])])) as Record<
    Family,
    PercentileSummary | null
  >;
  const config: Record<string, unknown> = { stream: true };
  const backend =
    typeof doc.backend === "string"
      ? doc.backend
      : typeof doc.endpoint_type === "string"
        ? doc.endpoint_type
        : undefined;
  if (backend !== undefined && APIS[backend]) config.api = APIS[backend];
  if (typeof doc.model_id === "string") config.model = doc.model_id;
  if ("max_concurrency" in doc) config.concurrency = isNum(doc.max_concurrency) ? doc.max_concurrency : null;
  if (doc.request_rate === "inf" || doc.request_rate === Infinity) config.rate = null;
  else if (isNum(doc.request_rate)) config.rate = doc.request_rate;
  if (isNum(doc.burstiness)) config.burstiness = doc.burstiness;
  if (isNum(doc.num_prompts)) config.requests = doc.num_prompts;

  return {
    source,
    format: VLLM_FORMAT,
    tool: VLLM_FORMAT,
    complete: true,
    config,
    ttftKind: "token",
    samples,
    summary,
    digests: null,
    requests: { sent: completed + failed, succeeded: completed, failed },
    cache: null,
    throughput:
      isNum(doc.output_throughput) && isNum(doc.request_throughput)
        ? { outputTokensPerS: doc.output_throughput, requestsPerS: doc.request_throughput }
        : null,
    goodput: null,
    distorted: null,
    notes,
  };
}
