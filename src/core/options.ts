/** Strings from the command line → typed, validated options. Every failure is a UsageError naming the fix. */
import { parseWorkers, type WorkersSpec } from "./workers.ts";
import { parseShard, shardLoad, type ShardLoad, type ShardTotals } from "./shard.ts";
import { UsageError } from "./errors.ts";
import { parseSize } from "./size.ts";
import { API_KINDS, type ApiKind } from "./protocols/types.ts";
import { detectApi } from "./protocols/index.ts";
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_MESSAGE_BYTES } from "./protocols/framing.ts";
import { isTokenizerName, TOKENIZERS, type TokenizerName } from "./tokenizer.ts";
import { repeatCount } from "./schedule.ts";
import { parseSlo, parseTimeMs, STREAM_ONLY_METRICS, type SloTerm } from "./slo.ts";
import { parseLength, type LengthSpec } from "./workload.ts";
import type { ResultConfig } from "./result.ts";

type RawValue = string | number | boolean | string[] | undefined;
export type RawArgs = Record<string, RawValue>;

interface ArgDefLike {
  type?: string;
  alias?: string | string[];
}

/** The flag definitions' names: `requests`, `max-tokens`, and their aliases. */
function knownFlags(defs: Record<string, ArgDefLike>): Set<string> {
  // --version belongs to llmbench itself, not to its commands: `run --version` is refused, not ignored
  const names = new Set(["help", "h"]);
  for (const [name, def] of Object.entries(defs)) {
    if (def.type === "positional") continue;
    names.add(name);
    for (const a of [def.alias ?? []].flat()) names.add(a);
  }
  return names;
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

/**
 * citty drops unknown flags silently (their value becomes a positional): reject them, with the
 * nearest valid name. Also rejects stray positionals when the command takes none beyond `positionals`.
 */
export function checkFlags(rawArgs: readonly string[], defs: Record<string, ArgDefLike>, command: string): void {
  const known = knownFlags(defs);
  const booleans = new Set(
    Object.entries(defs)
      .filter(([, d]) => d.type === "boolean")
      .flatMap(([n, d]) => [n, ...[d.alias ?? []].flat()]),
  );
  const positionals = Object.values(defs).filter((d) => d.type === "positional").length;
  let seenPositionals = 0;
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i];
    if (arg === "--") break;
    if (!arg.startsWith("-") || arg === "-") {
      if (++seenPositionals > positionals) {
        throw new UsageError(`unexpected argument '${arg}' for 'llmbench ${command}'`, `see 'llmbench ${command} --help'`);
      }
      continue;
    }
    const [flag, inlineValue] = arg.replace(/^--?/, "").split(/=(.*)/s, 2);
    const bare = flag.startsWith("no-") && !known.has(flag) ? flag.slice(3) : flag;
    if (!known.has(bare) && !known.has(kebab(bare))) {
      const candidates = [...known].filter((k) => k.length > 1);
      const nearest = candidates.sort((a, b) => distance(bare, a) - distance(bare, b))[0];
      // a suggestion only when it is close for its length (--rate is not a typo of --api)
      const close = nearest !== undefined && distance(bare, nearest) <= Math.max(2, Math.floor(bare.length / 3));
      const hint = bare === "version" || bare === "v" ? `'llmbench --version' prints the version` : close ? `did you mean '--${nearest}'?` : `see 'llmbench ${command} --help'`;
      throw new UsageError(`unknown option '${arg.split("=")[0]}' for 'llmbench ${command}'`, hint);
    }
    const name = known.has(bare) ? bare : kebab(bare);
    // a flag that takes a value consumes the next argument; without one, citty would quietly use the default
    if (inlineValue === undefined && !booleans.has(name) && name !== "help" && name !== "h") {
      const next = rawArgs[i + 1];
      if (next === undefined || (next.startsWith("-") && next !== "-" && !/^-\d/.test(next))) {
        throw new UsageError(`${arg} needs a value`, `write ${arg} VALUE; see 'llmbench ${command} --help'`);
      }
      i++;
    }
  }
}

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Every value of a flag that may be given several times (citty keeps only the last). */
export function repeatedFlag(rawArgs: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i];
    if (arg === "--") break;
    if (arg === `--${name}`) {
      if (i + 1 < rawArgs.length) out.push(rawArgs[++i]);
    } else if (arg.startsWith(`--${name}=`)) out.push(arg.slice(name.length + 3));
  }
  return out;
}

