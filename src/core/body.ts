/**
 * What one response body gives, from its text as it arrived: token times, usage, the cache signal,
 * then the output counted with the run's tokenizer. Pure (the tokenizer must be loaded, the clock is
 * passed in); io/http.ts feeds it each chunk with the time it was read.
 */
import type { DecodeEvent, Protocol, Usage } from "./protocols/types.ts";
import { countsAtOnce, countTokens, countTokensPaced, type Pacing, type TokenizerId } from "./tokenizer.ts";

export interface Decoded {
  /** one time per token-bearing event, from the arrival time of the piece that completed it */
  tokenTimes: number[];
  streamed: boolean;
  usage: Usage | null;
  cached: boolean | null;
  outputTokensCounted: number;
  reasoningTokensCounted: number;
  tokensEstimated: boolean;
}

export interface BodyDecoder {
  /** text as it arrived at time `t`; throws ProtocolError when the body breaks its API's rules */
  push(text: string, t: number): void;
  /** the body is complete; throws ProtocolError (stopped mid-event, no end marker, …) */
  end(t: number): void;
  readonly streamed: boolean;
  readonly tokenTimes: number[];
  readonly text: string;
  readonly reasoning: string;
  readonly usage: Usage | null;
  readonly cached: boolean | null;
}

/** A body of `protocol`'s API with this content-type; `maxMessageChars` is --max-message. */
export function createBodyDecoder(protocol: Protocol, contentType: string, maxMessageChars: number): BodyDecoder {
  const decoder = protocol.createDecoder(contentType, { maxMessageChars });
  const tokenTimes: number[] = [];
  let text = "";
  let reasoning = "";
  let usage: Usage | null = null;
  let cached: boolean | null = null;
  const apply = (events: DecodeEvent[], t: number) => {
    for (const e of events) {
      if (e.type === "delta") {
        if (e.text === "" && e.reasoning === "") continue;
        tokenTimes.push(t);
        text += e.text;
        reasoning += e.reasoning;
      } else if (e.type === "usage") usage = { ...usage, ...e.usage };
      else if (e.type === "cached") cached = e.cached;
    }
  };
  return {
    push: (piece, t) => apply(decoder.push(piece), t),
    end: (t) => apply(decoder.end(), t),
    get streamed() {
      return decoder.streamed;
    },
    tokenTimes,
    get text() {
      return text;
    },
    get reasoning() {
      return reasoning;
    },
    get usage() {
      return usage;
    },
    get cached() {
      return cached;
    },
  };
}

/**
 * The record's part of a decoded body, its output counted (paced: see countTokensPaced) — also when the
 * body broke off. A short answer (the usual one) is counted at once, without a promise: most requests
 * never pay for the pacing. `countText` false counts only the reasoning (the server's usage gave the
 * length, and this answer is not in the sample compared with it).
 */
export function finishBody(
  body: BodyDecoder,
  tokenizer: TokenizerId,
  pacing: Pacing,
  countText = true,
): Decoded | Promise<Decoded> {
  const text = countText ? body.text : "";
  if (countsAtOnce(text, tokenizer) && countsAtOnce(body.reasoning, tokenizer)) {
    const reasoning = body.reasoning ? countTokens(body.reasoning, tokenizer) : 0;
    return decoded(body, (text ? countTokens(text, tokenizer) : 0) + reasoning, reasoning, false);
  }
  return finishPaced(body, text, tokenizer, pacing);
}

async function finishPaced(
  body: BodyDecoder,
  output: string,
  tokenizer: TokenizerId,
  pacing: Pacing,
): Promise<Decoded> {
  const reasoning = body.reasoning
    ? await countTokensPaced(body.reasoning, tokenizer, pacing)
    : { tokens: 0, estimated: false };
  const text = await countTokensPaced(output, tokenizer, pacing);
  return decoded(body, text.tokens + reasoning.tokens, reasoning.tokens, text.estimated || reasoning.estimated);
}

function decoded(body: BodyDecoder, output: number, reasoning: number, estimated: boolean): Decoded {
  return {
    tokenTimes: body.tokenTimes,
    streamed: body.streamed,
    usage: body.usage,
    cached: body.cached,
    outputTokensCounted: output,
    reasoningTokensCounted: reasoning,
    tokensEstimated: estimated,
  };
}
