import { describe, expect, test } from "bun:test";
import { ProtocolError } from "../../../src/core/errors.ts";
import { openaiChatProtocol, openaiCompletionsProtocol } from "../../../src/core/protocols/openai.ts";
import type { DecodeEvent, Protocol } from "../../../src/core/protocols/types.ts";
import { deltas, fixtureBytes, joinedText, runDecoder, SEEDS, splitBytes, utf8 } from "./helpers.ts";

const SSE = "text/event-stream; charset=utf-8";
const NDJSON = "application/x-ndjson";
const JSON_CT = "application/json";

const decode = (p: Protocol, contentType: string, body: string): DecodeEvent[] =>
  runDecoder(p.createDecoder(contentType), [utf8(body)]);
const sseOf = (...datas: string[]): string => datas.map((d) => `data: ${d}\n\n`).join("");
const delta = (text: string, reasoning = ""): DecodeEvent => ({ type: "delta", text, reasoning });
const chatChunk = (delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason: finish }], ...extra });
const complChunk = (text: string, finish: string | null = null, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ object: "text_completion", choices: [{ index: 0, text, finish_reason: finish }], ...extra });

/** Decodes the whole body in one piece, then split at 200 seeded random boundaries: same events. */
function decodeEverySplit(p: Protocol, contentType: string, bytes: Uint8Array): DecodeEvent[] {
  const whole = runDecoder(p.createDecoder(contentType), [bytes]);
  for (const seed of SEEDS) {
    expect(runDecoder(p.createDecoder(contentType), splitBytes(bytes, seed))).toEqual(whole);
  }
  return whole;
}

