/** `run` against `serve --prefix-cache` on 127.0.0.1: the cached share the client reports, against what the prompts and the block size imply. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { runBenchmark } from "../../src/app/run.ts";
import { mergeResults } from "../../src/core/merge.ts";
import { renderReport } from "../../src/render/report.ts";
import { startServer, type RunningServer } from "../../src/server/index.ts";
import { runOptions } from "./helpers.ts";

const B = 16;
/** the prefix-cache hit a prompt of `p` tokens can have at most: whole blocks, one token left to compute */
const capped = (p: number) => Math.floor((p - 1) / B) * B;

describe("against serve --prefix-cache (response cache off, so only the prefix cache answers)", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({
      prefixCache: true,
      prefixBlockTokens: B,
      cacheSize: 0,
      decodeStepMs: 1,
      batchWindowMs: 0,
    });
  });
  afterAll(() => server.stop());

  test("synthetic prompts with a shared 40-token prefix: the exact cached share, next to the offered reusable share", async () => {
    // whitespace tokens are the server's tokens: prompt = 40 prefix words + the 2-word tag + filler, 100 words in all
    const prefix = 40;
    const { doc, records } = await runBenchmark(
      runOptions(`${server.url}/v1/completions`, {
        tokenizer: "whitespace",
        "prefix-tokens": String(prefix),
        "input-tokens": "100",
        requests: "30",
        concurrency: "4",
        "max-tokens": "4",
        "repeat-ratio": "0.2",
        warmup: "2",
      }),
    );
    const measured = records.filter((r) => r.phase === "measured");
    expect(measured).toHaveLength(30);
    let expectedCached = 0;
    let promptTokens = 0;
    let expectedReusable = 0;
    for (const r of measured) {
      const p = r.promptTokensCounted;
      expect(r.usage?.promptTokens).toBe(p);
      promptTokens += p;
      // a repeat was sent whole before (its first request had completed): every full block but the last token's;
      // a fresh prompt shares the prefix's full blocks with the warm-up before it, no more (the tag differs)
      expectedCached += r.repeat ? capped(p) : Math.floor(prefix / B) * B;
      expectedReusable += r.repeat ? p : prefix;
      expect(r.reusableTokens).toBe(r.repeat ? p : prefix);
    }
    expect(measured.filter((r) => r.repeat)).toHaveLength(6);
    const pc = doc.summary.prefix_cache!;
    expect(pc.reported).toBe(30);
    expect(pc.cached_tokens).toBe(expectedCached);
    expect(pc.prompt_tokens).toBe(promptTokens);
    expect(pc.cached_share).toBe(expectedCached / promptTokens);
    expect(pc.reusable_share).toBe(expectedReusable / promptTokens);
    // 6 repeats × 96 + 24 × 32 of 3000; offered 6 × 100 + 24 × 40
    expect([expectedCached, expectedReusable, promptTokens]).toEqual([6 * 96 + 24 * 32, 6 * 100 + 24 * 40, 3000]);
    expect(pc.cached_share_per_request).toMatchObject({ count: 30, min: 0.32, max: 0.96 });
    const report = renderReport(doc);
    expect(report).toContain(
      "Prefix cache  the workload offered 52.0% reusable prefix (1,560 of 3,000 prompt tokens); the server reported 44.8% cached (1,344 of 3,000 prompt tokens; per request p50 32.0%, p90 96.0%)",
    );
    expect(doc.notes.some((n) => n.includes("first-time prompts"))).toBe(false);
  });

  test("the generate API carries cached_tokens too; a rerun with the same seed is cached beyond what it offered, and a note says why", async () => {
    const args = {
      tokenizer: "whitespace",
      "prefix-tokens": "32",
      "input-tokens": "64",
      requests: "10",
      concurrency: "1",
      "max-tokens": "2",
      "repeat-ratio": "0",
      warmup: "1",
      seed: "77",
    };
    const first = await runBenchmark(runOptions(`${server.url}/generate`, args));
    expect(first.doc.summary.prefix_cache).toMatchObject({
      reported: 10,
      cached_tokens: 10 * 32,
      prompt_tokens: 640,
      offered: 10,
      reusable_tokens: 10 * 32,
    });
    expect(first.doc.notes.filter((n) => n.includes("it had seen these prompts"))).toEqual([]);
    const again = await runBenchmark(runOptions(`${server.url}/generate`, args));
    // every prompt was sent whole in the first run: 48 of 64 tokens cached (the last block holds the token left to compute)
    expect(again.doc.summary.prefix_cache).toMatchObject({
      cached_tokens: 10 * capped(64),
      cached_share: 0.75,
      reusable_share: 0.5,
    });
    expect(again.doc.notes).toContain(
      "the server reported 75.0% of prompt tokens cached where the workload offered 50.0% reusable: it had seen these prompts or their prefixes before (an earlier run with the same --seed, prompts that repeat or share a prefix in --prompts)",
    );
  });
});

