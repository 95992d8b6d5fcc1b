/**
 * Argument blocks several commands spread in, and nothing else. citty passes every value as a string;
 * core/options.ts validates. What a command sets up around its work is in app/command.ts; where its
 * document goes, app/emit.ts.
 */
import type { ArgsDef } from "citty";

/** Where requests go, how they are sent, which prompts: `run` and `warm` spread it; parseTargetOptions parses it. */
export const targetArgs = {
  endpoint: { type: "string", description: "URL of the inference API", default: "http://localhost:8000/generate", valueHint: "url" },
  api: { type: "string", description: "generate | openai-completions | openai-chat (default: detected from the endpoint's path)", valueHint: "api" },
  model: { type: "string", description: "model name for OpenAI APIs (default: the first of GET /v1/models)" },
  header: { type: "string", description: "extra request header 'Name: value' (repeatable, or comma-separated)" },
  "api-key": { type: "string", description: "API key sent as Authorization: Bearer (or set LLMBENCH_API_KEY / OPENAI_API_KEY); never saved or printed" },
  timeout: { type: "string", description: "deadline per request over the whole body, in seconds (default 60)", valueHint: "s" },
  "max-body": { type: "string", description: "most bytes one response body may have once decoded, e.g. 64MiB (default); past it the request is a protocol error", valueHint: "size" },
  "max-message": { type: "string", description: "most one SSE event, NDJSON line or non-streamed JSON body may hold, e.g. 4MiB (default)", valueHint: "size" },
  stream: { type: "boolean", description: "ask for a streamed response (default: on for OpenAI APIs, off for generate); --no-stream turns it off" },
  "max-tokens": { type: "string", description: "tokens to generate per request (default 100)" },
  "ignore-eos": { type: "boolean", description: "ask OpenAI-compatible servers (vLLM, SGLang) to generate all --max-tokens (ignore_eos)" },
  "extra-body": { type: "string", description: "JSON object merged into every request body, e.g. '{\"ignore_eos\": true}'" },
  tokenizer: { type: "string", description: "counts tokens where the server gives no usage: whitespace | o200k | cl100k (default: whitespace for generate, o200k otherwise)" },
  seed: { type: "string", description: "seed of the prompts (and of run's repeats) (default: random, printed and saved)" },
  "input-tokens": { type: "string", description: "synthetic prompt length in tokens, or mean:stdev, e.g. 512:128 (default 32)" },
  "prefix-tokens": { type: "string", description: "tokens of shared text every synthetic prompt starts with, to test prefix caching (default 0)" },
  prompts: { type: "string", description: "prompts file: JSONL with a \"prompt\" or chat \"messages\" field per line, or ShareGPT JSON" },
} as const satisfies ArgsDef;

export const outputArgs = {
  output: { type: "string", alias: "o", description: "write the result JSON here (atomically; a symlink's target; a FIFO or device in place; - for stdout)", valueHint: "file" },
  json: { type: "boolean", description: "print the result document to stdout instead of the report" },
  quiet: { type: "boolean", alias: "q", description: "no progress line and no info messages on stderr" },
} as const satisfies ArgsDef;
