/** Strings from the command line → typed, validated options. Every failure is a UsageError naming the fix. */
import { UsageError } from "./errors.ts";
import { API_KINDS, type ApiKind } from "./protocols/types.ts";
import { detectApi } from "./protocols/index.ts";
import { TOKENIZERS, type TokenizerName } from "./tokenizer.ts";
import { repeatCount } from "./schedule.ts";

type RawValue = string | number | boolean | string[] | undefined;
export type RawArgs = Record<string, RawValue>;

interface ArgDefLike {
  type?: string;
  alias?: string | string[];
}

/** The flag definitions' names: `requests`, `max-tokens`, and their aliases. */
function knownFlags(defs: Record<string, ArgDefLike>): Set<string> {
  const names = new Set(["help", "h", "version", "v"]);
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
  const booleans = new Set(Object.entries(defs).filter(([, d]) => d.type === "boolean").map(([n]) => n));
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
      throw new UsageError(
        `unknown option '${arg.split("=")[0]}' for 'llmbench ${command}'`,
        nearest && distance(bare, nearest) <= 3 ? `did you mean '--${nearest}'?` : `see 'llmbench ${command} --help'`,
      );
    }
    const name = known.has(bare) ? bare : kebab(bare);
    // a flag that takes a value consumes the next argument
    if (inlineValue === undefined && !booleans.has(name) && !["help", "h", "version", "v"].includes(name)) i++;
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

function str(args: RawArgs, name: string): string | undefined {
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
  const n = Number(value);
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

/** A URL without user:password, for reports and result files. */
export function redactUrl(url: URL): string {
  const u = new URL(url.href);
  u.username = "";
  u.password = "";
  for (const key of [...u.searchParams.keys()]) {
    if (/key|token|secret|password|auth/i.test(key)) u.searchParams.set(key, "REDACTED");
  }
  return u.href;
}

export function parseUrl(name: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--${name} is not a valid URL: '${value}'`, `write a full URL, e.g. --${name} http://localhost:8000/generate`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--${name} must be an http:// or https:// URL, got '${url.protocol}'`, `e.g. --${name} http://localhost:8000/generate`);
  }
  return url;
}

export interface RunOptions {
  url: URL;
  /** the endpoint with credentials removed: what reports and result files show */
  endpoint: string;
  api: ApiKind;
  stream: boolean;
  model: string | undefined;
  requests: number;
  concurrency: number;
  maxTokens: number;
  repeatRatio: number;
  warmup: number;
  seed: number;
  timeoutMs: number;
  promptWords: number;
  tokenizer: TokenizerName;
  output: string | undefined;
  json: boolean;
  quiet: boolean;
  records: boolean;
  /** extra request headers (Authorization is added from apiKey, never stored) */
  headers: Record<string, string>;
  apiKey: string | undefined;
  extraBody: Record<string, unknown> | undefined;
}

/** The options as saved in the result file: no secrets, no header values. */
export function publicConfig(o: RunOptions): Record<string, unknown> {
  return {
    endpoint: o.endpoint,
    api: o.api,
    stream: o.stream,
    model: o.model ?? null,
    requests: o.requests,
    concurrency: o.concurrency,
    max_tokens: o.maxTokens,
    repeat_ratio: o.repeatRatio,
    warmup: o.warmup,
    seed: o.seed,
    timeout_s: o.timeoutMs / 1000,
    prompt_words: o.promptWords,
    tokenizer: o.tokenizer,
    output: o.output ?? null,
    records: o.records,
    header_names: Object.keys(o.headers),
    api_key_set: o.apiKey !== undefined,
    extra_body: o.extraBody ?? null,
  };
}

export function parseHeaders(values: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const value of values) {
    // comma-separated lists are accepted; a comma inside a value needs its own --header
    for (const part of value.split(/,(?=\s*[A-Za-z0-9-]+\s*:)/)) {
      const i = part.indexOf(":");
      const name = part.slice(0, i).trim();
      if (i <= 0 || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
        throw new UsageError(`--header must look like 'Name: value', got '${part.trim()}'`, `e.g. --header 'X-Request-Source: llmbench'`);
      }
      headers[name] = part.slice(i + 1).trim();
    }
  }
  return headers;
}

export function parseRunOptions(args: RawArgs, rawArgs: readonly string[], env: Record<string, string | undefined>, randomSeed: () => number): RunOptions {
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
  const requests = parseNumber("requests", str(args, "requests"), 50, { min: 1, integer: true });
  const repeatRatio = parseNumber("repeat-ratio", str(args, "repeat-ratio"), 0.3, { min: 0, max: 1 });
  const repeats = repeatCount(requests, repeatRatio);
  if (repeats >= requests && repeats > 0) {
    throw new UsageError(
      `--repeat-ratio ${repeatRatio} makes all ${requests} requests repeats, leaving no first request to repeat`,
      `use a ratio below ${((requests - 0.5) / requests).toFixed(3)}`,
    );
  }
  const tokenizerArg = str(args, "tokenizer");
  if (tokenizerArg !== undefined && !(TOKENIZERS as readonly string[]).includes(tokenizerArg)) {
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
  const stream = typeof args.stream === "boolean" ? args.stream : api !== "generate";
  return {
    url,
    endpoint: redactUrl(url),
    api,
    stream,
    model: str(args, "model"),
    requests,
    concurrency: parseNumber("concurrency", str(args, "concurrency"), 5, { min: 1, integer: true }),
    maxTokens: parseNumber("max-tokens", str(args, "max-tokens"), 100, { min: 1, integer: true }),
    repeatRatio,
    warmup: parseNumber("warmup", str(args, "warmup"), 5, { min: 0, integer: true }),
    seed: seedArg === undefined ? randomSeed() : parseNumber("seed", seedArg, 42, { min: 0, max: 2 ** 32 - 1, integer: true }),
    timeoutMs: parseNumber("timeout", str(args, "timeout"), 60, { min: 0, exclusiveMin: true }) * 1000,
    promptWords: parseNumber("prompt-words", str(args, "prompt-words"), 32, { min: 0, integer: true }),
    tokenizer: (tokenizerArg as TokenizerName | undefined) ?? (api === "generate" ? "whitespace" : "o200k"),
    output: str(args, "output"),
    json: args.json === true,
    quiet: args.quiet === true,
    records: args.records !== false,
    headers: parseHeaders(repeatedFlag(rawArgs, "header")),
    apiKey: str(args, "api-key") ?? env.LLMBENCH_API_KEY ?? env.OPENAI_API_KEY,
    extraBody,
  };
}
