import { describe, expect, test } from "bun:test";
import { ProtocolError } from "../../../src/core/errors.ts";
import { generateProtocol } from "../../../src/core/protocols/generate.ts";
import type { DecodeEvent } from "../../../src/core/protocols/types.ts";
import { joinedText, runDecoder, SEEDS, splitBytes, utf8 } from "./helpers.ts";

const SSE = "text/event-stream";
const NDJSON = "application/x-ndjson";
const JSON_CT = "application/json; charset=utf-8";

const decode = (contentType: string, body: string): DecodeEvent[] =>
  runDecoder(generateProtocol.createDecoder(contentType), [utf8(body)]);

const delta = (text: string): DecodeEvent => ({ type: "delta", text, reasoning: "" });
const sseOf = (...datas: string[]): string => datas.map((d) => `data: ${d}\n\n`).join("");

describe("generate: request body", () => {
  test("not streamed", () => {
    expect(generateProtocol.buildBody({ prompt: "hi", maxTokens: 16, stream: false })).toEqual({
      prompt: "hi",
      max_tokens: 16,
      temperature: 0,
    });
  });

  test("streamed, extraBody merged last (shallow), no model field", () => {
    const body = generateProtocol.buildBody({
      prompt: "hi",
      maxTokens: 16,
      stream: true,
      model: "ignored",
      extraBody: { temperature: 0.5, options: { a: 1 } },
    });
    expect(body).toEqual({ prompt: "hi", max_tokens: 16, temperature: 0.5, stream: true, options: { a: 1 } });
    expect(Object.keys(body)).toEqual(["prompt", "max_tokens", "temperature", "stream", "options"]);
  });

  test("api", () => expect(generateProtocol.api).toBe("generate"));
});

describe("generate: JSON body", () => {
  test("text and cached", () => {
    expect(decode(JSON_CT, '{"text": "one two three", "cached": true}')).toEqual([
      delta("one two three"),
      { type: "cached", cached: true },
      { type: "done" },
    ]);
    expect(decode("application/json", '{"text": "x", "cached": false}')).toEqual([
      delta("x"),
      { type: "cached", cached: false },
      { type: "done" },
    ]);
  });

  test("nothing is emitted before the body is complete", () => {
    const d = generateProtocol.createDecoder(JSON_CT);
    expect(d.push('{"text": "a b", ')).toEqual([]);
    expect(d.push('"cached": false}')).toEqual([]);
    expect(d.end()).toEqual([delta("a b"), { type: "cached", cached: false }, { type: "done" }]);
  });

  test("any non-stream content-type is a JSON body; empty text gives no delta; cached may be absent", () => {
    expect(decode("", '{"text": ""}')).toEqual([{ type: "done" }]);
    expect(decode("text/plain", '{"text": "a", "cached": null}')).toEqual([delta("a"), { type: "done" }]);
  });

  test("missing or non-string text: ProtocolError naming the schema and quoting the body", () => {
    const long = `{"output": "${"x".repeat(400)}"}`;
    let err: unknown;
    try {
      decode(JSON_CT, long);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProtocolError);
    const msg = (err as Error).message;
    expect(msg).toContain('{"text": str, "cached": bool}');
    expect(msg).toContain(long.slice(0, 200));
    expect(msg).not.toContain(long.slice(0, 201));
    expect(() => decode(JSON_CT, '{"text": 5, "cached": false}')).toThrow('expected {"text": str, "cached": bool}');
    expect(() => decode(JSON_CT, '["text"]')).toThrow('expected {"text": str, "cached": bool}');
  });

  test("not JSON, empty, bad cached, error object: ProtocolError", () => {
    expect(() => decode(JSON_CT, "<html>502 Bad Gateway</html>")).toThrow(
      /not valid JSON.*\{"text": str, "cached": bool\}.*<html>/,
    );
    expect(() => decode(JSON_CT, "")).toThrow(ProtocolError);
    expect(() => decode(JSON_CT, '{"text": "a", "cached": "yes"}')).toThrow('"cached" is not a boolean');
    expect(() => decode(JSON_CT, '{"error": {"message": "model overloaded"}}')).toThrow("model overloaded");
  });
});

