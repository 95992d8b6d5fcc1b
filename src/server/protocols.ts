/** Request bodies the simulator accepts and the bytes it answers with, for each API it speaks. */
import { isRecord } from "../core/guards.ts";
import type { ApiKind } from "../core/protocols/types.ts";

/** One generation request, whatever API it came in. */
export interface GenerationRequest {
  api: ApiKind;
  /** the text the answer and the cache key derive from (chat: message contents joined by "\n") */
  prompt: string;
  maxTokens: number;
  stream: boolean;
  /** OpenAI `stream_options.include_usage` */
  includeUsage: boolean;
}

/** A request body the server refuses with 400. */
export class BadRequestError extends Error {
  override name = "BadRequestError";
}

/** OpenAI's legacy default when `max_tokens` is absent. */
export const OPENAI_DEFAULT_MAX_TOKENS = 16;
export const MAX_TOKENS_LIMIT = 1_000_000;

function maxTokensOf(value: unknown, name: string, fallback: number | undefined): number {
  if (value === undefined || value === null) {
    if (fallback === undefined)
      throw new BadRequestError(`"${name}" is required: an integer from 1 to ${MAX_TOKENS_LIMIT}`);
    return fallback;
  }
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > MAX_TOKENS_LIMIT) {
    throw new BadRequestError(
      `"${name}" must be an integer from 1 to ${MAX_TOKENS_LIMIT}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function optionalBoolean(body: Record<string, unknown>, name: string): boolean {
  const v = body[name];
  if (v === undefined || v === null) return false;
  if (typeof v !== "boolean") throw new BadRequestError(`"${name}" must be a boolean`);
  return v;
}

function checkTemperature(body: Record<string, unknown>): void {
  const t = body.temperature;
  if (t !== undefined && t !== null && (typeof t !== "number" || !Number.isFinite(t) || t < 0)) {
    throw new BadRequestError(`"temperature" must be a number ≥ 0`);
  }
}

function includeUsageOf(body: Record<string, unknown>): boolean {
  const so = body.stream_options;
  if (so === undefined || so === null) return false;
  if (!isRecord(so)) throw new BadRequestError(`"stream_options" must be an object`);
  const v = so.include_usage;
  if (v === undefined || v === null) return false;
  if (typeof v !== "boolean") throw new BadRequestError(`"stream_options.include_usage" must be a boolean`);
  return v;
}

function messageText(content: unknown, i: number): string {
  if (typeof content === "string") return content;
  // the content-parts form: [{type: "text", text: "..."}]
  if (Array.isArray(content)) {
    return content
      .map((part) => {
        if (isRecord(part) && part.type === "text" && typeof part.text === "string") return part.text;
        throw new BadRequestError(`messages[${i}].content: only text parts are supported`);
      })
      .join("");
  }
  throw new BadRequestError(`messages[${i}].content must be a string`);
}

/** Checks a parsed JSON body of `api`; throws BadRequestError. */
export function parseGenerationRequest(api: ApiKind, body: unknown): GenerationRequest {
  if (!isRecord(body)) throw new BadRequestError("the body must be a JSON object");
  checkTemperature(body);
  const stream = optionalBoolean(body, "stream");
  switch (api) {
    case "generate": {
      if (typeof body.prompt !== "string") throw new BadRequestError(`"prompt" is required and must be a string`);
      return {
        api,
        prompt: body.prompt,
        maxTokens: maxTokensOf(body.max_tokens, "max_tokens", undefined),
        stream,
        includeUsage: false,
      };
    }
    case "openai-completions": {
      let prompt = body.prompt;
      if (Array.isArray(prompt) && prompt.length === 1) prompt = prompt[0];
      if (typeof prompt !== "string") throw new BadRequestError(`"prompt" is required and must be a string`);
      const maxTokens = maxTokensOf(body.max_tokens, "max_tokens", OPENAI_DEFAULT_MAX_TOKENS);
      return { api, prompt, maxTokens, stream, includeUsage: includeUsageOf(body) };
    }
    case "openai-chat": {
      const messages = body.messages;
      if (!Array.isArray(messages) || messages.length === 0)
        throw new BadRequestError(`"messages" is required: a non-empty array`);
      const texts = messages.map((m, i) => {
        if (!isRecord(m) || typeof m.role !== "string")
          throw new BadRequestError(`messages[${i}] must be {role, content}`);
        return messageText(m.content, i);
      });
      const name =
        body.max_completion_tokens !== undefined && body.max_completion_tokens !== null
          ? "max_completion_tokens"
          : "max_tokens";
      const maxTokens = maxTokensOf(body[name], name, OPENAI_DEFAULT_MAX_TOKENS);
      return { api, prompt: texts.join("\n"), maxTokens, stream, includeUsage: includeUsageOf(body) };
    }
  }
}

/** What one response needs to know beyond the tokens. */
export interface ResponseContext {
  id: string;
  /** Unix seconds */
  created: number;
  model: string;
  promptTokens: number;
  /** the generate API carries `cached_tokens` in its last event and whole body (serve --prefix-cache) */
  generateCachedTokens?: boolean;
}

/** Turns tokens into a response body, streamed or whole, in one API's format. */
export interface ResponseEncoder {
  /** text before the first token (chat: the role chunk) */
  streamStart(): string;
  streamToken(text: string): string;
  /** everything after the last token, through `data: [DONE]`; `cachedTokens`: prompt tokens served from a cache */
  streamEnd(cached: boolean, completionTokens: number, cachedTokens: number): string;
  /** the non-streaming body */
  whole(text: string, cached: boolean, completionTokens: number, cachedTokens: number): unknown;
}

export function sse(data: unknown): string {
  return `data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;
}

const DONE = sse("[DONE]");

function usage(ctx: ResponseContext, completionTokens: number, cachedTokens: number) {
  return {
    prompt_tokens: ctx.promptTokens,
    completion_tokens: completionTokens,
    total_tokens: ctx.promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: cachedTokens },
  };
}

