/**
 * The framing shared by every API: a response body is an SSE stream, an NDJSON stream,
 * or one JSON document, chosen by its content-type. This turns pushed text into JSON
 * messages for an API's decoder, and checks how the body ended.
 */
import { ProtocolError } from "../errors.ts";
import { createNdjsonParser, excerpt } from "./ndjson.ts";
import { formatSize } from "../size.ts";
import { createSseParser, type SseEvent } from "./sse.ts";
import type { DecodeEvent, ResponseDecoder } from "./types.ts";
import { isRecord } from "../guards.ts";

export type BodyFraming = "sse" | "ndjson" | "json";

/**
 * The response caps' defaults (README "Response caps"), chosen so that no real LLM answer comes
 * near them: a 128K-token answer streamed as OpenAI chat chunks (~250 bytes a token) is ~32 MB of
 * body; its text alone ~0.5 MB, ~3 MB as JSON with every character escaped.
 * - body: decoded bytes of one response, whatever its framing;
 * - message: characters one message may buffer: an SSE line or event, an NDJSON line, or a whole
 *   non-streamed JSON body (the one framing that must be held whole before it can be parsed).
 */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface DecoderLimits {
  /** most characters of one SSE line/event, NDJSON line or whole JSON body (default DEFAULT_MAX_MESSAGE_BYTES) */
  maxMessageChars?: number;
}

const NDJSON_TYPES = new Set([
  "application/x-ndjson",
  "application/ndjson",
  "application/jsonl",
  "application/x-jsonl",
  "application/jsonlines",
  "application/x-jsonlines",
]);

/** The framing a content-type announces; anything not a stream is decoded as one JSON body. */
export function framingOf(contentType: string): BodyFraming {
  if (contentType === "application/json" || contentType === "application/json; charset=utf-8") return "json"; // most bodies, at no cost
  const mime = (contentType.split(";")[0] ?? "").trim().toLowerCase();
  if (mime === "text/event-stream") return "sse";
  if (NDJSON_TYPES.has(mime)) return "ndjson";
  return "json";
}

/** What an API's decoder does with the messages the framing finds. All may throw ProtocolError. */
export interface MessageHandlers {
  /** the API's name in error messages, e.g. "openai-chat" */
  readonly label: string;
  /** one JSON message of a stream (SSE `data:` or one NDJSON line); `raw` is its text */
  message(value: unknown, raw: string, out: DecodeEvent[]): void;
  /** SSE `data: [DONE]` */
  doneMarker(out: DecodeEvent[]): void;
  /** a whole non-streamed body, once complete */
  whole(text: string, out: DecodeEvent[]): void;
  /** whether the stream already ended properly (its end marker was seen) */
  isDone(): boolean;
  /**
   * The stream ended cleanly between messages but without its end marker: push events
   * (e.g. a `done` this API accepts without a marker) or throw ProtocolError.
   */
  endedWithoutMarker(out: DecodeEvent[]): void;
}

const SSE_PREFIXES = ["data:", "event:", "id:", "retry:", ":"];

/**
 * A body labelled as plain JSON (or not labelled) that is really an event stream, as some
 * proxies send it: decided from its first characters. undefined while too few have arrived.
 */
function sniffSse(buffered: string): boolean | undefined {
  const head = buffered.replace(/^[\uFEFF\s]+/, "");
  if (head === "") return undefined;
  if (SSE_PREFIXES.some((p) => head.startsWith(p))) return true;
  if (SSE_PREFIXES.some((p) => p.startsWith(head))) return undefined;
  return false;
}

