/** The reference server (`llmbench serve`) over real sockets: formats, timings, batching, cache. */
import { afterEach, describe, expect, test } from "bun:test";
import { UsageError } from "../../src/core/errors.ts";
import {
  SERVER_DEFAULTS,
  serverOptionsFromStrings,
  startServer,
  type RunningServer,
  type ServerOptions,
} from "../../src/server/index.ts";

const running: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

async function server(opts: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const s = await startServer(opts);
  running.push(s);
  return s;
}

function post(s: RunningServer, path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(s.url + path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal,
  });
}

/** A response body as JSON, typed loosely: the assertions check its shape. */
const body = (res: Response): Promise<any> => res.json();

const words = (s: string) => s.split(/\s+/).filter((w) => w !== "");

interface SseEvent {
  data: string;
  /** ms since the request was sent */
  t: number;
}

/** Sends a request and reads its SSE body, timestamping each event as it arrives. */
async function stream(
  s: RunningServer,
  path: string,
  request: unknown,
): Promise<{ events: SseEvent[]; res: Response; endMs: number }> {
  const t0 = performance.now();
  const res = await post(s, path, request);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toStartWith("text/event-stream");
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buf = "";
  for await (const chunk of res.body!) {
    const t = performance.now() - t0;
    buf += decoder.decode(chunk, { stream: true });
    let i: number;
    while ((i = buf.indexOf("\n\n")) >= 0) {
      const ev = buf.slice(0, i);
      buf = buf.slice(i + 2);
      expect(ev).toStartWith("data: ");
      events.push({ data: ev.slice(6), t });
    }
  }
  expect(buf).toBe("");
  return { events, res, endMs: performance.now() - t0 };
}

const json = (e: SseEvent) => JSON.parse(e.data);

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await fn();
  return [v, performance.now() - t0];
}

async function generate(
  s: RunningServer,
  prompt: string,
  maxTokens: number,
): Promise<{ text: string; cached: boolean }> {
  const res = await post(s, "/generate", { prompt, max_tokens: maxTokens, temperature: 0 });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toStartWith("application/json");
  return body(res) as Promise<{ text: string; cached: boolean }>;
}

describe("routes and errors", () => {
  test("health, models, stats, 404, 405", async () => {
    const s = await server({ model: "sim-x" });
    expect(s.url).toBe(`http://127.0.0.1:${s.port}`);
    expect(s.port).toBeGreaterThan(0);
    expect(await (await fetch(s.url + "/health")).json()).toEqual({ status: "ok" });
    expect(await (await fetch(s.url + "/v1/models")).json()).toEqual({
      object: "list",
      data: [{ id: "sim-x", object: "model", owned_by: "llmbench" }],
    });
    const stats = await body(await fetch(s.url + "/stats"));
    expect(stats).toEqual(s.stats());
    expect(Object.keys(stats).sort()).toEqual(
      [
        "requests",
        "cache_hits",
        "cache_misses",
        "in_flight",
        "max_in_flight",
        "max_batch_size_seen",
        "decode_steps",
        "tokens_generated",
        "prefill_tokens",
        "prefix_queried_tokens",
        "prefix_hit_tokens",
        "prefix_cache_blocks",
        "prefix_evicted_blocks",
      ].sort(),
    );
    const nf = await fetch(s.url + "/nope");
    expect(nf.status).toBe(404);
    expect((await body(nf)).error.message).toBeString();
    const wrong = await fetch(s.url + "/generate");
    expect(wrong.status).toBe(405);
    await wrong.text();
  });

  test("400 with a JSON error on bad bodies", async () => {
    const s = await server();
    const bad: [string, unknown][] = [
      ["/generate", "{not json"],
      ["/generate", { max_tokens: 5 }],
      ["/generate", { prompt: "x" }],
      ["/generate", { prompt: "x", max_tokens: 0 }],
      ["/generate", { prompt: "x", max_tokens: 2.5 }],
      ["/generate", { prompt: "x", max_tokens: "5" }],
      ["/generate", [1, 2]],
      ["/v1/completions", { model: "m", max_tokens: 5 }],
      ["/v1/chat/completions", { model: "m", messages: [], max_tokens: 5 }],
      ["/v1/chat/completions", { model: "m", messages: [{ role: "user", content: 3 }] }],
      ["/v1/chat/completions", { model: "m", messages: [{ role: "user", content: "hi" }], max_tokens: -1 }],
    ];
    for (const [path, request] of bad) {
      const res = await post(s, path, request);
      expect(res.status).toBe(400);
      const err = await body(res);
      expect(err.error.message).toBeString();
    }
    expect(s.stats().requests).toBe(0);
  });

  test("options are validated", async () => {
    await expect(startServer({ decodeStepMs: -1 })).rejects.toBeInstanceOf(UsageError);
    await expect(startServer({ maxBatchSize: 0 })).rejects.toBeInstanceOf(UsageError);
    expect(() => serverOptionsFromStrings({ port: "abc" })).toThrow(UsageError);
    expect(() => serverOptionsFromStrings({ cacheSize: "-3" })).toThrow(UsageError);
    expect(() => serverOptionsFromStrings({ decodeStepMs: "" })).toThrow(UsageError);
    expect(() => serverOptionsFromStrings({ batchExponent: "0x1" })).toThrow(UsageError);
    expect(serverOptionsFromStrings({ decodeStepMs: "2.5", maxBatchSize: "8", host: undefined })).toEqual({
      ...SERVER_DEFAULTS,
      decodeStepMs: 2.5,
      maxBatchSize: 8,
    });
  });
});

