/**
 * OpenAI-compatible `/v1/completions` and `/v1/chat/completions` (SPEC §3), as vLLM, SGLang,
 * llama.cpp, TGI, Ollama's /v1 and the OpenAI API itself speak them; plus Ollama's native
 * NDJSON chunks (`{"message": {"content"}, "done"}`, `{"response", "done"}`).
 *
 * A delta event is emitted only for a chunk that carries output text or reasoning: role-only
 * and empty chunks are not token-bearing. `usage` may arrive on several chunks (vLLM's
 * continuous usage stats); the last one wins.
 */
import { ProtocolError } from "../errors.ts";
import { createFramedDecoder, type DecoderLimits, parseWholeJson, throwIfError } from "./framing.ts";
import { isRecord } from "../guards.ts";
import { excerpt } from "./ndjson.ts";
import type { ApiKind, DecodeEvent, Protocol, RequestSpec, ResponseDecoder, Usage } from "./types.ts";

type OpenAiApi = Extract<ApiKind, "openai-completions" | "openai-chat">;

const EXPECTED: Record<OpenAiApi, string> = {
  "openai-completions": '{"choices": [{"text": str}], "usage": {...}}',
  "openai-chat": '{"choices": [{"message": {"content": str}}], "usage": {...}}',
};

/**
 * The most tokens a usage count may claim: ten times the largest context window of any model (10M).
 * Not a count of bytes received: hidden reasoning tokens (OpenAI's o-series) are counted, never sent.
 */
export const MAX_USAGE_TOKENS = 100_000_000;

/** A text field: "" when absent or null; a ProtocolError when it is there but not a string (`"text": 42`). */
function textField(api: OpenAiApi, v: unknown, path: string): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v;
  throw new ProtocolError(`${api}: ${path} is ${excerpt(JSON.stringify(v) ?? String(v))}, not a string`);
}

/**
 * A token count: undefined when absent or null; a ProtocolError unless it is a whole number ≥ 0
 * (−5, 1e308, 12.5 and "12" are not counts: taken as they are they would make throughput negative or
 * infinite, and the result file unreadable).
 */
function count(api: OpenAiApi, v: unknown, path: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) {
    if (v > MAX_USAGE_TOKENS)
      throw new ProtocolError(
        `${api}: ${path} is ${v}, more tokens than any model's context holds (at most ${MAX_USAGE_TOKENS.toExponential()} is believed)`,
        "usage",
      );
    return v;
  }
  throw new ProtocolError(
    `${api}: ${path} is ${typeof v === "number" ? String(v) : excerpt(JSON.stringify(v) ?? String(v))}, not a count of tokens (a whole number ≥ 0)`,
    "usage",
  );
}

/** The first choice (index 0) of a chunk, if any. */
function firstChoice(v: Record<string, unknown>): Record<string, unknown> | undefined {
  const choices = v.choices;
  if (!Array.isArray(choices)) return undefined;
  for (const c of choices) {
    if (isRecord(c) && (c.index === undefined || c.index === 0)) return c;
  }
  return undefined;
}

/** `choices` must be a list of objects when it is there at all. */
function checkChoices(api: OpenAiApi, v: Record<string, unknown>, raw: string): void {
  const choices = v.choices;
  if (choices === undefined) return;
  if (!Array.isArray(choices) || !choices.every(isRecord)) {
    throw new ProtocolError(
      `${api}: "choices" is not a list of objects; expected ${EXPECTED[api]}; got: ${excerpt(raw)}`,
    );
  }
}

/** Something a streamed chunk may carry: choices, usage, or one of Ollama's native shapes. */
function isChunkShape(v: Record<string, unknown>): boolean {
  return (
    Array.isArray(v.choices) ||
    isRecord(v.usage) ||
    isRecord(v.message) ||
    typeof v.response === "string" ||
    typeof v.done === "boolean"
  );
}

interface Piece {
  text: string;
  reasoning: string;
}

/** Output and reasoning text of one chunk or body, in whichever shape the server used. */
function pieceOf(api: OpenAiApi, v: Record<string, unknown>): Piece {
  const choice = firstChoice(v);
  if (choice !== undefined) {
    // streamed chat: choice.delta; whole chat body: choice.message; completions: choice.text
    const key = isRecord(choice.delta) ? "delta" : isRecord(choice.message) ? "message" : undefined;
    const msg = key === undefined ? undefined : (choice[key] as Record<string, unknown>);
    const chatText = msg === undefined ? "" : textField(api, msg.content, `choices[0].${key}.content`);
    const reasoning =
      msg === undefined
        ? ""
        : textField(api, msg.reasoning_content, `choices[0].${key}.reasoning_content`) ||
          textField(api, msg.reasoning, `choices[0].${key}.reasoning`);
    const choiceText = textField(api, choice.text, "choices[0].text");
    const text = api === "openai-chat" ? chatText || choiceText : choiceText || chatText;
    return { text, reasoning };
  }
  // Ollama native: /api/chat → {"message": {"content", "thinking"}}, /api/generate → {"response", "thinking"}
  if (isRecord(v.message)) {
    return {
      text: textField(api, v.message.content, "message.content"),
      reasoning: textField(api, v.message.thinking, "message.thinking"),
    };
  }
  return { text: textField(api, v.response, "response"), reasoning: textField(api, v.thinking, "thinking") };
}

