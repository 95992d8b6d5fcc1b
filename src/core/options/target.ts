/** Where requests go, how they are sent, which prompts: the flags `run` and `warm` share, and their parser. */
import { UsageError } from "../errors.ts";
import { detectApi } from "../protocols/index.ts";
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_MESSAGE_BYTES } from "../protocols/framing.ts";
import { API_KINDS, type ApiKind } from "../protocols/types.ts";
import { formatSize } from "../size.ts";
import { isTokenizerName, TOKENIZERS, type TokenizerId } from "../tokenizer.ts";
import { parseLength, type LengthSpec } from "../workload.ts";
import type { FlagTable, ParsedArgs } from "./argv.ts";
import { parseApiKey, parseHeaders, parseNumber, parseSize, parseUrl, redactUrl } from "./values.ts";

const size = (bytes: number) => formatSize(bytes).replace(" ", "");

export const TARGET_FLAGS = {
  endpoint: {
    type: "string",
    description: "URL of the inference API",
    default: "http://localhost:8000/generate",
    valueHint: "url",
  },
  api: {
    type: "string",
    description: "generate | openai-completions | openai-chat (default: detected from the endpoint's path)",
    valueHint: "api",
  },
  model: { type: "string", description: "model name for OpenAI APIs (default: the first of GET /v1/models)" },
  header: {
    type: "string",
    multiple: true,
    description: "extra request header 'Name: value' (repeatable, or comma-separated)",
  },
  "api-key": {
    type: "string",
    description:
      "API key sent as Authorization: Bearer (or set LLMBENCH_API_KEY / OPENAI_API_KEY); never saved or printed",
  },
  timeout: {
    type: "string",
    description: "deadline per request over the whole body, in seconds",
    default: "60",
    valueHint: "s",
  },
  "max-body": {
    type: "string",
    description: "most bytes one response body may have once decoded; past it the request is a protocol error",
    default: size(DEFAULT_MAX_BODY_BYTES),
    valueHint: "size",
  },
  "max-message": {
    type: "string",
    description: "most one SSE event, NDJSON line or non-streamed JSON body may hold",
    default: size(DEFAULT_MAX_MESSAGE_BYTES),
    valueHint: "size",
  },
  stream: {
    type: "boolean",
    description:
      "ask for a streamed response (default: on for OpenAI APIs, off for generate); --no-stream turns it off",
  },
  "max-tokens": { type: "string", description: "tokens to generate per request", default: "100" },
  "ignore-eos": {
    type: "boolean",
    description: "ask OpenAI-compatible servers (vLLM, SGLang) to generate all --max-tokens (ignore_eos)",
  },
  "extra-body": {
    type: "string",
    description: "JSON object merged into every request body, e.g. '{\"ignore_eos\": true}'",
  },
  tokenizer: {
    type: "string",
    description:
      "counts tokens where the server gives no usage: whitespace | o200k | cl100k, or the path of the model's Hugging Face tokenizer.json (default: whitespace for generate, o200k otherwise)",
    valueHint: "name|file",
  },
  seed: {
    type: "string",
    description: "seed of the prompts (and of run's repeats) (default: random, printed and saved)",
  },
  "input-tokens": {
    type: "string",
    description: "synthetic prompt length in tokens, or mean:stdev, e.g. 512:128",
    default: "32",
  },
  "prefix-tokens": {
    type: "string",
    description: "tokens of shared text every synthetic prompt starts with, to test prefix caching",
    default: "0",
  },
  prompts: {
    type: "string",
    description: 'prompts file: JSONL with a "prompt" or chat "messages" field per line, or ShareGPT JSON',
  },
} as const satisfies FlagTable;

/** The output flags `run`, `warm` and `merge` share. */
export const OUTPUT_FLAGS = {
  output: {
    type: "string",
    alias: "o",
    description: "write the result JSON here (atomically; a symlink's target; a FIFO or device in place; - for stdout)",
    valueHint: "file",
  },
  json: { type: "boolean", description: "print the result document to stdout instead of the report" },
  quiet: { type: "boolean", alias: "q", description: "no progress line and no info messages on stderr" },
} as const satisfies FlagTable;

