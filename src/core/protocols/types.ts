/** What every API adapter provides: a request body, and a pure push decoder of the response. */

export const API_KINDS = ["generate", "openai-completions", "openai-chat"] as const;
export type ApiKind = (typeof API_KINDS)[number];

export interface ChatMessage {
  role: string;
  content: string;
}

export interface RequestSpec {
  /** the prompt as text (chat messages flattened, for the APIs that take a string) */
  prompt: string;
  /** the conversation, when the workload has one; openai-chat sends it as it is */
  messages?: ChatMessage[];
  maxTokens: number;
  stream: boolean;
  model?: string;
  /** merged last into the body (server-specific knobs) */
  extraBody?: Record<string, unknown>;
}

export interface Usage {
  promptTokens?: number;
  completionTokens?: number;
  /** usage.prompt_tokens_details.cached_tokens */
  cachedTokens?: number;
}

/** What a decoder finds in the bytes it is fed, in order. */
export type DecodeEvent =
  /** output text of one event/chunk; `reasoning` is reasoning/thinking text (kept separate) */
  | { type: "delta"; text: string; reasoning: string }
  | { type: "usage"; usage: Usage }
  /** the server says the answer came from its cache */
  | { type: "cached"; cached: boolean }
  /** the server said the stream is complete ([DONE], done:true, or a whole JSON body) */
  | { type: "done" };

/**
 * A push decoder: fed text as it arrives (already UTF-8 decoded with `stream: true`),
 * returns the events complete so far. Throws ProtocolError on a malformed body.
 * `end()` is called once the body is complete; it throws ProtocolError when the
 * body stopped mid-event or before the API's end marker.
 */
export interface ResponseDecoder {
  push(text: string): DecodeEvent[];
  end(): DecodeEvent[];
  /** the body is a stream (SSE or NDJSON), as the decoder found it (by its label or its first bytes) */
  readonly streamed: boolean;
}

export interface Protocol {
  readonly api: ApiKind;
  buildBody(spec: RequestSpec): Record<string, unknown>;
  /** chooses SSE / NDJSON / plain JSON decoding from the response's content-type; `limits` caps what one message may buffer */
  createDecoder(contentType: string, limits?: { maxMessageChars?: number }): ResponseDecoder;
}
