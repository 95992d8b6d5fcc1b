/** Argument blocks several commands spread in. citty passes every value as a string; core/options.ts validates. */
import type { ArgsDef } from "citty";

export const targetArgs = {
  endpoint: { type: "string", description: "URL of the inference API", default: "http://localhost:8000/generate", valueHint: "url" },
  api: { type: "string", description: "generate | openai-completions | openai-chat (default: detected from the endpoint's path)", valueHint: "api" },
  model: { type: "string", description: "model name for OpenAI APIs (default: the first of GET /v1/models)" },
  header: { type: "string", description: "extra request header 'Name: value' (repeatable, or comma-separated)" },
  "api-key": { type: "string", description: "API key sent as Authorization: Bearer (or set LLMBENCH_API_KEY / OPENAI_API_KEY); never saved or printed" },
  timeout: { type: "string", description: "deadline per request over the whole body, in seconds (default 60)", valueHint: "s" },
} as const satisfies ArgsDef;

export const outputArgs = {
  output: { type: "string", alias: "o", description: "write the result JSON here (atomically)", valueHint: "file" },
  json: { type: "boolean", description: "print the result document to stdout instead of the report" },
  quiet: { type: "boolean", alias: "q", description: "no progress line and no info messages on stderr" },
} as const satisfies ArgsDef;