/** A flag's value as a string (the last, if given several times); undefined when absent or empty. */
export function str(args: RawArgs, name: string): string | undefined {
  const v = args[name];
  if (Array.isArray(v)) return v[v.length - 1];
  if (typeof v === "number") return String(v);
  if (typeof v === "boolean") throw new UsageError(`--${name} needs a value`, `write --${name} VALUE`);
  return v === undefined || v === "" ? undefined : v;
}

export function parseNumber(
  name: string,
  value: string | undefined,
  fallback: number,
  { min = 0, max = Number.POSITIVE_INFINITY, integer = false, exclusiveMin = false } = {},
): number {
  if (value === undefined) return fallback;
  // decimal only: Number() would also take 1e3, 0x10 and ' 5 '
  const n = /^[+-]?(\d+\.?\d*|\.\d+)$/.test(value.trim()) ? Number(value) : Number.NaN;
  const what = integer ? "an integer" : "a number";
  const range = `${exclusiveMin ? ">" : "≥"} ${min}${Number.isFinite(max) ? ` and ≤ ${max}` : ""}`;
  if (value.trim() === "" || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be ${what}, got '${value}'`, `use ${what} ${range}, e.g. --${name} ${fallback}`);
  }
  if (n < min || n > max || (exclusiveMin && n === min)) {
    throw new UsageError(`--${name} must be ${range}, got ${value}`, `e.g. --${name} ${fallback}`);
  }
  return n;
}

/** Query parameters whose values are secrets: redacted wherever a URL is shown or saved. */
const SECRET_PARAM = /key|token|secret|password|auth/i;

/** A URL without user:password, for reports and result files. */
export function redactUrl(url: URL): string {
  const u = new URL(url.href);
  u.username = "";
  u.password = "";
  for (const key of [...u.searchParams.keys()]) {
    if (SECRET_PARAM.test(key)) u.searchParams.set(key, "REDACTED");
  }
  return u.href;
}

/**
 * Sweep levels: `1,2,4,8`, or a range `1..64x2` (multiply by 2 from 1 up to 64) or `10..50+10`
 * (add 10). A single value gives one level.
 */
export function parseLevels(name: string, value: string, integer: boolean): number[] {
  const hint = `e.g. --${name} 1,2,4,8 or --${name} 1..64x2 (doubling) or --${name} 10..50+10`;
  const range = /^\s*(\d+(?:\.\d+)?)\s*\.\.\s*(\d+(?:\.\d+)?)\s*(?:([x+])\s*(\d+(?:\.\d+)?))?\s*$/.exec(value);
  let levels: number[];
  if (range) {
    const [from, to, op, stepText] = [Number(range[1]), Number(range[2]), range[3] ?? "x", range[4] ?? "2"];
    const step = Number(stepText);
    if (from <= 0 || to < from || (op === "x" && step <= 1) || (op === "+" && step <= 0)) {
      throw new UsageError(`--${name} range '${value}' does not rise from a positive start`, hint);
    }
    levels = [];
    for (let x = from; x <= to * (1 + 1e-9); x = op === "x" ? x * step : x + step) levels.push(Number(x.toPrecision(12)));
  } else {
    levels = value.split(",").map((part) => parseNumber(name, part.trim(), 1, integer ? { min: 1, integer } : { min: 0, exclusiveMin: true }));
  }
  if (integer && levels.some((x) => !Number.isInteger(x))) throw new UsageError(`--${name} levels must be whole numbers, got '${value}'`, hint);
  if (levels.length > 64) throw new UsageError(`--${name} '${value}' makes ${levels.length} levels`, `64 at most; ${hint}`);
  return levels;
}

/** `--stop-on saturation` or a list: `error-rate=5%`, `slo`, `plateau=5%`. */
export function parseStopOn(value: string | undefined, hasSlo: boolean): StopOn {
  if (value === undefined) return { slo: false };
  const out: StopOn = { slo: false };
  const pct = (v: string, term: string) => {
    const m = /^(\d+(?:\.\d+)?)%?$/.exec(v.trim());
    if (!m) throw new UsageError(`--stop-on ${term}: '${v}' is not a percentage`, `e.g. --stop-on error-rate=5%`);
    return Number(m[1]) / 100;
  };
  for (const term of value.split(",").map((t) => t.trim()).filter(Boolean)) {
    const [key, v] = term.split("=", 2);
    if (key === "saturation") Object.assign(out, { errorRate: 0.05, slo: hasSlo, plateau: 0.05 });
    else if (key === "error-rate") out.errorRate = pct(v ?? "5", key);
    else if (key === "plateau") out.plateau = pct(v ?? "5", key);
    else if (key === "slo") {
      if (!hasSlo) throw new UsageError(`--stop-on slo needs --slo`, `add --slo ttft_p95=...`);
      out.slo = true;
    } else throw new UsageError(`--stop-on: unknown condition '${key}'`, `use saturation, or a list of error-rate=5%, slo, plateau=5%`);
  }
  return out;
}

/** `60s`, `500ms`, `2m`, or a bare number of seconds. */
export function parseDuration(name: string, value: string, allowZero: boolean): number {
  const ms = parseTimeMs(value, "s");
  if (ms === undefined) throw new UsageError(`--${name} must be a duration like 30s, 500ms or 2m, got '${value}'`, `e.g. --${name} 30s`);
  if (ms < 0 || (!allowZero && ms === 0)) throw new UsageError(`--${name} must be ${allowZero ? "≥ 0" : "> 0"}, got '${value}'`, `e.g. --${name} 30s`);
  return ms;
}

export function parseUrl(name: string, value: string): URL {
  // what messages quote: never the credentials, even of a URL that does not parse
  const shown = redactUrlText(value);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--${name} is not a valid URL: '${shown}'`, `write a full URL, e.g. --${name} http://localhost:8000/generate`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    const guess = value.includes("://") ? "http://localhost:8000/generate" : `http://${shown}`;
    throw new UsageError(`--${name} must be an http:// or https:// URL, got '${shown}'`, `e.g. --${name} ${guess}`);
  }
  return url;
}

