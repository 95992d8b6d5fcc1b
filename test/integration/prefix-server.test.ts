/** `llmbench serve --prefix-cache` over real sockets: cached_tokens in every API's usage, prefill charged for the suffix only. */
import { afterEach, describe, expect, test } from "bun:test";
import { UsageError } from "../../src/core/errors.ts";
import { parseServeOptions } from "../../src/core/options/serve.ts";
import { startServer, type RunningServer, type ServerOptions } from "../../src/server/index.ts";

const running: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

async function server(opts: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const s = await startServer({
    decodeStepMs: 1,
    batchWindowMs: 0,
    cacheSize: 0,
    prefixCache: true,
    prefixBlockTokens: 4,
    ...opts,
  });
  running.push(s);
  return s;
}

/** A response whose JSON is typed loosely: the assertions check its shape. */
type JsonResponse = Omit<Response, "json"> & { json(): Promise<any> };

async function post(s: RunningServer, path: string, body: unknown): Promise<JsonResponse> {
  const res = await fetch(s.url + path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return res as JsonResponse;
}

/** The JSON events of an SSE body, without [DONE]. */
async function events(res: JsonResponse): Promise<any[]> {
  const text = await res.text();
  expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
  return text
    .split("\n\n")
    .filter((e) => e.startsWith("data: ") && e !== "data: [DONE]")
    .map((e) => JSON.parse(e.slice(6)));
}

const words = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag}${i}`).join(" ");

describe("cached_tokens", () => {
  test("completions and chat, whole and streamed: k shared blocks → k × block cached; a different first block → 0", async () => {
    const s = await server();
    const shared = words("s", 8); // two blocks of 4
    const complete = async (prompt: string) =>
      (await (await post(s, "/v1/completions", { model: "m", prompt, max_tokens: 2 })).json()).usage;
    expect(await complete(`${shared} ${words("a", 3)}`)).toEqual({
      prompt_tokens: 11,
      completion_tokens: 2,
      total_tokens: 13,
      prompt_tokens_details: { cached_tokens: 0 },
    });
    expect(await complete(`${shared} ${words("b", 5)}`)).toEqual({
      prompt_tokens: 13,
      completion_tokens: 2,
      total_tokens: 15,
      prompt_tokens_details: { cached_tokens: 8 },
    });
    // one block shared, then different
    expect((await complete(`${words("s", 4)} ${words("c", 6)}`)).prompt_tokens_details).toEqual({ cached_tokens: 4 });
    // a different first block, the same words after it
    expect(
      (await complete(`${words("x", 4)} ${words("s", 8).split(" ").slice(4).join(" ")} ${words("a", 3)}`))
        .prompt_tokens_details,
    ).toEqual({ cached_tokens: 0 });

    // chat: the message contents joined by a newline, which is whitespace like any other
    const chat = await post(s, "/v1/chat/completions", {
      model: "m",
      messages: [
        { role: "system", content: words("s", 4) },
        { role: "user", content: `${words("s", 8).split(" ").slice(4).join(" ")} ${words("d", 2)}` },
      ],
      max_tokens: 3,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = await events(chat);
    expect(chunks.at(-1).usage).toEqual({
      prompt_tokens: 10,
      completion_tokens: 3,
      total_tokens: 13,
      prompt_tokens_details: { cached_tokens: 8 },
    });

    expect(s.stats()).toMatchObject({
      prefix_queried_tokens: 11 + 13 + 10 + 11 + 10,
      prefix_hit_tokens: 8 + 4 + 8,
      prefill_tokens: 11 + 13 + 10 + 11 + 10 - (8 + 4 + 8),
    });
  });

  test("the generate API carries cached_tokens in its done event and whole body; without --prefix-cache it does not", async () => {
    const s = await server();
    const p = words("g", 9);
    expect(await (await post(s, "/generate", { prompt: p, max_tokens: 2 })).json()).toMatchObject({
      cached: false,
      cached_tokens: 0,
    });
    const streamed = await events(await post(s, "/generate", { prompt: p, max_tokens: 2, stream: true }));
    expect(streamed.at(-1)).toEqual({ done: true, cached: false, cached_tokens: 8 });

    const off = await server({ prefixCache: false });
    await post(off, "/generate", { prompt: p, max_tokens: 2 });
    const plain = await (await post(off, "/generate", { prompt: p, max_tokens: 2 })).json();
    expect("cached_tokens" in plain).toBe(false);
    const usage = (await (await post(off, "/v1/completions", { prompt: p, max_tokens: 2 })).json()).usage;
    expect(usage.prompt_tokens_details).toEqual({ cached_tokens: 0 });
    expect(off.stats()).toMatchObject({ prefix_queried_tokens: 0, prefix_hit_tokens: 0, prefill_tokens: 27 });
  });

  test("a response-cache hit reports the whole prompt cached, and does not touch the prefix cache", async () => {
    const s = await server({ cacheSize: 16 });
    const p = words("r", 6);
    await post(s, "/v1/completions", { prompt: p, max_tokens: 2 });
    const again = (await (await post(s, "/v1/completions", { prompt: p, max_tokens: 2 })).json()).usage;
    expect(again.prompt_tokens_details).toEqual({ cached_tokens: 6 });
    expect(s.stats()).toMatchObject({ cache_hits: 1, prefix_queried_tokens: 6, prefill_tokens: 6 });
  });

  test("a conversation's next turn finds the previous answer cached, not only the previous prompt", async () => {
    const s = await server();
    const user = words("u", 10);
    const turn1 = await (
      await post(s, "/v1/chat/completions", { messages: [{ role: "user", content: user }], max_tokens: 6 })
    ).json();
    expect(turn1.usage.prompt_tokens_details).toEqual({ cached_tokens: 0 });
    const answer = turn1.choices[0].message.content;
    const turn2 = await (
      await post(s, "/v1/chat/completions", {
        messages: [
          { role: "user", content: user },
          { role: "assistant", content: answer },
          { role: "user", content: words("v", 3) },
        ],
        max_tokens: 2,
      })
    ).json();
    // 10 + 6 + 3 = 19 tokens: the 4 full blocks of prompt and answer (16) hit, not only the prompt's 2
    expect(turn2.usage).toMatchObject({ prompt_tokens: 19, prompt_tokens_details: { cached_tokens: 16 } });
    expect(s.stats()).toMatchObject({ prefix_hit_tokens: 16, prefill_tokens: 10 + 3 });
  });

  test("LRU eviction over the wire: --prefix-cache-blocks 2", async () => {
    const s = await server({ prefixCacheBlocks: 2 });
    const cachedOf = async (prompt: string) =>
      (await (await post(s, "/v1/completions", { prompt, max_tokens: 1 })).json()).usage.prompt_tokens_details
        .cached_tokens;
    const a = words("a", 9);
    const b = words("b", 5);
    expect([await cachedOf(a), await cachedOf(b), await cachedOf(a), await cachedOf(b), await cachedOf(a)]).toEqual([
      0, 0, 4, 0, 4,
    ]);
    expect(s.stats()).toMatchObject({ prefix_cache_blocks: 2, prefix_evicted_blocks: 4 });
  });
});

test("prefill is charged for the uncached suffix only: a long cached prefix comes back first", async () => {
  // 1 ms per prefilled token: the cold prompt pays ≥ 400 ms before its first token, the warm one 4 tokens' worth
  const s = await server({ prefillMsPerToken: 1, prefixBlockTokens: 16 });
  const prefix = words("long", 400);
  const ttft = async (prompt: string) => {
    const t0 = performance.now();
    const res = await post(s, "/v1/completions", {
      prompt,
      max_tokens: 1,
      stream: true,
      stream_options: { include_usage: true },
    });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let rest = decoder.decode((await reader.read()).value);
    const t = performance.now() - t0;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += decoder.decode(value);
    }
    return { t, rest };
  };
  const cold = await ttft(`${prefix} tail1 tail2 tail3 tail4`);
  const warm = await ttft(`${prefix} other1 other2 other3 other4`);
  expect(cold.t).toBeGreaterThanOrEqual(404);
  expect(warm.t).toBeLessThan(cold.t);
  expect(warm.rest).toContain(`"cached_tokens":400`);
  expect(s.stats().prefill_tokens).toBe(404 + 4);
});

describe("serve's flags", () => {
  test("--prefix-cache, --prefix-block-tokens, --prefix-cache-blocks", () => {
    expect(parseServeOptions([])).toMatchObject({ prefixCache: false, prefixBlockTokens: 16, prefixCacheBlocks: 4096 });
    expect(
      parseServeOptions(["--prefix-cache", "--prefix-block-tokens", "32", "--prefix-cache-blocks", "100"]),
    ).toMatchObject({
      prefixCache: true,
      prefixBlockTokens: 32,
      prefixCacheBlocks: 100,
    });
    const bad = (argv: string[]) => {
      try {
        parseServeOptions(argv);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
      throw new Error("accepted");
    };
    expect(bad(["--prefix-block-tokens", "0"])).toBe("--prefix-block-tokens must be ≥ 1 and ≤ 1000000, got 0");
    expect(bad(["--prefix-cache-blocks", "2.5"])).toBe("--prefix-cache-blocks must be an integer, got '2.5'");
    expect(bad(["--prefix-cache=yes"])).toStartWith("--prefix-cache takes no value");
  });
});
