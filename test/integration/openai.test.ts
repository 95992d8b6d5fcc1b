/** The OpenAI APIs against the built-in server: true TTFT/ITL/TPOT from SSE, usage, model discovery. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { runBenchmark } from "../../src/app/run.ts";
import { deriveRequest } from "../../src/core/metrics.ts";
import { summarize } from "../../src/core/stats/percentiles.ts";
import { startServer, type RunningServer } from "../../src/server/index.ts";
import { runOptions, scripted, sseStream } from "./helpers.ts";

const cfg = { decodeStepMs: 10, batchWindowMs: 5, prefillMsPerToken: 0.5 };
let server: RunningServer;
beforeAll(async () => {
  server = await startServer(cfg);
});
afterAll(() => server.stop());

describe.each(["/v1/completions", "/v1/chat/completions"])("%s streamed", (path) => {
  test("TTFT, ITL and TPOT agree with the configuration; tokens come from usage", async () => {
    const info: string[] = [];
    const before = server.stats();
    const out = await runBenchmark(
      runOptions(`${server.url}${path}`, {
        seed: path.includes("chat") ? "11" : "12",
        requests: "5",
        concurrency: "1",
        "max-tokens": "12",
        "repeat-ratio": "0",
        warmup: "1",
      }),
      { info: (m) => info.push(m) },
    );
    const s = out.doc.summary;
    expect(s.requests.succeeded).toBe(5);
    expect(out.doc.config.api).toBe(path.includes("chat") ? "openai-chat" : "openai-completions");
    expect(out.doc.config.model).toBe("llmbench-sim"); // discovered
    expect(info.join("\n")).toContain("using model 'llmbench-sim'");
    expect(s.ttft_kind).toBe("token");
    expect(s.tokens_source).toBe("usage");
    expect(s.tokens.output).toBe(5 * 12);
    // the server's prompt length (it counts words) sets its prefill time
    const promptTokens = Math.min(...out.records.map((r) => r.usage!.promptTokens!));
    expect(promptTokens).toBeGreaterThan(20);
    // role-only first chunk is not a token: TTFT ≥ window + prefill + one step
    expect(s.ttft_ms!.min).toBeGreaterThanOrEqual(
      cfg.batchWindowMs + promptTokens * cfg.prefillMsPerToken + cfg.decodeStepMs - 2,
    );
    expect(s.itl_ms!.count).toBe(5 * 11);
    // the server's own counters: 6 answers (1 warm-up) of 12 tokens, one token per decode step at concurrency 1
    expect(server.stats().tokens_generated - before.tokens_generated).toBe(6 * 12);
    expect(server.stats().decode_steps - before.decode_steps).toBe(6 * 12);
    // No single gap, TPOT or even their median is bounded below by a step: the server keeps an absolute
    // schedule, so after a late timer (a busy machine) its steps catch up back to back. What holds for
    // every request: its last token, and so TTFT + Σ ITL and TTFT + 11 × TPOT (= E2E), comes no earlier
    // than the end of the server's schedule, window + prefill + 12 steps.
    const measured = out.records.filter((r) => r.phase === "measured");
    const reaches = measured.map((r) => {
      const m = deriveRequest(r);
      const end = cfg.batchWindowMs + r.usage!.promptTokens! * cfg.prefillMsPerToken + 12 * cfg.decodeStepMs - 1;
      return [m.ttftMs! + m.itlMs.reduce((a, g) => a + g, 0) >= end, m.ttftMs! + 11 * m.tpotMs! >= end];
    });
    expect(reaches).toEqual(Array(5).fill([true, true]));
    // and the summary's TPOT is that of the raw timestamps: (t_end − t_first) / (n − 1), per request
    expect(s.tpot_ms!.p50).toBeCloseTo(summarize(measured.map((r) => (r.tEnd! - r.tokenTimes[0]) / 11))!.p50, 6);
  });
});

test("cached_tokens is the cache signal for OpenAI APIs", async () => {
  const { doc } = await runBenchmark(
    runOptions(`${server.url}/v1/chat/completions`, {
      seed: "13",
      requests: "10",
      concurrency: "2",
      "max-tokens": "4",
      "repeat-ratio": "0.5",
      warmup: "0",
    }),
  );
  expect(doc.summary.cache.repeat_hit_rate).toBe(1);
  expect(doc.summary.cache.hit_rate).toBe(0.5);
});

test("--no-stream against OpenAI: first-byte TTFT, usage still read", async () => {
  const { doc } = await runBenchmark(
    runOptions(`${server.url}/v1/completions`, {
      seed: "14",
      stream: false,
      requests: "3",
      concurrency: "1",
      "max-tokens": "5",
      "repeat-ratio": "0",
      warmup: "0",
    }),
  );
  expect(doc.summary.ttft_kind).toBe("first-byte");
  expect(doc.summary.tpot_ms).toBeNull();
  expect(doc.summary.tokens_source).toBe("usage");
});

test("a server without usage: tokens counted with the BPE tokenizer, and the source says so", async () => {
  const chunk = (content: string) =>
    `data: {"choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}}}]}\n\n`;
  const peer = scripted(() => sseStream([chunk("Hello"), chunk(" world"), chunk("!"), "data: [DONE]\n\n"], 5));
  try {
    const { doc } = await runBenchmark(
      runOptions(`${peer.url}/v1/chat/completions`, {
        model: "m",
        requests: "2",
        concurrency: "1",
        "max-tokens": "3",
        warmup: "0",
        "repeat-ratio": "0",
      }),
    );
    expect(doc.summary.tokens_source).toBe("o200k");
    expect(doc.summary.tokens.output).toBe(2 * 3); // "Hello", " world", "!"
    expect(doc.summary.itl_ms!.count).toBe(4);
  } finally {
    peer.stop();
  }
});

test("--extra-body, --header and the API key reach the server", async () => {
  let seen: { body: Record<string, unknown>; headers: Headers } | undefined;
  const peer = scripted(async (req) => {
    seen = { body: (await req.json()) as Record<string, unknown>, headers: req.headers };
    return sseStream(
      [
        `data: {"choices":[{"index":0,"text":" a","finish_reason":"length"}],"usage":{"prompt_tokens":3,"completion_tokens":1}}\n\n`,
        "data: [DONE]\n\n",
      ],
      1,
    );
  });
  try {
    const raw = ["--header", "X-One: 1", "--header", "X-Two: 2"];
    const opts = runOptions(
      `${peer.url}/v1/completions`,
      {
        model: "m",
        requests: "1",
        warmup: "0",
        "repeat-ratio": "0",
        "extra-body": '{"ignore_eos": true, "min_tokens": 1}',
        "api-key": "sk-test",
      },
      raw,
    );
    await runBenchmark(opts);
    expect(seen!.body).toMatchObject({
      model: "m",
      max_tokens: 100,
      stream: true,
      stream_options: { include_usage: true },
      ignore_eos: true,
      min_tokens: 1,
    });
    expect(seen!.headers.get("x-one")).toBe("1");
    expect(seen!.headers.get("x-two")).toBe("2");
    expect(seen!.headers.get("authorization")).toBe("Bearer sk-test");
  } finally {
    peer.stop();
  }
});

test("an error event mid-stream is a protocol error and the run goes on", async () => {
  let n = 0;
  const peer = scripted(() =>
    n++ % 2 === 0
      ? sseStream(
          [`data: {"choices":[{"index":0,"text":" a"}]}\n\n`, `data: {"error":{"message":"engine died"}}\n\n`],
          1,
        )
      : sseStream([`data: {"choices":[{"index":0,"text":" a","finish_reason":"length"}]}\n\n`, "data: [DONE]\n\n"], 1),
  );
  try {
    const out = await runBenchmark(
      runOptions(`${peer.url}/v1/completions`, {
        model: "m",
        requests: "6",
        concurrency: "1",
        warmup: "0",
        "repeat-ratio": "0",
      }),
    );
    expect(out.doc.summary.errors.protocol).toBe(3);
    expect(out.doc.summary.requests.succeeded).toBe(3);
    expect(out.records.find((r) => r.error)!.error!.message).toContain("engine died");
  } finally {
    peer.stop();
  }
});

test("a server that closes the connection after each response; chunks of several tokens; reasoning kept apart", async () => {
  const chunk = (delta: Record<string, string>) =>
    `data: {"choices":[{"index":0,"delta":${JSON.stringify(delta)}}]}\n\n`;
  const peer = scripted(() => {
    const res = sseStream(
      [
        chunk({ role: "assistant", content: "" }),
        chunk({ reasoning_content: "think hard" }),
        chunk({ content: "one two three" }),
        chunk({ content: " four five six" }),
        `data: {"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":8}}\n\n`,
        "data: [DONE]\n\n",
      ],
      5,
    );
    res.headers.set("connection", "close");
    return res;
  });
  try {
    const out = await runBenchmark(
      runOptions(`${peer.url}/v1/chat/completions`, {
        model: "m",
        requests: "4",
        concurrency: "2",
        "max-tokens": "8",
        warmup: "0",
        "repeat-ratio": "0",
      }),
    );
    const s = out.doc.summary;
    expect(s.requests.succeeded).toBe(4);
    expect(s.tokens.output).toBe(32);
    expect(s.tokens.reasoning).toBe(4 * 2); // "think hard" = 2 o200k tokens
    expect(s.tokens.tokens_per_chunk).toBeCloseTo(8 / 3, 9); // 3 token-bearing chunks: reasoning + 2 content
    expect(out.doc.notes.join("\n")).toContain("tokens each on average");
    expect(s.tokens.usage_vs_client).toEqual({ compared: 4, disagreed: 0, mean_relative_difference: 0 });
  } finally {
    peer.stop();
  }
});