/**
 * `redactUrl` for text that may not parse as a URL (a bad port, no scheme): a URL with a host goes
 * through `redactUrl`; other text has the user info before the authority's last "@" shown as `***`,
 * and secret-looking query values `REDACTED`. (`user:pw@host` parses, as scheme `user:` with no
 * host: the text rule sees to it.)
 */
export function redactUrlText(text: string): string {
  const url = URL.canParse(text) ? new URL(text) : null;
  if (url !== null && url.host !== "") return redactUrl(url);
  // everything up to the last @ may be user info: a leading space, a single slash, a / inside the password
  const m = /^(\s*[a-z][a-z0-9+.-]*:\/+)?.*@/i.exec(text);
  const out = m ? `${m[1] ?? ""}***@${text.slice(m[0].length)}` : text;
  return out.replace(new RegExp(`([?&][^=&#]*(?:${SECRET_PARAM.source})[^=&#]*=)[^&#]*`, "gi"), "$1REDACTED");
}

export type LatencyFrom = "send" | "due";

export interface SweepSpec {
  /** what changes from level to level */
  kind: "concurrency" | "rate";
  levels: number[];
  /** pause between levels */
  cooldownMs: number;
  /** end the sweep once a level saturates */
  stopOn: StopOn;
}

export interface StopOn {
  /** error rate above this share (0..1) */
  errorRate?: number;
  /** an SLO term missed */
  slo: boolean;
  /** output throughput rose by less than this share over the previous level */
  plateau?: number;
}