export function encoderFor(req: GenerationRequest, ctx: ResponseContext): ResponseEncoder {
  if (req.api === "generate") {
    const extra = (cachedTokens: number) => (ctx.generateCachedTokens ? { cached_tokens: cachedTokens } : {});
    return {
      streamStart: () => "",
      streamToken: (text) => sse({ text }),
      streamEnd: (cached, _n, cachedTokens) => sse({ done: true, cached, ...extra(cachedTokens) }) + DONE,
      whole: (text, cached, _n, cachedTokens) => ({ text, cached, ...extra(cachedTokens) }),
    };
  }
  const chat = req.api === "openai-chat";
  const object = chat ? "chat.completion.chunk" : "text_completion";
  // OpenAI sends `usage: null` on every chunk but the last when include_usage is on
  const chunk = (choice: Record<string, unknown>) => ({
    id: ctx.id,
    object,
    created: ctx.created,
    model: ctx.model,
    choices: [{ index: 0, ...choice }],
    ...(req.includeUsage ? { usage: null } : {}),
  });
  const tokenChoice = chat
    ? (text: string) => ({ delta: { content: text }, logprobs: null, finish_reason: null })
    : (text: string) => ({ text, logprobs: null, finish_reason: null });
  const lastChoice = chat
    ? { delta: {}, logprobs: null, finish_reason: "length" }
    : { text: "", logprobs: null, finish_reason: "length" };
  return {
    streamStart: () =>
      chat ? sse(chunk({ delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null })) : "",
    streamToken: (text) => sse(chunk(tokenChoice(text))),
    streamEnd: (_cached, completionTokens, cachedTokens) => {
      let out = sse(chunk(lastChoice));
      if (req.includeUsage) {
        out += sse({
          id: ctx.id,
          object,
          created: ctx.created,
          model: ctx.model,
          choices: [],
          usage: usage(ctx, completionTokens, cachedTokens),
        });
      }
      return out + DONE;
    },
    whole: (text, _cached, completionTokens, cachedTokens) => ({
      id: ctx.id,
      object: chat ? "chat.completion" : "text_completion",
      created: ctx.created,
      model: ctx.model,
      choices: [
        chat
          ? { index: 0, message: { role: "assistant", content: text }, logprobs: null, finish_reason: "length" }
          : { index: 0, text, logprobs: null, finish_reason: "length" },
      ],
      usage: usage(ctx, completionTokens, cachedTokens),
    }),
  };
}