export function createFramedDecoder(
  contentType: string,
  h: MessageHandlers,
  limits: DecoderLimits = {},
): ResponseDecoder {
  const maxChars = limits.maxMessageChars ?? DEFAULT_MAX_MESSAGE_BYTES;
  let framing = framingOf(contentType);
  /** a JSON body: everything so far; also the first characters while sniffing */
  let body = "";
  let sniffed = false;
  let out: DecodeEvent[] = [];
  let ended = false;

  const parseJson = (raw: string, what: string): unknown => {
    try {
      return JSON.parse(raw);
    } catch {
      throw new ProtocolError(`${h.label}: ${what} is not valid JSON: ${excerpt(raw)}`);
    }
  };

  const onSseEvent = (e: SseEvent): void => {
    const data = e.data;
    if (e.event === "error") {
      throw new ProtocolError(`${h.label}: the server sent an error event: ${excerpt(data)}`, "server_error");
    }
    const trimmed = data.trim();
    if (trimmed === "") return; // an empty `data:` is a keep-alive, not a message
    if (trimmed === "[DONE]") {
      h.doneMarker(out);
      return;
    }
    h.message(parseJson(data, "stream event"), data, out);
  };

  // each parser is made when the body turns out to need it: a response has one framing, and a
  // request that makes all three pays for two it never uses (measured: ~4% of the client's CPU per request)
  let sseParser: ReturnType<typeof createSseParser> | undefined;
  let ndjsonParser: ReturnType<typeof createNdjsonParser> | undefined;
  const sse = () => (sseParser ??= createSseParser({ onEvent: onSseEvent }, { maxMessageChars: maxChars }));
  const ndjson = () =>
    (ndjsonParser ??= createNdjsonParser({ onValue: (v, line) => h.message(v, line, out) }, maxChars));

  const withLabel = (f: () => void, prefix = ""): void => {
    try {
      f();
    } catch (e) {
      if (e instanceof ProtocolError && !e.message.startsWith(`${h.label}:`)) {
        throw new ProtocolError(`${h.label}: ${prefix}${e.message}`, e.reason);
      }
      throw e;
    }
  };

  const take = (): DecodeEvent[] => {
    const events = out;
    out = [];
    return events;
  };

  function push(text: string): DecodeEvent[] {
    if (ended) throw new Error("decoder: push() after end()");
    try {
      feed(text);
    } catch (e) {
      out = [];
      throw e;
    }
    return take();
  }

  function feed(text: string): void {
    if (framing === "sse") withLabel(() => sse().feed(text));
    else if (framing === "ndjson") withLabel(() => ndjson().feed(text));
    else {
      body += text;
      if (body.length > maxChars) {
        throw new ProtocolError(
          `${h.label}: the JSON body passed ${formatSize(maxChars)} (--max-message) before it ended: no real answer is this long`,
          "max_message",
        );
      }
      if (!sniffed) {
        const isSse = sniffSse(body);
        if (isSse !== undefined) {
          sniffed = true;
          if (isSse) {
            framing = "sse";
            const buffered = body;
            body = "";
            withLabel(() => sse().feed(buffered));
          }
        }
      }
    }
  }

  function end(): DecodeEvent[] {
    if (ended) throw new Error("decoder: end() called twice");
    ended = true;
    if (framing === "json") {
      h.whole(body, out);
      return take();
    }
    let cut: boolean;
    if (framing === "sse") {
      cut = sse().flush();
    } else {
      // a last line without a line ending is a complete message, unless it is not JSON
      withLabel(() => ndjson().flush(), ndjson().pending() ? "stream ended mid-line: " : "");
      cut = false;
    }
    if (!h.isDone()) {
      if (cut) {
        throw new ProtocolError(
          `${h.label}: stream ended mid-event (an event was not terminated by a blank line) and before its end marker`,
        );
      }
      h.endedWithoutMarker(out);
    }
    return take();
  }

  return {
    push,
    end,
    get streamed() {
      return framing !== "json";
    },
  };
}

/** The JSON of a non-streamed body, or a ProtocolError naming what was expected. */
export function parseWholeJson(label: string, text: string, expected: string): unknown {
  if (text.trim() === "") throw new ProtocolError(`${label}: empty response body; expected ${expected}`);
  try {
    return JSON.parse(text);
  } catch {
    throw new ProtocolError(`${label}: response body is not valid JSON; expected ${expected}; got: ${excerpt(text)}`);
  }
}

/**
 * The message of an API error object (`{"error": {"message": "..."}}`, `{"error": "..."}`,
 * `{"object": "error", "message": "..."}`),
 * or undefined when `v` carries no error.
 */
export function errorMessageOf(v: Record<string, unknown>): string | undefined {
  // vLLM's and FastChat's error body: {"object": "error", "message": "...", ...}
  if (v.object === "error") return typeof v.message === "string" ? v.message : JSON.stringify(v);
  const err = v.error;
  if (err === undefined || err === null || err === false) return undefined;
  if (typeof err === "string") return err;
  if (isRecord(err)) {
    const msg = err.message;
    if (typeof msg === "string") return msg;
  }
  return JSON.stringify(err);
}

/** A message or body that carries an API error: a ProtocolError (reason `server_error`) with the server's own words. */
export function throwIfError(label: string, v: Record<string, unknown>): void {
  const err = errorMessageOf(v);
  if (err !== undefined)
    throw new ProtocolError(`${label}: the server reported an error: ${excerpt(err)}`, "server_error");
}