export interface RunOptions {
  url: URL;
  /** the endpoint with credentials removed: what reports and result files show */
  endpoint: string;
  api: ApiKind;
  stream: boolean;
  model: string | undefined;
  /** measured requests; undefined when the run is bounded by `durationMs` */
  requests: number | undefined;
  /** measured phase length (after any ramp); undefined when bounded by `requests` */
  durationMs: number | undefined;
  /** closed loop: requests in flight; open loop: the cap (Infinity when not given) */
  concurrency: number;
  /** open loop: requests per second; undefined = closed loop */
  rate: number | undefined;
  /** gamma shape of the arrival gaps (1 = Poisson) */
  burstiness: number;
  /** ramp from zero to the rate or concurrency, excluded from the numbers */
  rampUpMs: number;
  /** measure TTFT and E2E from t_send (default, comparable with other tools) or from t_sched */
  latencyFrom: LatencyFrom;
  maxTokens: number;
  ignoreEos: boolean;
  repeatRatio: number;
  warmup: number;
  seed: number;
  timeoutMs: number;
  /** most decoded bytes one response body may have (--max-body) */
  maxBodyBytes: number;
  /** most characters one message may buffer: an SSE line or event, an NDJSON line, a whole JSON body (--max-message) */
  maxMessageBytes: number;
  inputTokens: LengthSpec;
  prefixTokens: number;
  /** path of a prompts file (JSONL or ShareGPT JSON) */
  prompts: string | undefined;
  slo: SloTerm[];
  /** several levels of concurrency or rate, run in turn; undefined for a single run */
  sweep: SweepSpec | undefined;
  /** the whole measurement repeated this many times (each with its own warm-up and prompts), for run-to-run noise */
  runs: number;
  tokenizer: TokenizerName;
  output: string | undefined;
  json: boolean;
  quiet: boolean;
  records: boolean;
  /** records leave memory as they complete, to this file (one JSON a line) */
  recordsFile: string | undefined;
  /** hold nothing per request in memory: percentiles from the t-digests */
  bounded: boolean;
  /** extra request headers (Authorization is added from apiKey, never stored) */
  headers: Record<string, string>;
  apiKey: string | undefined;
  extraBody: Record<string, unknown> | undefined;
  /** --workers N|auto: the load in N processes of this program (app/workers.ts); 1 = this process */
  workers: WorkersSpec;
  /** --shard i/N: this process's part of the workload (requests, warmup and concurrency above are its share) */
  shard?: ShardRun;
}

/** A shard's place and the whole workload's totals (core/shard.ts says how it is split). */
export interface ShardRun extends ShardTotals {
  /** this shard's measured repeats */
  repeats: number | undefined;
}