describe("openai: request bodies", () => {
  test("completions, streamed", () => {
    const body = openaiCompletionsProtocol.buildBody({ prompt: "hi", maxTokens: 12, stream: true, model: "m" });
    expect(body).toEqual({
      model: "m",
      prompt: "hi",
      max_tokens: 12,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(Object.keys(body)[0]).toBe("model");
  });

  test("completions, not streamed, no model", () => {
    expect(openaiCompletionsProtocol.buildBody({ prompt: "hi", maxTokens: 12, stream: false })).toEqual({
      prompt: "hi",
      max_tokens: 12,
      temperature: 0,
      stream: false,
    });
  });

  test("chat, streamed, extraBody merged last (shallow)", () => {
    const body = openaiChatProtocol.buildBody({
      prompt: "hi",
      maxTokens: 8,
      stream: true,
      model: "m",
      extraBody: { stream_options: { include_usage: true, continuous_usage_stats: true }, ignore_eos: true },
    });
    expect(body).toEqual({
      model: "m",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 8,
      max_completion_tokens: 8,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true, continuous_usage_stats: true },
      ignore_eos: true,
    });
    expect("model" in openaiChatProtocol.buildBody({ prompt: "x", maxTokens: 1, stream: false })).toBe(false);
  });

  test("api names", () => {
    expect(openaiCompletionsProtocol.api).toBe("openai-completions");
    expect(openaiChatProtocol.api).toBe("openai-chat");
  });
});

describe("openai: recorded streams, split at 200 seeded random boundaries", () => {
  test("llama.cpp /v1/completions stream", () => {
    const events = decodeEverySplit(openaiCompletionsProtocol, SSE, fixtureBytes("llamacpp-completions-stream.sse"));
    expect(deltas(events).map((d) => d.text)).toEqual([
      "abor",
      "configuration",
      " verlor",
      " сло",
      "posed",
      " oc",
      "bage",
      " optical",
      " título",
      " fonts",
      " Wik",
      "ió",
    ]);
    expect(joinedText(events)).toBe("aborconfiguration verlor слоposed ocbage optical título fonts Wikió");
    // the last chunk (empty text, finish_reason, usage) is not token-bearing
    expect(events.slice(12)).toEqual([
      { type: "usage", usage: { promptTokens: 5, completionTokens: 12 } },
      { type: "done" },
    ]);
  });

  test("llama.cpp /v1/chat/completions stream", () => {
    const events = decodeEverySplit(openaiChatProtocol, SSE, fixtureBytes("llamacpp-chat-stream.sse"));
    expect(deltas(events)).toEqual(
      ["phen", " you", "setState", "题", "rig", "reso", " tell", " puesto", "try", "reland", " Time", "fasst"].map(
        (text) => ({
          text,
          reasoning: "",
        }),
      ),
    );
    expect(events.slice(12)).toEqual([
      { type: "usage", usage: { promptTokens: 33, completionTokens: 12 } },
      { type: "done" },
    ]);
  });

  test("AIPerf mock chat stream: 8 deltas, no usage", () => {
    const events = decodeEverySplit(openaiChatProtocol, SSE, fixtureBytes("aiperf-mock-chat-stream.sse"));
    expect(events).toEqual([
      ...["one", " two", " three", " four", " five", " six", " seven", " eight"].map((t) => delta(t)),
      { type: "done" },
    ]);
  });

  test("llama.cpp /v1/completions not streamed: the whole text as one delta", () => {
    const bytes = fixtureBytes("llamacpp-completions.json");
    const events = decodeEverySplit(openaiCompletionsProtocol, "application/json; charset=utf-8", bytes);
    expect(events).toEqual([
      delta("aborconfiguration verlor слоposed ocbage optical título fonts Wikió"),
      { type: "usage", usage: { promptTokens: 5, completionTokens: 12 } },
      { type: "done" },
    ]);
  });

  test("the same recorded stream with CRLF line endings", () => {
    const text = new TextDecoder().decode(fixtureBytes("llamacpp-chat-stream.sse"));
    const lf = runDecoder(openaiChatProtocol.createDecoder(SSE), [utf8(text)]);
    expect(decodeEverySplit(openaiChatProtocol, SSE, utf8(text.replaceAll("\n", "\r\n")))).toEqual(lf);
  });
});

describe("openai: streamed chunks", () => {
  test("role-only, empty and null-content chunks are not token-bearing", () => {
    const body = sseOf(
      chatChunk({ role: "assistant" }),
      chatChunk({ role: "assistant", content: "" }),
      chatChunk({ content: null }),
      chatChunk({ content: "Hi" }),
      chatChunk({}, "stop"),
      "[DONE]",
    );
    expect(decode(openaiChatProtocol, SSE, body)).toEqual([delta("Hi"), { type: "done" }]);
  });

  test("reasoning_content and reasoning are reasoning, kept apart from text", () => {
    const body = sseOf(
      chatChunk({ reasoning_content: "think" }),
      chatChunk({ reasoning: " more", content: null }),
      chatChunk({ content: "answer" }),
      "[DONE]",
    );
    expect(decode(openaiChatProtocol, SSE, body)).toEqual([
      delta("", "think"),
      delta("", " more"),
      delta("answer"),
      { type: "done" },
    ]);
  });

  test("only choice index 0 is read", () => {
    const chunk = JSON.stringify({
      choices: [
        { index: 1, text: "other" },
        { index: 0, text: "mine" },
      ],
    });
    expect(decode(openaiCompletionsProtocol, SSE, sseOf(chunk, "[DONE]"))).toEqual([delta("mine"), { type: "done" }]);
  });

  test("usage in an OpenAI-style usage-only last chunk (choices: []) with cached tokens", () => {
    const body = sseOf(
      complChunk("a"),
      complChunk("b", "length"),
      JSON.stringify({
        choices: [],
        usage: {
          prompt_tokens: 100,
          completion_tokens: 2,
          total_tokens: 102,
          prompt_tokens_details: { cached_tokens: 64 },
        },
      }),
      "[DONE]",
    );
    expect(decodeEverySplit(openaiCompletionsProtocol, SSE, utf8(body))).toEqual([
      delta("a"),
      delta("b"),
      { type: "usage", usage: { promptTokens: 100, completionTokens: 2, cachedTokens: 64 } },
      { type: "cached", cached: true },
      { type: "done" },
    ]);
  });

  test("usage on the last chunk with choices and finish_reason; cached_tokens 0 → cached false", () => {
    const usage = { prompt_tokens: 7, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 0 } };
    const body = sseOf(chatChunk({ content: "x" }, "stop", { usage }), "[DONE]");
    expect(decode(openaiChatProtocol, SSE, body)).toEqual([
      delta("x"),
      { type: "usage", usage: { promptTokens: 7, completionTokens: 1, cachedTokens: 0 } },
      { type: "cached", cached: false },
      { type: "done" },
    ]);
  });

  test("no usage at all, or usage: null on every chunk (vLLM), gives no usage event", () => {
    const body = sseOf(
      chatChunk({ content: "x" }, null, { usage: null }),
      chatChunk({}, "stop", { usage: null }),
      "[DONE]",
    );
    expect(decode(openaiChatProtocol, SSE, body)).toEqual([delta("x"), { type: "done" }]);
  });

  test("usage on every chunk (continuous usage stats): one usage event each, the last one wins", () => {
    const body = sseOf(
      chatChunk({ content: "a" }, null, { usage: { prompt_tokens: 3, completion_tokens: 1 } }),
      chatChunk({ content: "b" }, "stop", { usage: { prompt_tokens: 3, completion_tokens: 2 } }),
      "[DONE]",
    );
    expect(decode(openaiChatProtocol, SSE, body)).toEqual([
      delta("a"),
      { type: "usage", usage: { promptTokens: 3, completionTokens: 1 } },
      delta("b"),
      { type: "usage", usage: { promptTokens: 3, completionTokens: 2 } },
      { type: "done" },
    ]);
  });

  test("unusual Unicode: escaped and raw U+2028/U+2029, surrogate escapes, NUL, RTL marks, ZWJ emoji", () => {
    const escaped =
      '{"choices":[{"index":0,"delta":{"content":"\\u2028\\u2029|\\ud83d\\ude00|\\ud83d|\\u0000|\\u200f\\u202e"}}]}';
    const raw = '{"choices":[{"index":0,"delta":{"content":"\u2028\u2029|😀|\u200F|👩🏽‍💻 👨‍👩‍👧‍👦 🏳️‍🌈|עברית"}}]}';
    const body = sseOf(escaped, raw, "[DONE]");
    const events = decodeEverySplit(openaiChatProtocol, SSE, utf8(body));
    expect(deltas(events).map((d) => d.text)).toEqual([
      "\u2028\u2029|😀|\ud83d|\0|\u200F\u202E",
      "\u2028\u2029|😀|\u200F|👩🏽‍💻 👨‍👩‍👧‍👦 🏳️‍🌈|עברית",
    ]);
  });

  test("keep-alive comments, event/id fields and CR line endings around chunks", () => {
    const body = `: ping\r\rid: 1\revent: message\rdata: ${complChunk("a")}\r\r: ping\r\rdata: [DONE]\r\r`;
    expect(decodeEverySplit(openaiCompletionsProtocol, SSE, utf8(body))).toEqual([delta("a"), { type: "done" }]);
  });

  test("multi-line data: a JSON chunk split over several data: lines", () => {
    const body = `data: {"choices":[{"index":0,\ndata: "text":"a\\nb"}]}\n\ndata: [DONE]\n\n`;
    expect(decode(openaiCompletionsProtocol, SSE, body)).toEqual([delta("a\nb"), { type: "done" }]);
  });

  test("events are returned by the push() that completes them", () => {
    const d = openaiChatProtocol.createDecoder(SSE);
    expect(d.push(`data: ${chatChunk({ content: "a" })}\r`)).toEqual([]);
    expect(d.push("\n\r")).toEqual([delta("a")]);
    expect(d.push("\ndata: [DONE]\r\n\r\n")).toEqual([{ type: "done" }]);
    expect(d.end()).toEqual([]);
  });
});

