/**
 * What `run` and `warm` share before the first request: the protocol, headers and key, the model
 * (asked of GET /v1/models when not given), the tokenizer, the prompts — and the one function that
 * sends a planned request and returns its raw record.
 */
import { readInputFile } from "../io/files.ts";
import { EndpointError, UsageError } from "../core/errors.ts";
import { failureHint, noAnswerError } from "../core/hints.ts";
import type { RawRecord } from "../core/metrics.ts";
import { redactUrl, type TargetOptions } from "../core/options.ts";
import { getProtocol } from "../core/protocols/index.ts";
import type { PlannedRequest } from "../core/schedule.ts";
import {
  countTokens,
  isTokenizerLoaded,
  isTokenizerName,
  loadTokenizer,
  loadTokenizerJson,
  TokenizerFileError,
} from "../core/tokenizer.ts";
import { fileWorkload, parsePromptsFile, syntheticWorkload, type PromptItem, type Workload } from "../core/workload.ts";
import type { Clock } from "../io/clock.ts";
import { ACCEPT_ENCODING, classifyFetchError, http, sendRequest, type SendOptions, type Target } from "../io/http.ts";
import { readTokenizerFile, TOKENIZER_FILE_HINT } from "../io/tokenizer-file.ts";

/** Measured answers with usage whose text the client counts too (then one in COMPARE_EVERY): the sample tokens.usage_vs_client compares. */
const COMPARE_FIRST = 100;
const COMPARE_EVERY = 10;

/** The options `run` and `warm` have in common (parsed by parseTargetOptions). */
export type { TargetOptions };

/** A request ready to go: its body built, its prompt counted. */
export interface Prepared {
  req: PlannedRequest;
  body: string;
  promptTokens: number;
  /** of `promptTokens`, how many the workload made reusable (a prefix sent before); see `reusableOf` */
  reusableTokens?: number;
  /** a turn of a multi-turn session: its place (the answer is kept for the next turn) */
  turn?: { session: number; turn: number; turns: number };
  /** a session turn, once sent: the answer's text, for the next turn's history */
  answer?: string;
}

export interface Session {
  target: Target;
  model: string | undefined;
  workload: Workload;
  prepare(req: PlannedRequest): Prepared;
  /**
   * Build the bodies of the next `n` fresh prompts (ids past the highest prepared so far) now, so that
   * `prepare` finds them ready: before the clock starts, and one at a time as requests complete.
   * Never past prompt id `untilId` (exclusive), nor past `maxBytes` of bodies held ready.
   */
  prepareAhead(n: number, limits?: { untilId?: number; maxBytes?: number }): void;
  /** how many bodies have been built so far (each prompt is filled, serialized and counted once per build) */
  readonly built: number;
  /** send a prepared request; never throws (failures are classified in the record) */
  sendPrepared(p: Prepared, tSched: number | null, stop: AbortSignal): Promise<RawRecord>;
  /** prepare and send */
  send(req: PlannedRequest, tSched: number | null, stop: AbortSignal): Promise<RawRecord>;
  /** a turn of a multi-turn session: its body from the history so far (`maxTokens`: the turn's own, else the run's) */
  prepareTurn(
    req: PlannedRequest,
    prompt: PromptItem,
    turn: NonNullable<Prepared["turn"]>,
    reusableTokens: number,
    maxTokens?: number,
  ): Prepared;
}

/**
 * `salt` goes into every synthetic prompt's tag: the levels of a sweep share lengths, not prompts.
 * `wrap` replaces the workload with one built over it (a trace's requests after synthetic warm-up).
 */