describe("model and timing", () => {
  test("text has exactly max_tokens words and is the same for the same prompt", async () => {
    const s = await server({ cacheSize: 0, decodeStepMs: 1, batchWindowMs: 0 });
    const a = await generate(s, "the quick brown fox", 17);
    const b = await generate(s, "the quick brown fox", 17);
    const c = await generate(s, "another prompt", 17);
    expect(words(a.text)).toHaveLength(17);
    expect(a.text).toMatch(/^( [a-z]+){17}$/);
    expect(b.text).toBe(a.text);
    expect(a.cached || b.cached).toBe(false);
    expect(c.text).not.toBe(a.text);
    expect(words((await generate(s, "", 1)).text)).toHaveLength(1);
    expect(s.stats()).toMatchObject({
      requests: 4,
      cache_hits: 0,
      cache_misses: 4,
      tokens_generated: 52,
      in_flight: 0,
    });
  });

  test("a stream's tokens arrive one per step, spread in time, after the batch window", async () => {
    const s = await server({ decodeStepMs: 20, batchWindowMs: 30, prefillMsPerToken: 0, cacheSize: 0 });
    const { events, endMs } = await stream(s, "/generate", { prompt: "hello there", max_tokens: 10, stream: true });
    const tokens = events.filter((e) => e.data !== "[DONE]" && "text" in json(e));
    expect(events).toHaveLength(12);
    expect(tokens).toHaveLength(10);
    expect(json(events[10]!)).toEqual({ done: true, cached: false });
    expect(events[11]!.data).toBe("[DONE]");
    // first token: batch window + one step; last: + nine more steps
    expect(tokens[0]!.t).toBeGreaterThanOrEqual(30 + 20 - 1);
    expect(tokens[9]!.t).toBeGreaterThanOrEqual(30 + 10 * 20 - 1);
    expect(tokens[9]!.t - tokens[0]!.t).toBeGreaterThan(120);
    expect(new Set(tokens.map((e) => e.t)).size).toBeGreaterThanOrEqual(5); // flushed as produced
    expect(endMs).toBeLessThan(2000);
    const text = tokens.map((e) => json(e).text as string).join("");
    expect(text).toBe((await generate(s, "hello there", 10)).text);
    expect(s.stats()).toMatchObject({ decode_steps: 20, max_batch_size_seen: 1 });
  });

  test("prefill time per prompt token is paid before the first token", async () => {
    const s = await server({ decodeStepMs: 5, batchWindowMs: 0, prefillMsPerToken: 2, cacheSize: 0 });
    const prompt = Array.from({ length: 60 }, (_, i) => `w${i}`).join(" ");
    const { events } = await stream(s, "/v1/completions", {
      model: "m",
      prompt,
      max_tokens: 3,
      stream: true,
      stream_options: { include_usage: true },
    });
    const first = events.find((e) => e.data !== "[DONE]" && json(e).choices[0]?.text);
    expect(first!.t).toBeGreaterThanOrEqual(60 * 2 + 5 - 1);
    expect(json(events.at(-2)!).usage.prompt_tokens).toBe(60);
  });

  test("concurrent requests are batched: much faster than one after another", async () => {
    const s = await server({ decodeStepMs: 20, batchWindowMs: 5, batchExponent: 0.5, cacheSize: 0 });
    const [, one] = await timed(() => generate(s, "solo", 10));
    expect(one).toBeGreaterThanOrEqual(5 + 10 * 20 - 1);
    const [all, eight] = await timed(() =>
      Promise.all(Array.from({ length: 8 }, (_, i) => generate(s, `prompt ${i}`, 10))),
    );
    for (const r of all) expect(words(r.text)).toHaveLength(10);
    expect(eight).toBeLessThan(4 * one); // sequential would be 8×; batched ≈ √8 ≈ 2.8×
    const st = s.stats();
    expect(st.max_batch_size_seen).toBeGreaterThanOrEqual(2);
    expect(st.max_in_flight).toBe(8);
    expect(st.in_flight).toBe(0);
    expect(st.tokens_generated).toBe(90);
  });

  test("step time grows as batch^exponent", async () => {
    const s = await server({
      decodeStepMs: 5,
      batchWindowMs: 60,
      batchExponent: 1,
      cacheSize: 0,
      prefillMsPerToken: 0,
    });
    const [, ms] = await timed(() => Promise.all(Array.from({ length: 4 }, (_, i) => generate(s, `p${i}`, 5))));
    expect(s.stats().max_batch_size_seen).toBe(4); // all joined within the window
    expect(ms).toBeGreaterThanOrEqual(60 + 5 * 5 * 4 - 1);
  });

  test("maxBatchSize caps the batch; the rest wait their turn", async () => {
    const s = await server({
      decodeStepMs: 10,
      batchWindowMs: 20,
      maxBatchSize: 2,
      batchExponent: 0,
      cacheSize: 0,
      prefillMsPerToken: 0,
    });
    const [all, ms] = await timed(() => Promise.all(Array.from({ length: 4 }, (_, i) => generate(s, `p${i}`, 5))));
    expect(all).toHaveLength(4);
    expect(s.stats().max_batch_size_seen).toBe(2);
    expect(s.stats().max_in_flight).toBe(4);
    expect(ms).toBeGreaterThanOrEqual(20 + 2 * 5 * 10 - 1);
  });

  test("a client that goes away leaves the batch", async () => {
    const s = await server({ decodeStepMs: 5, batchWindowMs: 0, cacheSize: 0 });
    const ac = new AbortController();
    const res = await post(s, "/generate", { prompt: "long", max_tokens: 100_000, stream: true }, ac.signal);
    const reader = res.body!.getReader();
    await reader.read();
    ac.abort();
    await reader.read().catch(() => {});
    const deadline = performance.now() + 2000;
    while (s.stats().in_flight > 0 && performance.now() < deadline) await Bun.sleep(10);
    const before = s.stats();
    expect(before.in_flight).toBe(0);
    await Bun.sleep(50);
    const after = s.stats();
    expect(after.decode_steps).toBeLessThanOrEqual(before.decode_steps + 1);
    expect(after.tokens_generated).toBeLessThan(500);
    // and the engine still serves
    expect(words((await generate(s, "next", 3)).text)).toHaveLength(3);
  });
});