describe("openai: end of stream", () => {
  test("a finish_reason but no [DONE] is accepted (some servers)", () => {
    const body = sseOf(chatChunk({ content: "a" }), chatChunk({}, "stop"));
    expect(decode(openaiChatProtocol, SSE, body)).toEqual([delta("a"), { type: "done" }]);
    const withUsageAfter = sseOf(
      complChunk("a", "length"),
      JSON.stringify({ choices: [], usage: { completion_tokens: 1 } }),
    );
    expect(decode(openaiCompletionsProtocol, SSE, withUsageAfter)).toEqual([
      delta("a"),
      { type: "usage", usage: { completionTokens: 1 } },
      { type: "done" },
    ]);
  });

  test("neither finish_reason nor [DONE]: ProtocolError at end()", () => {
    const d = openaiChatProtocol.createDecoder(SSE);
    expect(d.push(sseOf(chatChunk({ content: "a" })))).toEqual([delta("a")]);
    expect(() => d.end()).toThrow(
      new ProtocolError("openai-chat: stream ended before [DONE] and without a finish_reason"),
    );
  });

  test("stream cut mid-event: ProtocolError at end()", () => {
    expect(() =>
      decode(openaiChatProtocol, SSE, `${sseOf(chatChunk({ content: "a" }))}data: ${chatChunk({ content: "b" })}\n`),
    ).toThrow(/stream ended mid-event/);
    expect(() => decode(openaiChatProtocol, SSE, `${sseOf(chatChunk({ content: "a" }))}data: {"choi`)).toThrow(
      ProtocolError,
    );
    // every cut of a recorded stream is an error, except at a blank line after the finish_reason chunk
    const bytes = fixtureBytes("aiperf-mock-chat-stream.sse");
    const text = new TextDecoder().decode(bytes);
    const finishEventEnd = text.indexOf("\n\n", text.indexOf('"finish_reason": "stop"')) + 2;
    let accepted = 0;
    for (let cut = 0; cut < bytes.length; cut++) {
      const run = () => runDecoder(openaiChatProtocol.createDecoder(SSE), [bytes.subarray(0, cut)]);
      const prefix = new TextDecoder().decode(bytes.subarray(0, cut));
      if (cut >= finishEventEnd && prefix.endsWith("\n\n")) {
        expect(run().at(-1)).toEqual({ type: "done" });
        accepted++;
      } else {
        expect(run).toThrow(ProtocolError);
      }
    }
    expect(accepted).toBe(1);
  });

  test("bad JSON in an event: ProtocolError quoting it", () => {
    expect(() => decode(openaiChatProtocol, SSE, sseOf('{"choices": [', "[DONE]"))).toThrow(
      'openai-chat: stream event is not valid JSON: {"choices": [',
    );
    expect(() => decode(openaiChatProtocol, SSE, sseOf('"just a string"', "[DONE]"))).toThrow(ProtocolError);
    // raw NUL is not allowed inside a JSON string
    expect(() => decode(openaiChatProtocol, SSE, sseOf('{"choices":[{"delta":{"content":"\0"}}]}', "[DONE]"))).toThrow(
      ProtocolError,
    );
  });

  test("an error object in a chunk: ProtocolError with its message", () => {
    const err = JSON.stringify({ error: { message: "CUDA out of memory", type: "InternalServerError", code: 500 } });
    expect(() => decode(openaiChatProtocol, SSE, sseOf(chatChunk({ content: "a" }), err, "[DONE]"))).toThrow(
      "openai-chat: the server reported an error: CUDA out of memory",
    );
    expect(() => decode(openaiCompletionsProtocol, SSE, sseOf('{"error": "Input validation error"}'))).toThrow(
      "Input validation error",
    );
    expect(() => decode(openaiChatProtocol, SSE, "event: error\ndata: overloaded\n\n")).toThrow("overloaded");
  });

  test("text after [DONE]: ProtocolError", () => {
    expect(() => decode(openaiChatProtocol, SSE, sseOf("[DONE]", chatChunk({ content: "late" })))).toThrow(
      ProtocolError,
    );
  });
});