export async function openSession(
  opts: TargetOptions,
  clock: Clock,
  info: (m: string) => void,
  salt?: string,
  wrap?: (w: Workload, count: (text: string) => number) => Workload,
): Promise<Session> {
  const protocol = getProtocol(opts.api);
  await prepareTokenizer(opts);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "*/*",
    "accept-encoding": ACCEPT_ENCODING,
    ...opts.headers,
  };
  if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
  const model = opts.model ?? (opts.api === "generate" ? undefined : await discoverModel(opts, headers, info));
  const target: Target = {
    url: opts.url.href,
    headers,
    protocol,
    timeoutMs: opts.timeoutMs,
    maxBodyBytes: opts.maxBodyBytes,
    maxMessageBytes: opts.maxMessageBytes,
    tokenizer: opts.tokenizer,
  };
  const count = (text: string) => countTokens(text, opts.tokenizer);
  const loaded = await loadWorkload(opts, salt);
  const workload = wrap ? wrap(loaded, count) : loaded;
  // ignore_eos is an extension of the OpenAI-compatible servers (vLLM, SGLang); the generate API has no such field
  const extraBody =
    opts.ignoreEos && opts.api !== "generate" ? { ignore_eos: true, ...opts.extraBody } : opts.extraBody;

  /** the body and prompt count, built ahead of the send where the engine can (open loop: while waiting) */
  let built = 0;
  const buildItem = (item: PromptItem, maxTokens = opts.maxTokens): Built => {
    built++;
    const body = JSON.stringify(
      protocol.buildBody({
        prompt: item.text,
        messages: item.messages,
        maxTokens: item.maxTokens ?? maxTokens,
        stream: opts.stream,
        model,
        extraBody,
      }),
    );
    const b: Built = { body, promptTokens: item.tokens ?? count(item.text) };
    if (item.reusableTokens !== undefined) b.reusableTokens = item.reusableTokens;
    return b;
  };
  const build = (promptId: number) => buildItem(workload.prompt(promptId));
  /** bodies built ahead, by prompt id; each is taken once (a repeat of a prompt builds it again) */
  const ready = new Map<number, Built>();
  /** fresh prompt ids come in order (RequestPlan): every id below this one has been built or asked for */
  let builtUpTo = 0;
  /** requests prepared so far (warm-up included): after the first, a shared synthetic prefix has been sent */
  let preparedCount = 0;
  const prepare = (req: PlannedRequest): Prepared => {
    const built = ready.get(req.promptId);
    if (built !== undefined) {
      ready.delete(req.promptId);
      readyBytes -= built.body.length;
    }
    builtUpTo = Math.max(builtUpTo, req.promptId + 1);
    const b = built ?? build(req.promptId);
    const reusableTokens = reusableOf(req, b, workload, preparedCount++ > 0);
    const p: Prepared = { req, body: b.body, promptTokens: b.promptTokens };
    if (reusableTokens !== undefined) p.reusableTokens = reusableTokens;
    return p;
  };
  let readyBytes = 0;
  const prepareAhead = (n: number, limits: { untilId?: number; maxBytes?: number } = {}) => {
    const untilId = limits.untilId ?? Number.POSITIVE_INFINITY;
    const maxBytes = limits.maxBytes ?? Number.POSITIVE_INFINITY;
    while (ready.size < n && builtUpTo < untilId && readyBytes < maxBytes) {
      const b = build(builtUpTo);
      ready.set(builtUpTo, b);
      readyBytes += b.body.length;
      builtUpTo++;
    }
  };
  // answers the server gave usage for are counted by the client only for a sample: the first
  // COMPARE_FIRST measured ones, then one in COMPARE_EVERY (README "Token counts"). Counting is the
  // largest cost left on the thread that timestamps chunks (o200k: ~13% of the client's CPU per
  // streamed request), and tokens.usage_vs_client needs a sample, not every answer. Warm-up: none.
  let withUsage = 0;
  const inSample = () => {
    const n = withUsage++;
    return n < COMPARE_FIRST || n % COMPARE_EVERY === 0;
  };
  const MEASURED: SendOptions = { countDespiteUsage: inSample };
  const KEEP_ANSWER: SendOptions = { countDespiteUsage: inSample, keepAnswer: true };
  const WARMUP: SendOptions = { countDespiteUsage: () => false };
  /** a session turn's answer is left on its Prepared (`answer`), for the next turn */
  const sendPrepared = async (p: Prepared, tSched: number | null, stop: AbortSignal): Promise<RawRecord> => {
    const { req, body, promptTokens, reusableTokens, turn } = p;
    const x = await sendRequest(
      target,
      body,
      stop,
      clock,
      req.phase === "warmup" ? WARMUP : turn !== undefined ? KEEP_ANSWER : MEASURED,
    );
    // field by field, not spread: object spreads cost ~3% of the client's CPU per request (a profile against a static server)
    const record: RawRecord = {
      seq: req.seq,
      phase: req.phase,
      promptId: req.promptId,
      repeat: req.repeat,
      tSched,
      tSend: x.tSend,
      tFirstByte: x.tFirstByte,
      tokenTimes: x.tokenTimes,
      tEnd: x.tEnd,
      streamed: x.streamed,
      status: x.status,
      outputTokensCounted: x.outputTokensCounted,
      reasoningTokensCounted: x.reasoningTokensCounted,
      usage: x.usage,
      cached: x.cached,
      error: x.error,
      promptTokensCounted: promptTokens,
    };
    if (x.tRetry !== undefined) record.tRetry = x.tRetry;
    if (reusableTokens !== undefined) record.reusableTokens = reusableTokens;
    if (x.tokensEstimated) record.tokensEstimated = true;
    if (x.outputUncounted) record.outputUncounted = true;
    // a session turn: its place, and its answer left on the Prepared for the next turn (other runs skip both)
    if (turn !== undefined) {
      record.session = turn.session;
      record.turn = turn.turn;
      record.sessionTurns = turn.turns;
      p.answer = x.answer ?? "";
    }
    return record;
  };
  // chat: the messages go as they are and are counted as their contents (as fileWorkload counts them); the text APIs send the transcript
  const prepareTurn = (
    req: PlannedRequest,
    prompt: PromptItem,
    turn: NonNullable<Prepared["turn"]>,
    reusableTokens: number,
    maxTokens?: number,
  ): Prepared => {
    const item =
      opts.api === "openai-chat" && prompt.messages
        ? { text: prompt.messages.map((m) => m.content).join("\n"), messages: prompt.messages }
        : { text: prompt.text };
    const b = buildItem(item, maxTokens);
    return { req, body: b.body, promptTokens: b.promptTokens, reusableTokens, turn };
  };
  const send = (req: PlannedRequest, tSched: number | null, stop: AbortSignal) =>
    sendPrepared(prepare(req), tSched, stop);
  return {
    target,
    model,
    workload,
    prepare,
    prepareAhead,
    get built() {
      return built;
    },
    sendPrepared,
    send,
    prepareTurn,
  };
}

