/**
 * The reference server's options (`llmbench serve`, and `startServer` from code and tests), declared
 * once: each option's flag, default, help and — for a number — its range. The flag table (help and
 * parser), the `ServerOptions` type, the defaults and the checks are all read from `SERVE` below; the
 * server (src/server/) imports its options from here.
 */
import { UsageError } from "../errors.ts";
import { parseArgv, type FlagSpec, type FlagTable } from "./argv.ts";
import { checkRange, parseNumber } from "./values.ts";

/** `llmbench run`'s default endpoint is http://localhost:8000/generate: serve there unless told otherwise (0 when started from code). */
export const DEFAULT_PORT = "8000";

/** One option: its flag, its default (its type: a number, a string or a boolean), help, and a number's range. */
interface OptionRule {
  flag: string;
  default: number | string | boolean;
  help: string;
  /** shown in help: `--port=<n>` */
  hint?: string;
  /** a number's range (the one number parser every command uses) */
  integer?: boolean;
  min?: number;
  max?: number;
  /** the command line's default, when it is not the one used from code (the port) */
  cliDefault?: string;
}

/** Every option of the server, one line each: its key in ServerOptions → flag, default, help, range. */
const SERVE = {
  port: {
    flag: "port",
    default: 0,
    cliDefault: DEFAULT_PORT,
    integer: true,
    min: 0,
    max: 65535,
    hint: "n",
    help: "TCP port; 0 picks a free one (8000 is where 'llmbench run' looks by default)",
  },
  host: { flag: "host", default: "127.0.0.1", hint: "addr", help: "interface to listen on" },
  prefillMsPerToken: {
    flag: "prefill-ms-per-token",
    default: 0.05,
    min: 0,
    max: 60_000,
    hint: "ms",
    help: "prefill time per prompt token, ms (paid in the step in which a request joins the batch)",
  },
  decodeStepMs: {
    flag: "decode-step-ms",
    default: 4,
    min: 0,
    max: 60_000,
    hint: "ms",
    help: "one decode step at batch size 1, ms",
  },
  maxBatchSize: {
    flag: "max-batch-size",
    default: 32,
    integer: true,
    min: 1,
    max: 1_000_000,
    hint: "n",
    help: "most requests decoding at once; the rest wait in a FIFO queue",
  },
  batchWindowMs: {
    flag: "batch-window-ms",
    default: 2,
    min: 0,
    max: 60_000,
    hint: "ms",
    help: "when idle, wait this long to gather a batch",
  },
  batchExponent: {
    flag: "batch-exponent",
    default: 0.5,
    min: 0,
    max: 4,
    hint: "x",
    help: "step time = decode-step-ms × batch^exponent",
  },
  cacheSize: {
    flag: "cache-size",
    default: 1024,
    integer: true,
    min: 0,
    max: 100_000_000,
    hint: "n",
    help: "LRU response-cache entries, 0 = off",
  },
  cacheHitMs: { flag: "cache-hit-ms", default: 1, min: 0, max: 60_000, hint: "ms", help: "latency of a cache hit, ms" },
  model: { flag: "model", default: "llmbench-sim", hint: "name", help: "model name reported by the server" },
  coldStartRequests: {
    flag: "cold-start",
    default: 0,
    integer: true,
    min: 0,
    max: 1_000_000,
    hint: "n",
    help: "slow down the first N generation requests, decaying linearly to none (0: off)",
  },
  coldStartMs: {
    flag: "cold-start-ms",
    default: 200,
    min: 0,
    max: 600_000,
    hint: "ms",
    help: "extra latency of the first request with --cold-start, ms",
  },
  prefixCache: {
    flag: "prefix-cache",
    default: false,
    help: "automatic prefix caching: cache full blocks of prompt tokens (LRU), charge prefill only for the uncached suffix, report cached_tokens",
  },
  prefixBlockTokens: {
    flag: "prefix-block-tokens",
    default: 16,
    integer: true,
    min: 1,
    max: 1_000_000,
    hint: "n",
    help: "tokens (whitespace words) per prefix-cache block; only full blocks are cached",
  },
  prefixCacheBlocks: {
    flag: "prefix-cache-blocks",
    default: 4096,
    integer: true,
    min: 1,
    max: 100_000_000,
    hint: "n",
    help: "prefix-cache capacity in blocks, least recently used evicted first",
  },
} as const satisfies Record<string, OptionRule>;

type Widen<T> = T extends number ? number : T extends boolean ? boolean : string;

/** The server's options, typed from the table: a number option is a number, and so on. */
export type ServerOptions = { -readonly [K in keyof typeof SERVE]: Widen<(typeof SERVE)[K]["default"]> };

type Key = keyof ServerOptions;
const KEYS = Object.keys(SERVE) as Key[];
const rule = (key: Key): OptionRule => SERVE[key];

export const SERVER_DEFAULTS: ServerOptions = Object.fromEntries(
  KEYS.map((k) => [k, rule(k).default]),
) as ServerOptions;

/** serve's flags for help and the parser, from the table. */
export const SERVE_FLAGS: FlagTable = Object.fromEntries(
  KEYS.map((k) => {
    const r = rule(k);
    const spec: FlagSpec =
      typeof r.default === "boolean"
        ? { type: "boolean", description: r.help, default: r.default }
        : { type: "string", description: r.help, default: r.cliDefault ?? String(r.default), valueHint: r.hint };
    return [r.flag, spec];
  }),
);

/** Defaults filled in and every value checked (the same rule and message as the command line's); throws UsageError on a bad value. */
export function resolveServerOptions(opts: Partial<ServerOptions> = {}): ServerOptions {
  const defined = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
  const o: ServerOptions = { ...SERVER_DEFAULTS, ...defined };
  for (const key of KEYS) {
    const r = rule(key);
    const v: unknown = o[key];
    if (typeof r.default === "number") checkRange(r.flag, v as number, r, r.default);
    else if (typeof r.default === "boolean" && typeof v !== "boolean")
      throw new UsageError(`--${r.flag} takes no value`, `write --${r.flag}, or leave it out`);
    else if (typeof r.default === "string" && (typeof v !== "string" || v.trim() === ""))
      throw new UsageError(`--${r.flag} must not be empty`, `for example --${r.flag} ${r.default}`);
  }
  return o;
}

/** Options from command-line strings keyed by option name (the one number parser every command uses); undefined means the default. */
export function serverOptionsFromStrings(raw: Partial<Record<Key, string | boolean | undefined>>): ServerOptions {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(raw) as Key[]) {
    const v = raw[key];
    const r = rule(key);
    if (v === undefined || !r) continue;
    if (typeof r.default === "number") out[key] = parseNumber(r.flag, String(v), r, r.default);
    else if (typeof r.default === "boolean") out[key] = v === true || v === "true";
    else out[key] = v;
  }
  return resolveServerOptions(out as Partial<ServerOptions>);
}

/** `serve`'s command line → the server's options (`argv` without the command name). */
export function parseServeOptions(argv: readonly string[]): ServerOptions {
  const p = parseArgv(argv, SERVE_FLAGS, "serve");
  const raw: Partial<Record<Key, string | boolean>> = {};
  for (const key of KEYS) {
    const r = rule(key);
    raw[key] = typeof r.default === "boolean" ? p.flag(r.flag) : p.get(r.flag);
  }
  return serverOptionsFromStrings(raw);
}
