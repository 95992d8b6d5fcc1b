/** `llmbench warm`: its flags (one table: help and parser) and its options. */
import { UsageError } from "../errors.ts";
import { STEADY_DEFAULTS, type SteadyParams } from "../steady.ts";
import { parseArgv, type FlagTable } from "./argv.ts";
import { OUTPUT_FLAGS, parseTargetOptions, TARGET_FLAGS, type TargetOptions } from "./target.ts";
import { parseDuration, parseNumber } from "./values.ts";

export const WARM_FLAGS = {
  ...TARGET_FLAGS,
  wait: {
    type: "string",
    description: "how long to wait for the first successful answer: 120s, 500ms, 5m",
    default: "120s",
  },
  concurrency: { type: "string", alias: "c", description: "most requests in flight at once", default: "1" },
  requests: {
    type: "string",
    alias: "n",
    description: "send exactly N requests (the first success included) instead of stopping once steady",
  },
  "max-requests": {
    type: "string",
    description: "stop at this many requests if latency is not steady by then",
    default: "100",
  },
  window: {
    type: "string",
    description: "steady state is judged on the last N latencies",
    default: String(STEADY_DEFAULTS.window),
  },
  "max-cv": {
    type: "string",
    description: "steady: their coefficient of variation is at most this",
    default: String(STEADY_DEFAULTS.maxCv),
  },
  "max-drop": {
    type: "string",
    description: "steady: their least-squares trend falls by at most this share of their mean",
    default: String(STEADY_DEFAULTS.maxDrop),
  },
  ...OUTPUT_FLAGS,
} as const satisfies FlagTable;

export interface WarmOptions extends TargetOptions {
  /** how long to wait for the first successful answer */
  waitMs: number;
  concurrency: number;
  /** send exactly this many requests (the first success included); undefined: until steady */
  requests: number | undefined;
  /** until steady, at most this many requests */
  maxRequests: number;
  steady: SteadyParams;
  output: string | undefined;
  json: boolean;
  quiet: boolean;
}

/** `warm`'s command line → its options (`argv` without the command name). */
export function parseWarmOptions(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  randomSeed: () => number,
): WarmOptions {
  const p = parseArgv(argv, WARM_FLAGS, "warm");
  const d = WARM_FLAGS;
  const target = parseTargetOptions(p, env, randomSeed);
  const requestsArg = p.given("requests");
  const maxArg = p.given("max-requests");
  if (requestsArg !== undefined && maxArg !== undefined) {
    throw new UsageError(
      `--requests sends exactly N requests; --max-requests bounds the wait for steady latency`,
      `give one of them`,
    );
  }
  if (target.prompts !== undefined && maxArg !== undefined) {
    throw new UsageError(
      `with --prompts, warm sends each prompt of the file once; --max-requests bounds the wait for steady latency`,
      `drop --max-requests (or give --requests N)`,
    );
  }
  const steady: SteadyParams = {
    window: parseNumber("window", p.get("window")!, { min: 2, integer: true }, d.window.default),
    maxCv: parseNumber("max-cv", p.get("max-cv")!, { min: 0, exclusiveMin: true }, d["max-cv"].default),
    maxDrop: parseNumber("max-drop", p.get("max-drop")!, { min: 0 }, d["max-drop"].default),
  };
  const maxRequests = parseNumber(
    "max-requests",
    p.get("max-requests")!,
    { min: 1, integer: true },
    d["max-requests"].default,
  );
  if (requestsArg === undefined && target.prompts === undefined && maxRequests < steady.window) {
    throw new UsageError(
      `--max-requests ${maxRequests} is fewer than the --window ${steady.window} latencies steady state is judged on`,
      `raise --max-requests or lower --window`,
    );
  }
  return {
    ...target,
    waitMs: parseDuration("wait", p.get("wait")!, true),
    concurrency: parseNumber("concurrency", p.get("concurrency")!, { min: 1, integer: true }, d.concurrency.default),
    requests:
      requestsArg === undefined ? undefined : parseNumber("requests", requestsArg, { min: 1, integer: true }, 20),
    maxRequests,
    steady,
    output: p.given("output"),
    json: p.flag("json") === true,
    quiet: p.flag("quiet") === true,
  };
}