describe("cache", () => {
  test("a repeat of a completed prompt is answered from the cache, fast", async () => {
    const s = await server({ decodeStepMs: 20, batchWindowMs: 2, cacheHitMs: 1 });
    const [first, slow] = await timed(() => generate(s, "repeat me", 10));
    expect(first.cached).toBe(false);
    expect(slow).toBeGreaterThanOrEqual(200);
    const [again, fast] = await timed(() => generate(s, "repeat me", 10));
    expect(again).toEqual({ text: first.text, cached: true });
    expect(fast).toBeLessThan(slow / 2); // 10 decode steps of 20 ms skipped
    // another max_tokens is another answer
    expect((await generate(s, "repeat me", 3)).cached).toBe(false);
    // a streamed hit: every token at once, then done with cached: true
    const { events } = await stream(s, "/generate", { prompt: "repeat me", max_tokens: 10, stream: true });
    expect(
      events
        .slice(0, 10)
        .map((e) => json(e).text)
        .join(""),
    ).toBe(first.text);
    expect(json(events[10]!)).toEqual({ done: true, cached: true });
    expect(s.stats()).toMatchObject({ requests: 4, cache_hits: 2, cache_misses: 2, tokens_generated: 13 });
  });

  test("a request that arrives while the same prompt is generating is a miss", async () => {
    const s = await server({ decodeStepMs: 5, batchWindowMs: 2 });
    const [a, b] = await Promise.all([generate(s, "same", 5), generate(s, "same", 5)]);
    expect(a.cached).toBe(false);
    expect(b.cached).toBe(false);
    expect(b.text).toBe(a.text);
    expect((await generate(s, "same", 5)).cached).toBe(true);
  });

  test("cacheSize 0 never caches; cacheSize 1 evicts the least recently used", async () => {
    const off = await server({ decodeStepMs: 1, batchWindowMs: 0, cacheSize: 0 });
    for (let i = 0; i < 3; i++) expect((await generate(off, "x", 2)).cached).toBe(false);
    expect(off.stats().cache_hits).toBe(0);
    const one = await server({ decodeStepMs: 1, batchWindowMs: 0, cacheSize: 1 });
    await generate(one, "a", 2);
    expect((await generate(one, "a", 2)).cached).toBe(true);
    await generate(one, "b", 2);
    expect((await generate(one, "a", 2)).cached).toBe(false);
  });

  test("the cache is shared across APIs and reported as cached_tokens", async () => {
    const s = await server({ decodeStepMs: 1, batchWindowMs: 0 });
    const first = await generate(s, "one two three", 4);
    const res = await post(s, "/v1/chat/completions", {
      model: "m",
      messages: [{ role: "user", content: "one two three" }],
      max_tokens: 4,
    });
    const answer = await body(res);
    expect(answer.choices[0].message.content).toBe(first.text);
    expect(answer.usage).toEqual({
      prompt_tokens: 3,
      completion_tokens: 4,
      total_tokens: 7,
      prompt_tokens_details: { cached_tokens: 3 },
    });
  });
});

