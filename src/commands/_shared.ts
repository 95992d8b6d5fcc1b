/** Argument blocks several commands spread in. citty passes every value as a string; core/options.ts validates. */
import type { ArgsDef } from "citty";

/** Where requests go, how they are sent, which prompts: `run` and `warm` spread it; parseTargetOptions parses it. */
export const targetArgs = {
  endpoint: { type: "string", description: "URL of the inference API", default: "http://localhost:8000/generate", valueHint: "url" },
  api: { type: "string", description: "generate | openai-completions | openai-chat (default: detected from the endpoint's path)", valueHint: "api" },
  model: { type: "string", description: "model name for OpenAI APIs (default: the first of GET /v1/models)" },
  header: { type: "string", description: "extra request header 'Name: value' (repeatable, or comma-separated)" },
  "api-key": { type: "string", description: "API key sent as Authorization: Bearer (or set LLMBENCH_API_KEY / OPENAI_API_KEY); never saved or printed" },
  timeout: { type: "string", description: "deadline per request over the whole body, in seconds (default 60)", valueHint: "s" },
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
  output: { type: "string", alias: "o", description: "write the result JSON here (atomically)", valueHint: "file" },
  json: { type: "boolean", description: "print the result document to stdout instead of the report" },
  quiet: { type: "boolean", alias: "q", description: "no progress line and no info messages on stderr" },
} as const satisfies ArgsDef;
