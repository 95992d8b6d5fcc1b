import { describe, expect, test } from "bun:test";
import { API_KINDS, detectApi, getProtocol } from "../../../src/core/protocols/index.ts";
import { framingOf } from "../../../src/core/protocols/framing.ts";

describe("protocols: registry and detection", () => {
  test("getProtocol returns the adapter of each API", () => {
    for (const api of API_KINDS) expect(getProtocol(api).api).toBe(api);
  });

  test("detectApi from the endpoint's path", () => {
    const cases: [string, string | undefined][] = [
      ["http://127.0.0.1:8000/generate", "generate"],
      ["http://h/api/v2/generate/", "generate"],
      ["http://h/v1/completions", "openai-completions"],
      ["https://h/openai/v1/completions?x=1", "openai-completions"],
      ["http://h/completions", "openai-completions"],
      ["http://h/v1/chat/completions", "openai-chat"],
      ["http://h/chat/completions", "openai-chat"],
      ["http://h/v1/chat/completions/", "openai-chat"],
      ["http://h/", undefined],
      ["http://h/v1/models", undefined],
      ["http://h/generates", undefined],
      ["http://h/v1/completionsx", undefined],
      ["http://h/api/chat", undefined],
    ];
    for (const [url, api] of cases) expect([url, detectApi(new URL(url))]).toEqual([url, api]);
  });

  test("framing from the content-type", () => {
    expect(framingOf("text/event-stream")).toBe("sse");
    expect(framingOf("Text/Event-Stream; charset=utf-8")).toBe("sse");
    expect(framingOf("application/x-ndjson")).toBe("ndjson");
    expect(framingOf("application/jsonl")).toBe("ndjson");
    expect(framingOf("application/json")).toBe("json");
    expect(framingOf("")).toBe("json");
    expect(framingOf("text/plain")).toBe("json");
  });
});