describe("OpenAI formats", () => {
  test("completions, streaming, with and without include_usage", async () => {
    const s = await server({ decodeStepMs: 1, batchWindowMs: 0, cacheSize: 0, model: "sim" });
    const req = { model: "sim", prompt: "say something", max_tokens: 5, stream: true };
    const withUsage = await stream(s, "/v1/completions", { ...req, stream_options: { include_usage: true } });
    const ev = withUsage.events;
    expect(ev.at(-1)!.data).toBe("[DONE]");
    const chunks = ev.slice(0, -1).map(json);
    expect(chunks).toHaveLength(5 + 2);
    for (const c of chunks) {
      expect(c).toMatchObject({ object: "text_completion", model: "sim" });
      expect(c.id).toBe(chunks[0].id);
    }
    for (const c of chunks.slice(0, 5)) {
      expect(c.choices).toHaveLength(1);
      expect(c.choices[0]).toMatchObject({ index: 0, finish_reason: null });
      expect(c.choices[0].text).toMatch(/^ [a-z]+$/);
      expect(c.usage).toBeNull();
    }
    expect(chunks[5].choices[0]).toMatchObject({ text: "", finish_reason: "length" });
    expect(chunks[6].choices).toEqual([]);
    expect(chunks[6].usage).toEqual({
      prompt_tokens: 2,
      completion_tokens: 5,
      total_tokens: 7,
      prompt_tokens_details: { cached_tokens: 0 },
    });

    const noUsage = await stream(s, "/v1/completions", req);
    const plain = noUsage.events.slice(0, -1).map(json);
    expect(plain).toHaveLength(6);
    for (const c of plain) {
      expect("usage" in c).toBe(false);
      expect(c.choices).toHaveLength(1);
    }
    expect(plain.map((c) => c.choices[0].text).join("")).toBe(
      chunks
        .slice(0, 5)
        .map((c) => c.choices[0].text)
        .join(""),
    );
  });

  test("chat, streaming: role chunk first, one token per chunk, finish, usage", async () => {
    const s = await server({ decodeStepMs: 1, batchWindowMs: 0, cacheSize: 0 });
    const { events } = await stream(s, "/v1/chat/completions", {
      model: "llmbench-sim",
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "hello" },
      ],
      max_completion_tokens: 4,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(events.at(-1)!.data).toBe("[DONE]");
    const chunks = events.slice(0, -1).map(json);
    expect(chunks).toHaveLength(1 + 4 + 1 + 1);
    for (const c of chunks) expect(c.object).toBe("chat.completion.chunk");
    expect(chunks[0].choices[0].delta).toEqual({ role: "assistant", content: "" });
    for (const c of chunks.slice(1, 5)) expect(c.choices[0].delta.content).toMatch(/^ [a-z]+$/);
    expect(chunks[5].choices[0]).toMatchObject({ delta: {}, finish_reason: "length" });
    expect(chunks[6].choices).toEqual([]);
    expect(chunks[6].usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });

    const nostream = await post(s, "/v1/chat/completions", {
      model: "x",
      messages: [{ role: "user", content: "hello" }],
      max_tokens: 4,
    });
    const whole = await body(nostream);
    expect(whole).toMatchObject({ object: "chat.completion", model: "llmbench-sim" });
    expect(whole.choices[0]).toMatchObject({ index: 0, finish_reason: "length", message: { role: "assistant" } });
    expect(words(whole.choices[0].message.content)).toHaveLength(4);
    expect(whole.usage).toEqual({
      prompt_tokens: 1,
      completion_tokens: 4,
      total_tokens: 5,
      prompt_tokens_details: { cached_tokens: 0 },
    });
  });

  test("completions, not streaming", async () => {
    const s = await server({ decodeStepMs: 1, batchWindowMs: 0 });
    const res = await post(s, "/v1/completions", { model: "m", prompt: "a b c d", max_tokens: 6, temperature: 0.7 });
    const answer = await body(res);
    expect(answer.object).toBe("text_completion");
    expect(words(answer.choices[0].text)).toHaveLength(6);
    expect(answer.choices[0].finish_reason).toBe("length");
    expect(answer.usage).toMatchObject({ prompt_tokens: 4, completion_tokens: 6, total_tokens: 10 });
  });
});

test("stop() ends open streams and frees the port", async () => {
  const s = await startServer({ decodeStepMs: 5, batchWindowMs: 0 });
  const res = await post(s, "/generate", { prompt: "p", max_tokens: 100_000, stream: true });
  const reader = res.body!.getReader();
  await reader.read();
  await s.stop();
  // the stream ends (with an error or a close), and nothing listens any more
  const rest = (async () => {
    for (;;) if ((await reader.read()).done) return;
  })();
  await rest.catch(() => {});
  expect(s.stats().in_flight).toBe(0);
  await expect(fetch(s.url + "/health")).rejects.toThrow();
});