describe("openai: not-streamed JSON bodies", () => {
  test("chat: message.content and reasoning_content, usage with cached tokens", () => {
    const body = JSON.stringify({
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Hello!", reasoning_content: "hmm" },
          finish_reason: "stop",
        },
      ],
      usage: { prompt_tokens: 9, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 8 } },
    });
    expect(decode(openaiChatProtocol, JSON_CT, body)).toEqual([
      delta("Hello!", "hmm"),
      { type: "usage", usage: { promptTokens: 9, completionTokens: 3, cachedTokens: 8 } },
      { type: "cached", cached: true },
      { type: "done" },
    ]);
  });

  test("no choices, not JSON, error body: ProtocolError naming the expected shape", () => {
    expect(() => decode(openaiChatProtocol, JSON_CT, '{"id": "x"}')).toThrow(
      'openai-chat: response has no choices; expected {"choices": [{"message": {"content": str}}], "usage": {...}}; got: {"id": "x"}',
    );
    expect(() => decode(openaiCompletionsProtocol, JSON_CT, "Internal Server Error")).toThrow(
      /not valid JSON.*"text": str/,
    );
    expect(() =>
      decode(openaiCompletionsProtocol, JSON_CT, '{"object": "error", "message": "bad model", "code": 404}'),
    ).toThrow("bad model");
  });
});

