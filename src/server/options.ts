/** The simulator's options: defaults, validation, and parsing from command-line strings. */
import { UsageError } from "../core/errors.ts";
import { checkRange, parseNumber as parseNumberValue } from "../core/options/values.ts";

export interface ServerOptions {
  /** interface to listen on */
  host: string;
  /** TCP port; 0 picks a free one */
  port: number;
  /** prefill time per prompt token, ms (paid in the step in which a request joins the batch) */
  prefillMsPerToken: number;
  /** time of one decode step at batch size 1, ms */
  decodeStepMs: number;
  /** most requests decoding at once; the rest wait in a FIFO queue */
  maxBatchSize: number;
  /** when idle, wait this long for more requests before the first step, ms */
  batchWindowMs: number;
  /** step time = decodeStepMs · batchSize^batchExponent (+ prefill) */
  batchExponent: number;
  /** LRU response-cache entries; 0 turns the cache off */
  cacheSize: number;
  /** latency of a cache hit, ms */
  cacheHitMs: number;
  /** model name served at /v1/models and in OpenAI responses */
  model: string;
  /** cold start: the first this-many generation requests are slowed down (0 = off) */
  coldStartRequests: number;
  /** the first request's extra latency, ms; it falls linearly to 0 at request `coldStartRequests` */
  coldStartMs: number;
  /** automatic prefix caching (prefix-cache.ts): prefill is charged only for the uncached suffix, usage reports cached_tokens */
  prefixCache: boolean;
  /** tokens per prefix-cache block; only full blocks are cached */
  prefixBlockTokens: number;
  /** prefix-cache capacity in blocks (LRU) */
  prefixCacheBlocks: number;
}

export const SERVER_DEFAULTS: ServerOptions = {
  host: "127.0.0.1",
  port: 0,
  prefillMsPerToken: 0.05,
  decodeStepMs: 4,
  maxBatchSize: 32,
  batchWindowMs: 2,
  batchExponent: 0.5,
  cacheSize: 1024,
  cacheHitMs: 1,
  model: "llmbench-sim",
  coldStartRequests: 0,
  coldStartMs: 200,
  prefixCache: false,
  prefixBlockTokens: 16,
  prefixCacheBlocks: 4096,
};

type NumericKey = { [K in keyof ServerOptions]: ServerOptions[K] extends number ? K : never }[keyof ServerOptions];

interface NumberRule {
  /** the command-line flag, without its dashes */
  flag: string;
  integer: boolean;
  min: number;
  max: number;
}

/** Each numeric option, its command-line flag, and its allowed range. */
export const NUMBER_RULES: Record<NumericKey, NumberRule> = {
  port: { flag: "port", integer: true, min: 0, max: 65535 },
  prefillMsPerToken: { flag: "prefill-ms-per-token", integer: false, min: 0, max: 60_000 },
  decodeStepMs: { flag: "decode-step-ms", integer: false, min: 0, max: 60_000 },
  maxBatchSize: { flag: "max-batch-size", integer: true, min: 1, max: 1_000_000 },
  batchWindowMs: { flag: "batch-window-ms", integer: false, min: 0, max: 60_000 },
  batchExponent: { flag: "batch-exponent", integer: false, min: 0, max: 4 },
  cacheSize: { flag: "cache-size", integer: true, min: 0, max: 100_000_000 },
  cacheHitMs: { flag: "cache-hit-ms", integer: false, min: 0, max: 60_000 },
  coldStartRequests: { flag: "cold-start", integer: true, min: 0, max: 1_000_000 },
  coldStartMs: { flag: "cold-start-ms", integer: false, min: 0, max: 600_000 },
  prefixBlockTokens: { flag: "prefix-block-tokens", integer: true, min: 1, max: 1_000_000 },
  prefixCacheBlocks: { flag: "prefix-cache-blocks", integer: true, min: 1, max: 100_000_000 },
};

/** Defaults filled in and every value checked (the same rule and message as the command line's); throws UsageError on a bad value. */
export function resolveServerOptions(opts: Partial<ServerOptions> = {}): ServerOptions {
  const defined = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
  const o: ServerOptions = { ...SERVER_DEFAULTS, ...defined };
  for (const key of Object.keys(NUMBER_RULES) as NumericKey[]) {
    const r = NUMBER_RULES[key];
    checkRange(r.flag, o[key], r, SERVER_DEFAULTS[key]);
  }
  if (typeof o.host !== "string" || o.host.trim() === "") throw new UsageError("--host must not be empty", "for example --host 127.0.0.1");
  if (typeof o.model !== "string" || o.model.trim() === "") throw new UsageError("--model must not be empty", "for example --model llmbench-sim");
  if (typeof o.prefixCache !== "boolean") throw new UsageError("--prefix-cache takes no value", "write --prefix-cache, or leave it out");
  return o;
}

/** Options from command-line strings keyed by option name (the one number parser every command uses); undefined means the default. */
export function serverOptionsFromStrings(raw: Partial<Record<keyof ServerOptions, string | boolean | undefined>>): ServerOptions {
  const out: Partial<ServerOptions> = {};
  for (const key of Object.keys(raw) as (keyof ServerOptions)[]) {
    const v = raw[key];
    if (v === undefined) continue;
    if (key === "prefixCache") out.prefixCache = v === true || v === "true";
    else if (typeof v !== "string") continue;
    else if (key === "host" || key === "model") out[key] = v;
    else if (key in NUMBER_RULES) {
      const r = NUMBER_RULES[key as NumericKey];
      out[key as NumericKey] = parseNumberValue(r.flag, v, r, SERVER_DEFAULTS[key as NumericKey]);
    }
  }
  return resolveServerOptions(out);
}