/** The options as saved in the result file: no secrets, no header values. */
export function publicConfig(o: RunOptions): ResultConfig {
  return {
    endpoint: o.endpoint,
    api: o.api,
    stream: o.stream,
    model: o.model ?? null,
    requests: o.requests ?? null,
    duration_s: o.durationMs === undefined ? null : o.durationMs / 1000,
    concurrency: Number.isFinite(o.concurrency) ? o.concurrency : null,
    rate: o.rate ?? null,
    burstiness: o.burstiness,
    ramp_up_s: o.rampUpMs / 1000,
    latency_from: o.latencyFrom,
    max_tokens: o.maxTokens,
    ignore_eos: o.ignoreEos,
    repeat_ratio: o.repeatRatio,
    warmup: o.warmup,
    seed: o.seed,
    timeout_s: o.timeoutMs / 1000,
    max_body_bytes: o.maxBodyBytes,
    max_message_bytes: o.maxMessageBytes,
    input_tokens: o.inputTokens,
    prefix_tokens: o.prefixTokens,
    prompts: o.prompts ?? "synthetic",
    slo: o.slo.map((t) => ({ name: t.name, bound_ms: t.boundMs })),
    runs: o.runs,
    sweep: o.sweep
      ? { kind: o.sweep.kind, levels: o.sweep.levels, cooldown_s: o.sweep.cooldownMs / 1000, stop_on: { error_rate: o.sweep.stopOn.errorRate ?? null, slo: o.sweep.stopOn.slo, plateau: o.sweep.stopOn.plateau ?? null } }
      : null,
    tokenizer: o.tokenizer,
    output: o.output ?? null,
    records: o.records,
    records_file: o.recordsFile ?? null,
    bounded: o.bounded,
    header_names: Object.keys(o.headers),
    api_key_set: o.apiKey !== undefined,
    extra_body: o.extraBody ?? null,
    ...(o.shard ? { shard: { index: o.shard.index, count: o.shard.count, requests: o.shard.requests, warmup: o.shard.warmup, concurrency: o.shard.concurrency } } : {}),
  };
}

/** The key sent as `Authorization: Bearer KEY`: refused up front (never echoed) when no header could carry it. */
function apiKey(key: string | undefined): string | undefined {
  if (key !== undefined && (!isHeaderValue(key.trim()) || /\s/.test(key.trim()))) {
    throw new UsageError(`the API key (--api-key, LLMBENCH_API_KEY or OPENAI_API_KEY) has a space or a control character in it: no Authorization header may carry it`, `check the key (pasted with its line ending?)`);
  }
  return key?.trim();
}

export function parseHeaders(values: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const value of values) {
    // comma-separated lists are accepted; a comma inside a value needs its own --header
    for (const part of value.split(/,(?=\s*[A-Za-z0-9-]+\s*:)/)) {
      const i = part.indexOf(":");
      const name = part.slice(0, i).trim();
      if (i <= 0 || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
        // never echo the value: it may be a credential
        throw new UsageError(`--header must look like 'Name: value' (a header without a name or colon was given)`, `e.g. --header 'X-Request-Source: llmbench'`);
      }
      const v = part.slice(i + 1).trim();
      // never echo the value: it may be a credential
      if (!isHeaderValue(v)) throw new UsageError(`--header ${name} has a control character (a newline, a tab, …) in its value: no HTTP header may`, `check the value (a secret pasted with its line ending?)`);
      headers[name] = v;
    }
  }
  return headers;
}

/** What an HTTP header value may hold (RFC 9110 field-value): visible characters, spaces and tabs inside, no other control character. */
export function isHeaderValue(v: string): boolean {
  return !/[\x00-\x08\x0a-\x1f\x7f]/.test(v);
}

/** The options `run` and `warm` share: where requests go, how they are sent, and which prompts (the `targetArgs` block). */
export type TargetOptions = Pick<
  RunOptions,
  "url" | "endpoint" | "api" | "stream" | "model" | "headers" | "apiKey" | "extraBody" | "timeoutMs" | "maxBodyBytes" | "maxMessageBytes" | "tokenizer" | "maxTokens" | "ignoreEos" | "seed" | "inputTokens" | "prefixTokens" | "prompts"
>;

