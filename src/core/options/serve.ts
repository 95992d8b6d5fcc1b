/** `llmbench serve`: its flags (one table: help and parser, defaults from the server's own SERVER_DEFAULTS) and its options. */
import { SERVER_DEFAULTS, serverOptionsFromStrings, type ServerOptions } from "../../server/options.ts";
import { parseArgv, type FlagTable } from "./argv.ts";

/** `llmbench run`'s default endpoint is http://localhost:8000/generate: serve there unless told otherwise (0 when started from code). */
export const DEFAULT_PORT = "8000";

const d = SERVER_DEFAULTS;

/** Flag → its ServerOptions key, help text and default. */
const SERVE = {
  port: ["port", { type: "string", description: "TCP port; 0 picks a free one (8000 is where 'llmbench run' looks by default)", default: DEFAULT_PORT, valueHint: "n" }],
  host: ["host", { type: "string", description: "interface to listen on", default: d.host, valueHint: "addr" }],
  "prefill-ms-per-token": ["prefillMsPerToken", { type: "string", description: "prefill time per prompt token, ms", default: String(d.prefillMsPerToken), valueHint: "ms" }],
  "decode-step-ms": ["decodeStepMs", { type: "string", description: "one decode step at batch size 1, ms", default: String(d.decodeStepMs), valueHint: "ms" }],
  "max-batch-size": ["maxBatchSize", { type: "string", description: "most requests decoding at once", default: String(d.maxBatchSize), valueHint: "n" }],
  "batch-window-ms": ["batchWindowMs", { type: "string", description: "when idle, wait this long to gather a batch", default: String(d.batchWindowMs), valueHint: "ms" }],
  "batch-exponent": ["batchExponent", { type: "string", description: "step time = decode-step-ms × batch^exponent", default: String(d.batchExponent), valueHint: "x" }],
  "cache-size": ["cacheSize", { type: "string", description: "LRU response-cache entries, 0 = off", default: String(d.cacheSize), valueHint: "n" }],
  "cache-hit-ms": ["cacheHitMs", { type: "string", description: "latency of a cache hit, ms", default: String(d.cacheHitMs), valueHint: "ms" }],
  model: ["model", { type: "string", description: "model name reported by the server", default: d.model, valueHint: "name" }],
  "cold-start": ["coldStartRequests", { type: "string", description: "slow down the first N generation requests, decaying linearly to none (0: off)", default: String(d.coldStartRequests), valueHint: "n" }],
  "cold-start-ms": ["coldStartMs", { type: "string", description: "extra latency of the first request with --cold-start, ms", default: String(d.coldStartMs), valueHint: "ms" }],
  "prefix-cache": ["prefixCache", { type: "boolean", description: "automatic prefix caching: cache full blocks of prompt tokens (LRU), charge prefill only for the uncached suffix, report cached_tokens", default: d.prefixCache }],
  "prefix-block-tokens": ["prefixBlockTokens", { type: "string", description: "tokens (whitespace words) per prefix-cache block; only full blocks are cached", default: String(d.prefixBlockTokens), valueHint: "n" }],
  "prefix-cache-blocks": ["prefixCacheBlocks", { type: "string", description: "prefix-cache capacity in blocks, least recently used evicted first", default: String(d.prefixCacheBlocks), valueHint: "n" }],
} as const satisfies Record<string, readonly [keyof ServerOptions, FlagTable[string]]>;

export const SERVE_FLAGS = Object.fromEntries(Object.entries(SERVE).map(([flag, [, spec]]) => [flag, spec])) as { [K in keyof typeof SERVE]: (typeof SERVE)[K][1] };

/** `serve`'s command line → the server's options (`argv` without the command name). */
export function parseServeOptions(argv: readonly string[]): ServerOptions {
  const p = parseArgv(argv, SERVE_FLAGS, "serve");
  const raw: Partial<Record<keyof ServerOptions, string | boolean>> = {};
  for (const [flag, [key, spec]] of Object.entries(SERVE)) raw[key] = spec.type === "boolean" ? p.flag(flag) : p.get(flag);
  return serverOptionsFromStrings(raw);
}
