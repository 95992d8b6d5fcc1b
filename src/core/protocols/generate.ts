/**
 * The generate API (SPEC §3): `POST {"prompt", "max_tokens", "temperature": 0}` →
 * `{"text": str, "cached": bool}`; with `"stream": true`, SSE events `data: {"text": "<delta>"}`,
 * then `data: {"done": true, "cached": bool}`, then `data: [DONE]` (or the same objects as NDJSON).
 * The server reports no usage: tokens are counted on the client. A `cached_tokens` count next to
 * `cached` (llmbench serve --prefix-cache writes one) is read as the usage's cachedTokens.
 */
import { ProtocolError } from "../errors.ts";
import { createFramedDecoder, type DecoderLimits, parseWholeJson, throwIfError } from "./framing.ts";
import { isRecord } from "../guards.ts";
import { excerpt } from "./ndjson.ts";
import type { DecodeEvent, Protocol, RequestSpec, ResponseDecoder } from "./types.ts";

const LABEL = "generate";
export const GENERATE_SCHEMA = '{"text": str, "cached": bool}';
const STREAM_SCHEMA = '{"text": str} events, then {"done": true, "cached": bool} and/or [DONE]';

function cachedOf(v: Record<string, unknown>, raw: string, expected: string): boolean | undefined {
  const c = v.cached;
  if (c === undefined || c === null) return undefined;
  if (typeof c === "boolean") return c;
  throw new ProtocolError(`${LABEL}: "cached" is not a boolean; expected ${expected}; got: ${excerpt(raw)}`);
}

/** `cached_tokens` next to `cached`, when the server sends it: prompt tokens it served from a prefix cache. */
function pushCachedTokens(v: Record<string, unknown>, raw: string, expected: string, out: DecodeEvent[]): void {
  const c = v.cached_tokens;
  if (c === undefined || c === null) return;
  if (typeof c !== "number" || !Number.isInteger(c) || c < 0) {
    throw new ProtocolError(
      `${LABEL}: "cached_tokens" is ${JSON.stringify(c)}, not a count; expected ${expected} (cached_tokens optional); got: ${excerpt(raw)}`,
    );
  }
  out.push({ type: "usage", usage: { cachedTokens: c } });
}

function createGenerateDecoder(contentType: string, limits?: DecoderLimits): ResponseDecoder {
  let done = false;

  const finish = (out: DecodeEvent[]): void => {
    if (!done) out.push({ type: "done" });
    done = true;
  };

  return createFramedDecoder(
    contentType,
    {
      label: LABEL,
      message(value, raw, out) {
        if (!isRecord(value)) {
          throw new ProtocolError(
            `${LABEL}: stream message is not an object; expected ${STREAM_SCHEMA}; got: ${excerpt(raw)}`,
          );
        }
        throwIfError(LABEL, value);
        const { text } = value;
        const isEnd = value.done === true;
        if (text === undefined && !isEnd) {
          if (value.done === false) return; // a progress message with nothing in it
          throw new ProtocolError(
            `${LABEL}: stream message has neither "text" nor "done"; expected ${STREAM_SCHEMA}; got: ${excerpt(raw)}`,
          );
        }
        if (text !== undefined && typeof text !== "string") {
          throw new ProtocolError(`${LABEL}: "text" is not a string; expected ${STREAM_SCHEMA}; got: ${excerpt(raw)}`);
        }
        if (done && text !== undefined && text !== "") {
          throw new ProtocolError(`${LABEL}: text after the stream's done marker: ${excerpt(raw)}`);
        }
        if (text) out.push({ type: "delta", text, reasoning: "" });
        if (isEnd) {
          const cached = cachedOf(value, raw, STREAM_SCHEMA);
          if (cached !== undefined) out.push({ type: "cached", cached });
          pushCachedTokens(value, raw, STREAM_SCHEMA, out);
          finish(out);
        }
      },
      doneMarker: finish,
      whole(text, out) {
        const value = parseWholeJson(LABEL, text, GENERATE_SCHEMA);
        if (isRecord(value)) throwIfError(LABEL, value);
        if (!isRecord(value) || typeof value.text !== "string") {
          throw new ProtocolError(
            `${LABEL}: response has no string "text"; expected ${GENERATE_SCHEMA}; got: ${excerpt(text)}`,
          );
        }
        if (value.text !== "") out.push({ type: "delta", text: value.text, reasoning: "" });
        const cached = cachedOf(value, text, GENERATE_SCHEMA);
        if (cached !== undefined) out.push({ type: "cached", cached });
        pushCachedTokens(value, text, GENERATE_SCHEMA, out);
        finish(out);
      },
      isDone: () => done,
      endedWithoutMarker() {
        throw new ProtocolError(
          `${LABEL}: stream ended before its done marker (data: {"done": true, ...} or data: [DONE])`,
        );
      },
    },
    limits,
  );
}

export const generateProtocol: Protocol = {
  api: "generate",
  buildBody(spec: RequestSpec): Record<string, unknown> {
    return {
      prompt: spec.prompt,
      max_tokens: spec.maxTokens,
      temperature: 0,
      ...(spec.stream ? { stream: true } : {}),
      ...spec.extraBody,
    };
  },
  createDecoder: createGenerateDecoder,
};
