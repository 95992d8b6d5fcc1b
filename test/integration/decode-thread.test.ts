/**
 * Streams are decoded and counted on the decoding thread (io/decode-thread.ts): the record must be
 * exactly what decoding on the reading thread gives, and a body that breaks its API's rules must
 * still stop the reading early.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { BodyJob, Decoded } from "../../src/core/body.ts";
import { getProtocol } from "../../src/core/protocols/index.ts";
import { loadTokenizer } from "../../src/core/tokenizer.ts";
import { decodingOnThread, inlineSink, openBodySink, startDecodingThread, type BodySink } from "../../src/io/decode-thread.ts";
import { sendRequest, type Target } from "../../src/io/http.ts";
import { now } from "../../src/io/clock.ts";
import { fixtureBytes, splitBytes, utf8 } from "../core/protocols/helpers.ts";
import { scripted } from "./helpers.ts";

beforeAll(async () => {
  await loadTokenizer("o200k");
  expect(await startDecodingThread("o200k")).toBe(true);
}, 60_000); // two o200k loads (here and on the thread) on a busy machine

const job = (api: BodyJob["api"], contentType = "text/event-stream"): BodyJob => ({ api, contentType, maxMessageChars: 4 * 1024 * 1024, tokenizer: "o200k" });

async function decode(sink: BodySink, chunks: Uint8Array[], complete = true): Promise<Decoded> {
  chunks.forEach((c, k) => sink.push(c, 10 + 1.5 * k));
  return sink.finish(10 + 1.5 * chunks.length, complete, 1000);
}

describe("the decoding thread", () => {
  test("is what decodes a stream once started; a whole JSON body is decoded where it was read", async () => {
    expect(decodingOnThread()).toBe(true);
    // inline, broken JSON in a stream throws at the push; the thread's sink only hands the bytes over
    const broken = utf8("data: {not json\n\n");
    expect(() => inlineSink(job("openai-chat"), now).push(broken, 1)).toThrow("not valid JSON");
    const stream = openBodySink(job("openai-chat"), now);
    expect(() => stream.push(broken, 1)).not.toThrow();
    expect((await stream.finish(2, true, 100)).protocolError).toContain("not valid JSON");
    const whole = openBodySink(job("openai-chat", "application/json"), now);
    whole.push(utf8("{not json"), 1);
    expect((await whole.finish(2, true, 100)).protocolError).toContain("not valid JSON");
  });

  test.each([
    ["llamacpp-chat-stream.sse", "openai-chat"],
    ["llamacpp-completions-stream.sse", "openai-completions"],
    ["aiperf-mock-chat-stream.sse", "openai-chat"],
  ] as const)("%s: the same record on the thread as inline, however the bytes are split", async (name, api) => {
    const bytes = fixtureBytes(name);
    for (let seed = 1; seed <= 6; seed++) {
      const chunks = splitBytes(bytes, seed);
      const onThread = await decode(openBodySink(job(api), now), chunks);
      const inline = await decode(inlineSink(job(api), now), chunks);
      expect(onThread).toEqual(inline);
      expect(onThread.protocolError).toBeNull();
      expect(onThread.tokenTimes.length).toBeGreaterThan(3);
      expect(onThread.outputTokensCounted).toBeGreaterThan(0);
    }
  });

  test("a body cut short (not complete): what arrived is counted, and no end-of-stream error is invented", async () => {
    const bytes = fixtureBytes("llamacpp-chat-stream.sse");
    const half = bytes.subarray(0, Math.floor(bytes.length / 2));
    const onThread = await decode(openBodySink(job("openai-chat"), now), [half], false);
    expect(onThread).toEqual(await decode(inlineSink(job("openai-chat"), now), [half], false));
    expect(onThread.protocolError).toBeNull();
    // complete, the same half is a stream that ended before [DONE]
    const ended = await decode(openBodySink(job("openai-chat"), now), [half], true);
    expect(ended.protocolError).toContain("stream ended");
  });

  test("many bodies at once, interleaved: each gets its own record", async () => {
    const a = fixtureBytes("llamacpp-chat-stream.sse");
    const b = fixtureBytes("aiperf-mock-chat-stream.sse");
    const sinks = Array.from({ length: 40 }, (_, i) => ({ sink: openBodySink(job("openai-chat"), now), bytes: i % 2 ? a : b }));
    const split = sinks.map((s, i) => splitBytes(s.bytes, i + 1));
    const longest = Math.max(...split.map((c) => c.length));
    for (let k = 0; k < longest; k++) split.forEach((chunks, i) => k < chunks.length && sinks[i].sink.push(chunks[k], k));
    const got = await Promise.all(sinks.map((s, i) => s.sink.finish(split[i].length, true, 1000)));
    const want = await Promise.all(sinks.map((s, i) => decode(inlineSink(job("openai-chat"), now), split[i]).then((d) => d.outputTokensCounted)));
    expect(got.map((d) => d.outputTokensCounted)).toEqual(want);
    expect(new Set(want).size).toBe(2);
  });
});

describe("over HTTP, decoded on the thread", () => {
  let sent = 0;
  let cancelled = false;
  const server = scripted((req) => {
    const path = new URL(req.url).pathname;
    if (path === "/fixture") return new Response(fixtureBytes("llamacpp-chat-stream.sse"), { headers: { "content-type": "text/event-stream" } });
    // an SSE line that never ends, 64 KiB a chunk, up to 64 MiB
    sent = 0;
    cancelled = false;
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    return new Response(
      new ReadableStream({
        start(c) {
          c.enqueue(utf8("data: "));
        },
        async pull(c) {
          if (sent >= 64 * 1024 * 1024) return c.close();
          sent += chunk.length;
          c.enqueue(chunk);
          await Bun.sleep(0);
        },
        cancel() {
          cancelled = true;
        },
      }),
      { headers: { "content-type": "text/event-stream" } },
    );
  });
  afterAll(() => server.stop());
  const target = (path: string, maxMessageBytes = 4 * 1024 * 1024): Target => ({
    url: `${server.url}${path}`,
    headers: { "content-type": "application/json" },
    protocol: getProtocol("openai-chat"),
    timeoutMs: 30_000,
    maxBodyBytes: 128 * 1024 * 1024,
    maxMessageBytes,
    tokenizer: "o200k",
  });

  test("a recorded stream gives the record the inline decoder gives for its bytes", async () => {
    const out = await sendRequest(target("/fixture"), "{}", new AbortController().signal, now);
    expect(out.error).toBeNull();
    const inline = await decode(inlineSink(job("openai-chat"), now), [fixtureBytes("llamacpp-chat-stream.sse")]);
    expect(out.tokenTimes.length).toBe(inline.tokenTimes.length);
    expect([out.usage, out.outputTokensCounted, out.streamed]).toEqual([inline.usage, inline.outputTokensCounted, true]);
    for (let k = 1; k < out.tokenTimes.length; k++) expect(out.tokenTimes[k]).toBeGreaterThanOrEqual(out.tokenTimes[k - 1]);
  });

  test("a line past --max-message found on the thread stops the reading long before the body's end", async () => {
    const out = await sendRequest(target("/endless", 1024 * 1024), "{}", new AbortController().signal, now);
    expect(out.error?.class).toBe("protocol");
    expect(out.error?.message).toContain("--max-message");
    await Bun.sleep(50);
    expect(cancelled).toBe(true);
    expect(sent).toBeLessThan(16 * 1024 * 1024);
  });
});