/** The target and prompt options, parsed once for every command that sends requests (`run`, `warm`). */
export function parseTargetOptions(args: RawArgs, rawArgs: readonly string[], env: Record<string, string | undefined>, randomSeed: () => number): TargetOptions {
  const url = parseUrl("endpoint", str(args, "endpoint") ?? "http://localhost:8000/generate");
  const apiArg = str(args, "api");
  if (apiArg !== undefined && !(API_KINDS as readonly string[]).includes(apiArg)) {
    throw new UsageError(`--api must be one of ${API_KINDS.join(", ")}; got '${apiArg}'`, `e.g. --api openai-chat`);
  }
  const api = (apiArg as ApiKind | undefined) ?? detectApi(url);
  if (api === undefined) {
    throw new UsageError(
      `cannot tell which API ${url.pathname} speaks`,
      `add --api ${API_KINDS.join("|")} (paths detected: /generate, /v1/completions, /v1/chat/completions)`,
    );
  }
  const tokenizerArg = str(args, "tokenizer");
  if (tokenizerArg !== undefined && !isTokenizerName(tokenizerArg)) {
    throw new UsageError(`--tokenizer must be one of ${TOKENIZERS.join(", ")}; got '${tokenizerArg}'`, `e.g. --tokenizer o200k`);
  }
  const extra = str(args, "extra-body");
  let extraBody: Record<string, unknown> | undefined;
  if (extra !== undefined) {
    try {
      extraBody = JSON.parse(extra);
    } catch {
      throw new UsageError(`--extra-body is not valid JSON: ${extra}`, `e.g. --extra-body '{"ignore_eos": true}'`);
    }
    if (typeof extraBody !== "object" || extraBody === null || Array.isArray(extraBody)) {
      throw new UsageError(`--extra-body must be a JSON object`, `e.g. --extra-body '{"ignore_eos": true}'`);
    }
  }
  const seedArg = str(args, "seed");
  const inputTokens = parseLength("input-tokens", str(args, "input-tokens") ?? "32");
  const prefixTokens = parseNumber("prefix-tokens", str(args, "prefix-tokens"), 0, { min: 0, integer: true });
  const prompts = str(args, "prompts");
  if (prompts !== undefined && (str(args, "input-tokens") !== undefined || prefixTokens > 0)) {
    throw new UsageError(`--prompts takes prompts as they are in the file; --input-tokens and --prefix-tokens shape synthetic prompts`, `drop one of them`);
  }
  if (prefixTokens >= inputTokens.mean) {
    throw new UsageError(`--prefix-tokens ${prefixTokens} must be shorter than --input-tokens ${inputTokens.mean} (the prefix is part of the prompt)`, `raise --input-tokens or lower --prefix-tokens`);
  }
  return {
    url,
    endpoint: redactUrl(url),
    api,
    stream: typeof args.stream === "boolean" ? args.stream : api !== "generate",
    model: str(args, "model"),
    ignoreEos: args["ignore-eos"] === true,
    maxTokens: parseNumber("max-tokens", str(args, "max-tokens"), 100, { min: 1, integer: true }),
    seed: seedArg === undefined ? randomSeed() : parseNumber("seed", seedArg, 42, { min: 0, max: 2 ** 32 - 1, integer: true }),
    timeoutMs: parseNumber("timeout", str(args, "timeout"), 60, { min: 0, exclusiveMin: true }) * 1000,
    maxBodyBytes: parseSize("max-body", str(args, "max-body"), DEFAULT_MAX_BODY_BYTES),
    maxMessageBytes: parseSize("max-message", str(args, "max-message"), DEFAULT_MAX_MESSAGE_BYTES),
    inputTokens,
    prefixTokens,
    prompts,
    tokenizer: (tokenizerArg as TokenizerName | undefined) ?? (api === "generate" ? "whitespace" : "o200k"),
    headers: parseHeaders(repeatedFlag(rawArgs, "header")),
    apiKey: apiKey(str(args, "api-key") ?? env.LLMBENCH_API_KEY ?? env.OPENAI_API_KEY),
    extraBody,
  };
}