describe("openai: NDJSON (Ollama)", () => {
  test("OpenAI-shaped chunks one a line, last line without newline", () => {
    const body = [
      chatChunk({ content: "a" }),
      chatChunk({ content: "b" }, "stop", { usage: { completion_tokens: 2 } }),
    ].join("\n");
    expect(decodeEverySplit(openaiChatProtocol, NDJSON, utf8(body))).toEqual([
      delta("a"),
      delta("b"),
      { type: "usage", usage: { completionTokens: 2 } },
      { type: "done" },
    ]);
  });

  test("Ollama /api/chat shape: message.content, thinking, done with eval counts", () => {
    const lines = [
      { model: "m", message: { role: "assistant", content: "", thinking: "hm" }, done: false },
      { model: "m", message: { role: "assistant", content: "Hi" }, done: false },
      { model: "m", message: { role: "assistant", content: " there" }, done: false },
      {
        model: "m",
        message: { role: "assistant", content: "" },
        done: true,
        done_reason: "stop",
        prompt_eval_count: 12,
        eval_count: 3,
      },
    ];
    const body = `${lines.map((l) => JSON.stringify(l)).join("\r\n")}\r\n`;
    expect(decodeEverySplit(openaiChatProtocol, "application/x-ndjson; charset=utf-8", utf8(body))).toEqual([
      delta("", "hm"),
      delta("Hi"),
      delta(" there"),
      { type: "usage", usage: { promptTokens: 12, completionTokens: 3 } },
      { type: "done" },
    ]);
  });

  test("Ollama /api/generate shape: response, done", () => {
    const body = '{"response":"a","done":false}\n{"response":"b","done":false}\n{"response":"","done":true}\n';
    expect(decode(openaiCompletionsProtocol, NDJSON, body)).toEqual([delta("a"), delta("b"), { type: "done" }]);
  });

  test("ended without done: ProtocolError", () => {
    expect(() => decode(openaiCompletionsProtocol, NDJSON, '{"response":"a","done":false}\n')).toThrow(
      "stream ended before [DONE] and without a finish_reason",
    );
    expect(() => decode(openaiCompletionsProtocol, NDJSON, '{"response":"a","done":false}\n{"respo')).toThrow(
      /stream ended mid-line/,
    );
  });

  test("Ollama non-streamed bodies", () => {
    expect(
      decode(openaiChatProtocol, JSON_CT, '{"message":{"role":"assistant","content":"yo"},"done":true,"eval_count":1}'),
    ).toEqual([delta("yo"), { type: "usage", usage: { completionTokens: 1 } }, { type: "done" }]);
  });
});