describe("generate: SSE stream", () => {
  const body = sseOf(
    '{"text": "one"}',
    '{"text": " two"}',
    '{"text": " thrée 😀"}',
    '{"done": true, "cached": true}',
    "[DONE]",
  );
  const expected: DecodeEvent[] = [
    delta("one"),
    delta(" two"),
    delta(" thrée 😀"),
    { type: "cached", cached: true },
    { type: "done" },
  ];

  test("deltas, cached, one done", () => {
    expect(decode(SSE, body)).toEqual(expected);
    expect(decode("text/event-stream; charset=utf-8", body)).toEqual(expected);
  });

  test("split at random boundaries: the same events", () => {
    const bytes = utf8(body);
    for (const seed of SEEDS) {
      expect(runDecoder(generateProtocol.createDecoder(SSE), splitBytes(bytes, seed))).toEqual(expected);
    }
  });

  test("events are returned by the push() that completes them", () => {
    const d = generateProtocol.createDecoder(SSE);
    expect(d.push('data: {"text": "a"}\n')).toEqual([]);
    expect(d.push("\n")).toEqual([delta("a")]);
    expect(d.push('data: {"done": true, "cached": false}\n\n')).toEqual([
      { type: "cached", cached: false },
      { type: "done" },
    ]);
    expect(d.push("data: [DONE]\n\n")).toEqual([]);
    expect(d.end()).toEqual([]);
  });

  test("either end marker alone is enough; keep-alive comments and empty events are ignored", () => {
    expect(decode(SSE, sseOf('{"text": "a"}', "[DONE]"))).toEqual([delta("a"), { type: "done" }]);
    expect(decode(SSE, sseOf('{"text": "a"}', '{"done": true}'))).toEqual([delta("a"), { type: "done" }]);
    expect(decode(SSE, `: ping\n\ndata:\n\n${sseOf('{"text": "a"}')}: ping\n\n${sseOf("[DONE]")}`)).toEqual([
      delta("a"),
      { type: "done" },
    ]);
  });

  test("unusual Unicode in JSON escapes survives exactly", () => {
    // (not String.raw: Bun's transpiler rewrites non-ASCII characters in raw templates as escapes)
    const raw = '{"text": "\\u2028\\u2029|\\ud83d\\ude00|\\ud83d|\\u0000|\\u200f\\u202e|👨‍👩‍👧|é"}';
    const events = decode(SSE, sseOf(raw, "[DONE]"));
    expect(joinedText(events)).toBe("\u2028\u2029|😀|\ud83d|\0|\u200F\u202E|👨‍👩‍👧|é");
  });

  test("stream ended before the done marker: ProtocolError at end()", () => {
    const d = generateProtocol.createDecoder(SSE);
    expect(d.push(sseOf('{"text": "a"}'))).toEqual([delta("a")]);
    expect(() => d.end()).toThrow("stream ended before its done marker");
  });

  test("stream cut mid-event: ProtocolError at end()", () => {
    const d = generateProtocol.createDecoder(SSE);
    d.push('data: {"text": "a"}\n\ndata: {"done": true}\n');
    expect(() => d.end()).toThrow(/stream ended mid-event/);
    expect(() => decode(SSE, 'data: {"text": "a"}\n\ndata: {"te')).toThrow(ProtocolError);
  });

  test("bad JSON, wrong shapes, error events: ProtocolError", () => {
    expect(() => decode(SSE, sseOf('{"text": "a"', "[DONE]"))).toThrow(/stream event is not valid JSON: \{"text": "a"/);
    expect(() => decode(SSE, sseOf("[1,2]", "[DONE]"))).toThrow(ProtocolError);
    expect(() => decode(SSE, sseOf('{"txt": "a"}', "[DONE]"))).toThrow(/neither "text" nor "done"/);
    expect(() => decode(SSE, sseOf('{"text": null}', "[DONE]"))).toThrow('"text" is not a string');
    expect(() => decode(SSE, sseOf('{"error": "out of memory"}'))).toThrow("out of memory");
    expect(() => decode(SSE, `event: error\ndata: boom\n\n`)).toThrow("boom");
    expect(() => decode(SSE, sseOf('{"done": true}', '{"text": "late"}'))).toThrow("after the stream's done marker");
  });
});

describe("generate: NDJSON stream", () => {
  const lines = ['{"text": "one"}', '{"text": " two"}', '{"done": true, "cached": false}'];
  const expected: DecodeEvent[] = [delta("one"), delta(" two"), { type: "cached", cached: false }, { type: "done" }];

  test("one object a line, CRLF, last line without newline", () => {
    expect(decode(NDJSON, `${lines.join("\n")}\n`)).toEqual(expected);
    expect(decode(NDJSON, lines.join("\r\n"))).toEqual(expected);
    const bytes = utf8(lines.join("\r\n\r\n"));
    for (const seed of SEEDS) {
      expect(runDecoder(generateProtocol.createDecoder(NDJSON), splitBytes(bytes, seed))).toEqual(expected);
    }
  });

  test("no done line, or a cut last line: ProtocolError", () => {
    expect(() => decode(NDJSON, `${lines[0]}\n${lines[1]}\n`)).toThrow("stream ended before its done marker");
    expect(() => decode(NDJSON, `${lines[0]}\n{"done": tr`)).toThrow(/generate: stream ended mid-line/);
    expect(() => decode(NDJSON, `${lines[0]}\nnot json\n`)).toThrow(/generate: NDJSON line is not valid JSON/);
  });
});

describe("generate: an event stream labelled as JSON is still decoded as a stream", () => {
  test("sniffed from its first characters, events as they arrive", () => {
    const d = generateProtocol.createDecoder("application/json");
    expect(d.push("da")).toEqual([]);
    expect(d.push('ta: {"text": "a"}\n\n')).toEqual([delta("a")]);
    expect(d.push("data: [DONE]\n\n")).toEqual([{ type: "done" }]);
    expect(d.end()).toEqual([]);
  });
});