/** Usage in OpenAI's shape, or Ollama's counts on its last chunk. */
function usageOf(api: OpenAiApi, v: Record<string, unknown>): Usage | undefined {
  const u = v.usage;
  if (isRecord(u)) {
    const usage: Usage = {};
    const prompt = count(api, u.prompt_tokens, "usage.prompt_tokens");
    const completion = count(api, u.completion_tokens, "usage.completion_tokens");
    const details = u.prompt_tokens_details;
    const cached = isRecord(details)
      ? count(api, details.cached_tokens, "usage.prompt_tokens_details.cached_tokens")
      : undefined;
    if (prompt !== undefined) usage.promptTokens = prompt;
    if (completion !== undefined) usage.completionTokens = completion;
    if (cached !== undefined) usage.cachedTokens = cached;
    return usage;
  }
  if (v.done === true && (v.eval_count !== undefined || v.prompt_eval_count !== undefined)) {
    const usage: Usage = {};
    const prompt = count(api, v.prompt_eval_count, "prompt_eval_count");
    const completion = count(api, v.eval_count, "eval_count");
    if (prompt !== undefined) usage.promptTokens = prompt;
    if (completion !== undefined) usage.completionTokens = completion;
    return usage;
  }
  return undefined;
}

function pushUsage(api: OpenAiApi, v: Record<string, unknown>, out: DecodeEvent[]): void {
  const usage = usageOf(api, v);
  if (usage === undefined) return;
  out.push({ type: "usage", usage });
  if (usage.cachedTokens !== undefined) out.push({ type: "cached", cached: usage.cachedTokens > 0 });
}

function createOpenAiDecoder(api: OpenAiApi, contentType: string, limits?: DecoderLimits): ResponseDecoder {
  let done = false;
  let finished = false;

  const finish = (out: DecodeEvent[]): void => {
    if (!done) out.push({ type: "done" });
    done = true;
  };

  return createFramedDecoder(
    contentType,
    {
      label: api,
      message(value, raw, out) {
        if (!isRecord(value)) {
          throw new ProtocolError(`${api}: stream chunk is not a JSON object: ${excerpt(raw)}`);
        }
        throwIfError(api, value);
        checkChoices(api, value, raw);
        if (!isChunkShape(value)) {
          throw new ProtocolError(
            `${api}: stream chunk has no "choices" (nor usage); expected ${EXPECTED[api]} chunks; got: ${excerpt(raw)}`,
          );
        }
        const { text, reasoning } = pieceOf(api, value);
        if (text !== "" || reasoning !== "") {
          if (done) throw new ProtocolError(`${api}: text after the end of the stream: ${excerpt(raw)}`);
          out.push({ type: "delta", text, reasoning });
        }
        const choice = firstChoice(value);
        if (choice !== undefined && typeof choice.finish_reason === "string" && choice.finish_reason !== "") {
          finished = true;
        }
        pushUsage(api, value, out);
        if (value.done === true) finish(out); // Ollama's last NDJSON chunk
      },
      doneMarker: finish,
      whole(text, out) {
        const value = parseWholeJson(api, text, EXPECTED[api]);
        if (!isRecord(value)) {
          throw new ProtocolError(
            `${api}: response is not a JSON object; expected ${EXPECTED[api]}; got: ${excerpt(text)}`,
          );
        }
        throwIfError(api, value);
        checkChoices(api, value, text);
        const hasOllamaShape = isRecord(value.message) || typeof value.response === "string";
        if (firstChoice(value) === undefined && !hasOllamaShape) {
          throw new ProtocolError(`${api}: response has no choices; expected ${EXPECTED[api]}; got: ${excerpt(text)}`);
        }
        const piece = pieceOf(api, value);
        if (piece.text !== "" || piece.reasoning !== "") out.push({ type: "delta", ...piece });
        pushUsage(api, value, out);
        finish(out);
      },
      isDone: () => done,
      endedWithoutMarker(out) {
        // Some servers close the stream after the chunk with finish_reason and send no [DONE].
        if (finished) {
          finish(out);
          return;
        }
        throw new ProtocolError(`${api}: stream ended before [DONE] and without a finish_reason`);
      },
    },
    limits,
  );
}

function maxTokensFields(api: OpenAiApi, maxTokens: number): Record<string, unknown> {
  return api === "openai-chat"
    ? { max_tokens: maxTokens, max_completion_tokens: maxTokens }
    : { max_tokens: maxTokens };
}

function buildOpenAiBody(api: OpenAiApi, spec: RequestSpec): Record<string, unknown> {
  const input =
    api === "openai-chat"
      ? { messages: spec.messages ?? [{ role: "user", content: spec.prompt }] }
      : { prompt: spec.prompt };
  return {
    ...(spec.model !== undefined ? { model: spec.model } : {}),
    ...input,
    ...maxTokensFields(api, spec.maxTokens),
    temperature: 0,
    stream: spec.stream,
    ...(spec.stream ? { stream_options: { include_usage: true } } : {}),
    ...spec.extraBody,
  };
}

export const openaiCompletionsProtocol: Protocol = {
  api: "openai-completions",
  buildBody: (spec) => buildOpenAiBody("openai-completions", spec),
  createDecoder: (contentType, limits) => createOpenAiDecoder("openai-completions", contentType, limits),
};

export const openaiChatProtocol: Protocol = {
  api: "openai-chat",
  buildBody: (spec) => buildOpenAiBody("openai-chat", spec),
  createDecoder: (contentType, limits) => createOpenAiDecoder("openai-chat", contentType, limits),
};