describe("openai: nonsense numbers and wrong types are protocol errors", () => {
  const usageChunk = (completion: unknown) =>
    `{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":${completion}}}`;

  test.each([
    ["-5", "usage.completion_tokens is -5, not a count of tokens"],
    ["1e308", "usage.completion_tokens is 1e+308, not a count of tokens"],
    ["1e999", "usage.completion_tokens is Infinity, not a count of tokens"],
    ["12.5", "usage.completion_tokens is 12.5, not a count of tokens"],
    ['"12"', 'usage.completion_tokens is "12", not a count of tokens'],
    ["200000000", "usage.completion_tokens is 200000000, more tokens than any model's context holds"],
  ])("streamed usage.completion_tokens %s", (value, message) => {
    const body = sseOf(chatChunk({ content: "hi" }), usageChunk(value), "[DONE]");
    expect(() => decode(openaiChatProtocol, SSE, body)).toThrow(message);
  });

  test("whole bodies, cached_tokens and Ollama's counts are checked the same way", () => {
    expect(() =>
      decode(openaiCompletionsProtocol, JSON_CT, `{"choices":[{"text":"a"}],"usage":{"completion_tokens":-1}}`),
    ).toThrow("usage.completion_tokens is -1");
    expect(() =>
      decode(
        openaiChatProtocol,
        SSE,
        sseOf(`{"choices":[],"usage":{"prompt_tokens":3,"prompt_tokens_details":{"cached_tokens":-3}}}`, "[DONE]"),
      ),
    ).toThrow("cached_tokens is -3");
    expect(() =>
      decode(openaiChatProtocol, NDJSON, `{"message":{"content":"a"},"done":true,"eval_count":-7}\n`),
    ).toThrow("eval_count is -7");
  });

  test("usage: null and counts of 0 are fine", () => {
    const events = decode(
      openaiChatProtocol,
      SSE,
      sseOf(
        chatChunk({ content: "hi" }, null, { usage: null }),
        `{"choices":[],"usage":{"prompt_tokens":0,"completion_tokens":0}}`,
        "[DONE]",
      ),
    );
    expect(events).toContainEqual({ type: "usage", usage: { promptTokens: 0, completionTokens: 0 } });
  });

  test("text that is not a string", () => {
    expect(() =>
      decode(openaiCompletionsProtocol, SSE, sseOf(`{"choices":[{"index":0,"text":42}]}`, "[DONE]")),
    ).toThrow("choices[0].text is 42, not a string");
    expect(() => decode(openaiCompletionsProtocol, JSON_CT, `{"choices":[{"index":0,"text":42}]}`)).toThrow(
      "choices[0].text is 42, not a string",
    );
    expect(() => decode(openaiChatProtocol, SSE, sseOf(chatChunk({ content: { a: 1 } }), "[DONE]"))).toThrow(
      'choices[0].delta.content is {"a":1}, not a string',
    );
    expect(() => decode(openaiChatProtocol, JSON_CT, `{"choices":[{"message":{"content":["x"]}}]}`)).toThrow(
      'choices[0].message.content is ["x"], not a string',
    );
    // null content (the last chunk of OpenAI's own streams) is no text, not an error
    expect(
      decode(
        openaiChatProtocol,
        SSE,
        sseOf(chatChunk({ content: "a" }), chatChunk({ content: null }, "stop"), "[DONE]"),
      ).filter((e: DecodeEvent) => e.type === "delta") as DecodeEvent[],
    ).toEqual([delta("a")] as DecodeEvent[]);
  });

  test("a chunk without choices (nor usage, nor an Ollama shape)", () => {
    expect(() =>
      decode(
        openaiChatProtocol,
        SSE,
        sseOf(chatChunk({ content: "a" }), `{"id":"x","object":"chat.completion.chunk"}`, "[DONE]"),
      ),
    ).toThrow('stream chunk has no "choices"');
    expect(() =>
      decode(openaiChatProtocol, SSE, sseOf(`{"choices":{"0":{"delta":{"content":"a"}}}}`, "[DONE]")),
    ).toThrow('"choices" is not a list of objects');
    expect(() => decode(openaiChatProtocol, SSE, sseOf(`{"choices":["a"]}`, "[DONE]"))).toThrow(
      '"choices" is not a list of objects',
    );
  });
});