/**
 * Loads the run's tokenizer, before any clock starts: a built-in by name, or `--tokenizer FILE` read
 * from disk, hashed and built — `opts.tokenizer` then becomes the file's label (name@sha256:…), which
 * the result records and every count uses. Once per process; later calls return at once.
 */
export async function prepareTokenizer(opts: TargetOptions): Promise<void> {
  if (isTokenizerLoaded(opts.tokenizer)) return;
  if (opts.tokenizerFile === undefined || isTokenizerName(opts.tokenizer)) {
    await loadTokenizer(opts.tokenizer as Parameters<typeof loadTokenizer>[0]);
    return;
  }
  const { label, text } = await readTokenizerFile(opts.tokenizerFile);
  try {
    await loadTokenizerJson(label, text);
  } catch (e) {
    if (e instanceof TokenizerFileError)
      throw new UsageError(`--tokenizer ${opts.tokenizerFile}: ${e.message}`, TOKENIZER_FILE_HINT);
    throw e;
  }
  opts.tokenizer = label;
}

/** A built body: the prompt's count and what its workload said about reuse. */
interface Built {
  body: string;
  promptTokens: number;
  reusableTokens?: number;
}

/**
 * The prompt tokens a request offers a prefix cache (README "Prefix caching"): all of them for a
 * prompt sent before (a repeat, or a prompts file come round again); else what the workload says
 * (trace blocks, session history); else the shared synthetic prefix (--prefix-tokens) once a first
 * request has carried it; else 0. Common prefixes of different prompts from a file are not looked
 * for: they count 0.
 */