/** The options `run` and `warm` share: where requests go, how they are sent, and which prompts. */
export interface TargetOptions {
  url: URL;
  /** the endpoint with credentials removed: what reports and result files show */
  endpoint: string;
  api: ApiKind;
  stream: boolean;
  model: string | undefined;
  /** extra request headers (Authorization is added from apiKey, never stored) */
  headers: Record<string, string>;
  apiKey: string | undefined;
  extraBody: Record<string, unknown> | undefined;
  timeoutMs: number;
  /** most decoded bytes one response body may have (--max-body) */
  maxBodyBytes: number;
  /** most characters one message may buffer: an SSE line or event, an NDJSON line, a whole JSON body (--max-message) */
  maxMessageBytes: number;
  /** a built-in name; with --tokenizer FILE the path until the file is loaded, then its label (name@sha256:…) */
  tokenizer: TokenizerId;
  /** --tokenizer FILE: the path of a Hugging Face tokenizer.json, as given */
  tokenizerFile?: string;
  maxTokens: number;
  ignoreEos: boolean;
  seed: number;
  inputTokens: LengthSpec;
  prefixTokens: number;
  /** path of a prompts file (JSONL or ShareGPT JSON) */
  prompts: string | undefined;
}

/** The target and prompt options, parsed once for every command that sends requests (`run`, `warm`). */
export function parseTargetOptions(
  p: ParsedArgs,
  env: Record<string, string | undefined>,
  randomSeed: () => number,
): TargetOptions {
  const d = TARGET_FLAGS;
  const url = parseUrl("endpoint", p.get("endpoint")!);
  const apiArg = p.given("api");
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
  // a built-in name, or else the path of a tokenizer.json (read when the run starts; ./o200k is a file named o200k)
  const tokenizerArg = p.given("tokenizer");
  if (tokenizerArg !== undefined && tokenizerArg.trim() === "") {
    throw new UsageError(
      `--tokenizer is empty`,
      `give one of ${TOKENIZERS.join(", ")}, or the path of a model's tokenizer.json`,
    );
  }
  const tokenizerFile = tokenizerArg !== undefined && !isTokenizerName(tokenizerArg) ? tokenizerArg : undefined;
  const extra = p.given("extra-body");
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
  const seedArg = p.given("seed");
  const inputTokens = parseLength("input-tokens", p.get("input-tokens")!);
  const prefixTokens = parseNumber(
    "prefix-tokens",
    p.get("prefix-tokens")!,
    { min: 0, integer: true },
    d["prefix-tokens"].default,
  );
  const prompts = p.given("prompts");
  if (prompts !== undefined && (p.given("input-tokens") !== undefined || prefixTokens > 0)) {
    throw new UsageError(
      `--prompts takes prompts as they are in the file; --input-tokens and --prefix-tokens shape synthetic prompts`,
      `drop one of them`,
    );
  }
  if (prefixTokens >= inputTokens.mean) {
    throw new UsageError(
      `--prefix-tokens ${prefixTokens} must be shorter than --input-tokens ${inputTokens.mean} (the prefix is part of the prompt)`,
      `raise --input-tokens or lower --prefix-tokens`,
    );
  }
  const stream = p.flag("stream");
  return {
    url,
    endpoint: redactUrl(url),
    api,
    stream: stream ?? api !== "generate",
    model: p.given("model"),
    ignoreEos: p.flag("ignore-eos") === true,
    maxTokens: parseNumber("max-tokens", p.get("max-tokens")!, { min: 1, integer: true }, d["max-tokens"].default),
    seed:
      seedArg === undefined
        ? randomSeed()
        : parseNumber("seed", seedArg, { min: 0, max: 2 ** 32 - 1, integer: true }, 42),
    timeoutMs: parseNumber("timeout", p.get("timeout")!, { min: 0, exclusiveMin: true }, d.timeout.default) * 1000,
    maxBodyBytes: parseSize("max-body", p.get("max-body")!, d["max-body"].default),
    maxMessageBytes: parseSize("max-message", p.get("max-message")!, d["max-message"].default),
    inputTokens,
    prefixTokens,
    prompts,
    tokenizer: tokenizerArg ?? (api === "generate" ? "whitespace" : "o200k"),
    ...(tokenizerFile !== undefined ? { tokenizerFile } : {}),
    headers: parseHeaders(p.all("header")),
    apiKey: parseApiKey(p.given("api-key") ?? env.LLMBENCH_API_KEY ?? env.OPENAI_API_KEY),
    extraBody,
  };
}