test("a server that reports no cached_tokens: the report says so and splits TTFT by reusable share", async () => {
  const server = await startServer({ cacheSize: 64, decodeStepMs: 1, batchWindowMs: 0, prefillMsPerToken: 0.2 });
  try {
    const { doc } = await runBenchmark(
      runOptions(`${server.url}/generate`, {
        tokenizer: "whitespace",
        stream: true,
        "input-tokens": "50",
        requests: "20",
        concurrency: "2",
        "max-tokens": "3",
        "repeat-ratio": "0.5",
        warmup: "0",
      }),
    );
    const pc = doc.summary.prefix_cache!;
    expect(pc).toMatchObject({
      reported: 0,
      cached_share: null,
      offered: 20,
      reusable_tokens: 10 * 50,
      reusable_share: 0.5,
    });
    // the fresh prompts offer nothing, the repeats everything
    expect(pc.ttft_by_reusable_share.map((b) => b.requests)).toEqual([10, 0, 0, 0, 10]);
    const report = renderReport(doc);
    expect(report).toContain(
      "the server reported no cached_tokens (vLLM sends them with --enable-prompt-tokens-details)",
    );
    expect(report).toMatch(/ {2}0% {8} {8}10 +[\d.]+ +[\d.]+ +[\d.]+\n {2}>75–100% {4,}10 /);
  } finally {
    await server.stop();
  }
});

test("merge: with records the cached share is derived again; without, from the parts' sums — the same numbers", async () => {
  const server = await startServer({
    prefixCache: true,
    prefixBlockTokens: B,
    cacheSize: 0,
    decodeStepMs: 1,
    batchWindowMs: 0,
  });
  try {
    const run = (seed: string, prefix: string) =>
      runBenchmark(
        runOptions(`${server.url}/v1/chat/completions`, {
          tokenizer: "whitespace",
          "prefix-tokens": prefix,
          "input-tokens": "80",
          requests: "8",
          concurrency: "2",
          "max-tokens": "2",
          "repeat-ratio": "0.25",
          warmup: "1",
          seed,
        }),
      );
    const a = (await run("5", "20")).doc;
    const b = (await run("6", "50")).doc;
    const pa = a.summary.prefix_cache!;
    const pb = b.summary.prefix_cache!;
    const withRecords = mergeResults([
      { file: "a.json", doc: a },
      { file: "b.json", doc: b },
    ]).summary.prefix_cache!;
    const without = mergeResults([
      { file: "a.json", doc: { ...a, requests: null } },
      { file: "b.json", doc: { ...b, requests: null } },
    ]).summary.prefix_cache!;
    for (const m of [withRecords, without]) {
      expect(m.cached_tokens).toBe(pa.cached_tokens + pb.cached_tokens);
      expect(m.prompt_tokens).toBe(pa.prompt_tokens + pb.prompt_tokens);
      expect(m.cached_share).toBe((pa.cached_tokens + pb.cached_tokens) / (pa.prompt_tokens + pb.prompt_tokens));
      expect(m.reusable_share).toBe(
        (pa.reusable_tokens + pb.reusable_tokens) / (pa.offered_prompt_tokens + pb.offered_prompt_tokens),
      );
    }
    expect(withRecords.cached_share_per_request?.count).toBe(16);
    expect(without.cached_share_per_request).toBeNull();
    // the prefixes differ in length: 16 and 48 tokens of shared blocks per fresh chat prompt
    expect(pa.cached_tokens).toBeLessThan(pb.cached_tokens);
  } finally {
    await server.stop();
  }
});