export function reusableOf(req: PlannedRequest, b: Built, workload: Workload, prefixSent: boolean): number {
  if (req.repeat || req.promptId >= workload.size) return b.promptTokens;
  if (b.reusableTokens !== undefined) return Math.min(b.reusableTokens, b.promptTokens);
  return prefixSent ? Math.min(workload.sharedPrefixTokens ?? 0, b.promptTokens) : 0;
}

async function loadWorkload(opts: TargetOptions, salt?: string): Promise<Workload> {
  if (opts.prompts === undefined) {
    return syntheticWorkload({
      seed: opts.seed,
      inputTokens: opts.inputTokens,
      prefixTokens: opts.prefixTokens,
      count: (t) => countTokens(t, opts.tokenizer),
      salt,
    });
  }
  const text = await readInputFile(
    opts.prompts,
    `--prompts takes a JSONL file ({"prompt": "..."} a line) or a ShareGPT JSON file`,
  );
  return fileWorkload(parsePromptsFile(text, opts.prompts), opts.prompts, opts.seed);
}

/** Ask GET /v1/models for the first model when --model is not given. */
async function discoverModel(
  opts: TargetOptions,
  headers: Record<string, string>,
  info: (m: string) => void,
): Promise<string> {
  const models = new URL(opts.url.href);
  models.pathname = `${models.pathname.replace(/\/(chat\/)?completions\/?$/, "")}/models`;
  // what messages show: never the credentials of the endpoint
  const url = redactUrl(models);
  let res: Awaited<ReturnType<typeof http.raw>>;
  try {
    res = await http.raw(models.href, {
      headers,
      signal: AbortSignal.timeout(opts.timeoutMs),
      responseType: "json",
      redirect: "manual",
    });
  } catch (err) {
    // no HTTP answer at all (refused, a host that does not resolve, reset, no answer in time): the
    // endpoint could not be used — exit 3, the same as when the run's own requests find it so
    const failure = classifyFetchError(err);
    const known = noAnswerError({ endpoint: opts.endpoint, api: opts.api }, failure);
    if (known) throw known;
    const timedOut = (err as { cause?: { name?: string } }).cause?.name === "TimeoutError";
    const why = timedOut ? `nothing within ${opts.timeoutMs / 1000} s` : failure.message;
    throw new EndpointError(
      `GET ${url} got no answer: ${why}`,
      `check that the server is up at --endpoint, or pass --model NAME`,
    );
  }
  // never followed: a redirect would carry the key to wherever it points (README: Redirects)
  if (res.status >= 300 && res.status < 400)
    throw new UsageError(
      `--model was not given and GET ${url} answered HTTP ${res.status} (a redirect, not followed)`,
      `pass --model NAME, and the URL the redirect points to as --endpoint`,
    );
  // a server that is up but cannot serve yet (loading: 503) is the endpoint's state, not a bad option
  if (res.status >= 500)
    throw new EndpointError(
      `GET ${url} answered HTTP ${res.status}: the server is not ready`,
      `wait for it ('llmbench warm' waits until it answers), or pass --model NAME`,
    );
  if (res.status === 401 || res.status === 403) {
    throw new UsageError(
      `--model was not given and GET ${url} failed (HTTP ${res.status})`,
      failureHint(
        { class: "http_4xx", status: res.status },
        { command: "run", endpoint: opts.endpoint, api: opts.api },
      ),
    );
  }
  if (res.status >= 400)
    throw new UsageError(`--model was not given and GET ${url} failed (HTTP ${res.status})`, `pass --model NAME`);
  const body: unknown = res._data;
  const first = (body as { data?: Array<{ id?: unknown }> })?.data?.[0]?.id;
  if (typeof first !== "string")
    throw new UsageError(`--model was not given and GET ${url} listed no model`, `pass --model NAME`);
  info(`using model '${first}' (the first listed by GET ${url}; pass --model to choose)`);
  return first;
}