export function parseRunOptions(args: RawArgs, rawArgs: readonly string[], env: Record<string, string | undefined>, randomSeed: () => number): RunOptions {
  const target = parseTargetOptions(args, rawArgs, env, randomSeed);
  const durationArg = str(args, "duration");
  if (durationArg !== undefined && str(args, "requests") !== undefined) {
    throw new UsageError(`--requests and --duration both bound the run`, `give one of them`);
  }
  const durationMs = durationArg === undefined ? undefined : parseDuration("duration", durationArg, false);
  const requests = durationMs !== undefined ? undefined : parseNumber("requests", str(args, "requests"), 50, { min: 1, integer: true });
  const repeatRatio = parseNumber("repeat-ratio", str(args, "repeat-ratio"), 0.3, { min: 0, max: 1 });
  const repeats = requests === undefined ? 0 : repeatCount(requests, repeatRatio);
  if (durationMs !== undefined && repeatRatio >= 1) {
    throw new UsageError(`--repeat-ratio 1 leaves no first request to repeat`, `use a ratio below 1`);
  }
  if (requests !== undefined && repeats >= requests && repeats > 0) {
    throw new UsageError(
      `--repeat-ratio ${repeatRatio} makes all ${requests} requests repeats, leaving no first request to repeat`,
      `use a ratio below ${((requests - 0.5) / requests).toFixed(3)}`,
    );
  }
  const rateLevels = str(args, "rate") === undefined ? undefined : parseLevels("rate", str(args, "rate")!, false);
  const rate = rateLevels?.[0];
  const concurrencyLevels = str(args, "concurrency") === undefined ? undefined : parseLevels("concurrency", str(args, "concurrency")!, true);
  const concurrencyArg = concurrencyLevels?.[0]?.toString();
  if ((rateLevels?.length ?? 0) > 1 && (concurrencyLevels?.length ?? 0) > 1) {
    throw new UsageError(`a sweep varies one thing: --rate and --concurrency both list several levels`, `sweep one; give the other a single value`);
  }
  const slo = str(args, "slo") === undefined ? [] : parseSlo(str(args, "slo")!);
  // TPOT and ITL need the tokens' arrival times: known before the run to be unmeasurable without a stream
  const unmeasurable = target.stream ? undefined : slo.find((t) => STREAM_ONLY_METRICS.includes(t.metric));
  if (unmeasurable) {
    const why = args.stream === false ? "--no-stream" : `the ${target.api} API without --stream`;
    throw new UsageError(
      `--slo ${unmeasurable.name} cannot be checked: ${unmeasurable.metric.toUpperCase()} is not measured on unstreamed answers (${why})`,
      `add --stream, or drop ${unmeasurable.name} from --slo`,
    );
  }
  const sweepKind = (rateLevels?.length ?? 0) > 1 ? "rate" : (concurrencyLevels?.length ?? 0) > 1 ? "concurrency" : undefined;
  if (sweepKind === undefined && (str(args, "stop-on") !== undefined || str(args, "cooldown") !== undefined)) {
    throw new UsageError(`--stop-on and --cooldown belong to sweeps`, `list several levels, e.g. --concurrency 1,2,4,8`);
  }
  const sweep: SweepSpec | undefined =
    sweepKind === undefined
      ? undefined
      : {
          kind: sweepKind,
          levels: (sweepKind === "rate" ? rateLevels : concurrencyLevels)!,
          cooldownMs: str(args, "cooldown") === undefined ? 0 : parseDuration("cooldown", str(args, "cooldown")!, true),
          stopOn: parseStopOn(str(args, "stop-on"), slo.length > 0),
        };
  const runs = parseNumber("runs", str(args, "runs"), 1, { min: 1, max: 100, integer: true });
  if (runs > 1 && sweep) throw new UsageError(`--runs repeats one measurement; a sweep measures several levels`, `drop --runs, or give --${sweep.kind} a single value`);
  const burstinessArg = str(args, "burstiness");
  if (burstinessArg !== undefined && rate === undefined) throw new UsageError(`--burstiness shapes open-loop arrivals`, `add --rate R (requests per second)`);
  const recordsFile = str(args, "records-file");
  const bounded = args.bounded === true;
  if ((recordsFile !== undefined || bounded) && (runs > 1 || sweep)) {
    throw new UsageError(`${recordsFile !== undefined ? "--records-file" : "--bounded"} holds one run's records flat in memory; ${sweep ? "a sweep" : "--runs"} keeps every level's records`, `drop ${sweep ? `the list of ${sweep.kind} levels` : "--runs"}, or ${recordsFile !== undefined ? "--records-file" : "--bounded"}`);
  }
  if (recordsFile !== undefined && recordsFile === str(args, "output")) throw new UsageError(`--records-file and --output name the same file`, `e.g. --output run.json --records-file run.records.ndjson`);
  const latencyFrom = str(args, "latency-from") ?? "send";
  if (latencyFrom !== "send" && latencyFrom !== "due") throw new UsageError(`--latency-from must be send or due, got '${latencyFrom}'`, `e.g. --latency-from due (with --rate)`);
  if (latencyFrom === "due" && rate === undefined) throw new UsageError(`--latency-from due needs open-loop load`, `add --rate R`);
  const concurrency = rate !== undefined && concurrencyArg === undefined ? Number.POSITIVE_INFINITY : parseNumber("concurrency", concurrencyArg, 5, { min: 1, integer: true });
  const warmup = parseNumber("warmup", str(args, "warmup"), 5, { min: 0, integer: true });
  const workers = parseWorkers(str(args, "workers"));
  if (workers !== 1) {
    if (sweep) throw new UsageError(`--workers splits one measurement; a sweep measures several levels`, `give --concurrency or --rate a single value, or drop --workers`);
    if (runs > 1) throw new UsageError(`--workers splits one measurement; --runs repeats it`, `drop --runs or --workers`);
    if (str(args, "shard") !== undefined) throw new UsageError(`--workers and --shard both split the workload`, `on several machines use --shard i/N alone, with N = every process on every machine`);
  }
  const shard = parseShardOption(str(args, "shard"), str(args, "seed"), { requests, warmup, repeatRatio, concurrency }, sweep !== undefined, runs);
  return {
    ...target,
    requests: shard ? shard.load.requests : requests,
    durationMs,
    concurrency: shard ? shard.load.concurrency : concurrency,
    rate,
    burstiness: parseNumber("burstiness", burstinessArg, 1, { min: 0, exclusiveMin: true }),
    rampUpMs: str(args, "ramp-up") === undefined ? 0 : parseDuration("ramp-up", str(args, "ramp-up")!, true),
    latencyFrom,
    repeatRatio,
    warmup: shard ? shard.load.warmup : warmup,
    slo,
    sweep,
    runs,
    output: str(args, "output"),
    json: args.json === true,
    quiet: args.quiet === true,
    // a bounded run or a records file keeps no records in the result document
    records: args.records !== false && recordsFile === undefined && !bounded,
    recordsFile,
    bounded,
    workers,
    ...(shard ? { shard: shard.run } : {}),
  };
}

/** `--shard i/N`: a seed every shard shares, one measurement; the totals split by core/shard.ts. */
function parseShardOption(
  value: string | undefined,
  seed: string | undefined,
  whole: { requests: number | undefined; warmup: number; repeatRatio: number; concurrency: number },
  sweep: boolean,
  runs: number,
): { load: ShardLoad; run: ShardRun } | undefined {
  if (value === undefined) return undefined;
  const spec = parseShard(value);
  if (seed === undefined) throw new UsageError(`--shard ${value} needs the --seed every shard shares: a random seed would give each shard other prompts`, `pass the same --seed to every shard, e.g. --seed 42 --shard ${value}`);
  if (sweep) throw new UsageError(`--shard splits one measurement; a sweep measures several levels`, `give --concurrency or --rate a single value`);
  if (runs > 1) throw new UsageError(`--shard splits one measurement; --runs repeats it`, `drop --runs`);
  const load = shardLoad(spec, whole);
  const run: ShardRun = { ...spec, requests: whole.requests ?? null, warmup: whole.warmup, concurrency: Number.isFinite(whole.concurrency) ? whole.concurrency : null, repeats: load.repeats };
  return { load, run };
}
