/** Prefix-cache measurement, pure: cached_tokens read from real-format bodies, and the summary's shares and buckets exactly. */
import { describe, expect, test } from "bun:test";
import { summarizeRun, type RawRecord } from "../../src/core/metrics.ts";
import { mergePrefixSummaries, PrefixCacheAccumulator, reusableBucket } from "../../src/core/prefix.ts";
import { generateProtocol } from "../../src/core/protocols/generate.ts";
import { openaiChatProtocol } from "../../src/core/protocols/openai.ts";
import { createBodyDecoder } from "../../src/core/body.ts";
import { ProtocolError } from "../../src/core/errors.ts";
import { fixtureBytes, runDecoder, SEEDS, splitBytes, utf8 } from "./protocols/helpers.ts";
import { compareRuns, type CompareSettings } from "../../src/core/compare/compare.ts";
import { ratioEstimate } from "../../src/core/compare/shares.ts";
import { parseGate, parseThresholds } from "../../src/core/compare/thresholds.ts";
import type { RunData } from "../../src/core/importers/types.ts";
import { syntheticRun } from "./compare/helpers.ts";
import { record } from "../documents.ts";

/** a streamed request of 100 prompt tokens sent at 0 and ended at 100 */
const rec = (over: Partial<RawRecord>): RawRecord =>
  record({ tSend: 0, tEnd: 100, streamed: true, outputTokensCounted: 2, promptTokensCounted: 100, ...over });

describe("cached_tokens from the wire", () => {
  test("a vLLM-format chat stream (usage on every chunk, cached_tokens on the last), split at 200 seeded boundaries", () => {
    const bytes = fixtureBytes("vllm-style-chat-stream-cached.sse");
    const whole = runDecoder(openaiChatProtocol.createDecoder("text/event-stream"), [bytes]);
    for (const seed of SEEDS)
      expect(runDecoder(openaiChatProtocol.createDecoder("text/event-stream"), splitBytes(bytes, seed))).toEqual(whole);
    let usage = {};
    for (const e of whole) if (e.type === "usage") usage = { ...usage, ...e.usage };
    expect(usage).toEqual({ promptTokens: 1061, completionTokens: 7, cachedTokens: 1040 });
    expect(whole.filter((e) => e.type === "cached")).toEqual([{ type: "cached", cached: true }]);
    expect(
      whole
        .filter((e) => e.type === "delta")
        .map((e) => (e as { text: string }).text)
        .join(""),
    ).toBe(" The cache held the system prompt.");
  });

  test("the generate API: cached_tokens next to cached, in the done event and the whole body", () => {
    const sse =
      'data: {"text": " a"}\n\ndata: {"done": true, "cached": false, "cached_tokens": 48}\n\ndata: [DONE]\n\n';
    for (const seed of SEEDS.slice(0, 50)) {
      expect(runDecoder(generateProtocol.createDecoder("text/event-stream"), splitBytes(utf8(sse), seed))).toEqual([
        { type: "delta", text: " a", reasoning: "" },
        { type: "cached", cached: false },
        { type: "usage", usage: { cachedTokens: 48 } },
        { type: "done" },
      ]);
    }
    expect(
      runDecoder(generateProtocol.createDecoder("application/json"), [
        utf8('{"text": "x", "cached": true, "cached_tokens": 7}'),
      ]),
    ).toContainEqual({ type: "usage", usage: { cachedTokens: 7 } });
    // without it, no usage at all (the seed's format is unchanged)
    expect(
      runDecoder(generateProtocol.createDecoder("application/json"), [utf8('{"text": "x", "cached": true}')]).some(
        (e) => e.type === "usage",
      ),
    ).toBe(false);
    expect(() =>
      runDecoder(generateProtocol.createDecoder("application/json"), [utf8('{"text": "x", "cached_tokens": -1}')]),
    ).toThrow(ProtocolError);
    expect(() =>
      runDecoder(generateProtocol.createDecoder("application/json"), [utf8('{"text": "x", "cached_tokens": "3"}')]),
    ).toThrow('"cached_tokens" is "3", not a count');
  });

  test("the record's usage: the fixture's last chunk adds cachedTokens to the counts of the chunks before it", () => {
    const body = createBodyDecoder(openaiChatProtocol, "text/event-stream", 1 << 20);
    const text = new TextDecoder().decode(fixtureBytes("vllm-style-chat-stream-cached.sse"));
    text.split("\n\n").forEach((piece, i, all) => body.push(i < all.length - 1 ? `${piece}\n\n` : piece, i));
    body.end(99);
    expect(body.usage).toEqual({ promptTokens: 1061, completionTokens: 7, cachedTokens: 1040 });
    expect(body.tokenTimes).toHaveLength(7);
    expect(body.cached).toBe(true);
  });
});

describe("the summary", () => {
  test("cached share over prompt tokens (the server's count), per request, next to the offered reusable share", () => {
    const records = [
      // 100 prompt tokens by the server, 64 cached; the client counted 96, 64 reusable
      rec({
        tokenTimes: [10, 20],
        promptTokensCounted: 96,
        reusableTokens: 64,
        usage: { promptTokens: 100, completionTokens: 2, cachedTokens: 64 },
      }),
      // nothing offered, nothing cached
      rec({
        tokenTimes: [40, 50],
        promptTokensCounted: 50,
        reusableTokens: 0,
        usage: { promptTokens: 50, completionTokens: 2, cachedTokens: 0 },
      }),
      // vLLM leaves prompt_tokens_details out when nothing was cached: 0 of 50
      rec({
        tokenTimes: [30, 40],
        promptTokensCounted: 48,
        reusableTokens: 16,
        usage: { promptTokens: 50, completionTokens: 2 },
      }),
      // a failure and a warm-up count nowhere
      rec({ tEnd: 5, error: { class: "http_5xx", message: "x" }, reusableTokens: 5, usage: { cachedTokens: 99 } }),
      rec({ phase: "warmup", tokenTimes: [1], reusableTokens: 100, usage: { promptTokens: 100, cachedTokens: 100 } }),
    ];
    const p = summarizeRun(records, "o200k").summary.prefix_cache!;
    expect(p.reported).toBe(2);
    expect(p.prompt_tokens).toBe(200);
    expect(p.cached_tokens).toBe(64);
    expect(p.cached_share).toBe(64 / 200);
    expect(p.cached_share_per_request).toMatchObject({ count: 3, min: 0, max: 0.64, p50: 0 });
    expect(p.cached_share_per_request!.mean).toBeCloseTo(0.64 / 3, 12);
    expect(p.offered).toBe(3);
    expect(p.offered_prompt_tokens).toBe(96 + 50 + 48);
    expect(p.reusable_tokens).toBe(80);
    expect(p.reusable_share).toBe(80 / 194);
    // shares 0 → bucket 0; 16/48 = 1/3 → (25%, 50%]; 64/96 = 2/3 → (50%, 75%]
    expect(p.ttft_by_reusable_share.map((b) => [b.from, b.to, b.requests, b.ttft_ms?.p50 ?? null])).toEqual([
      [0, 0, 1, 40],
      [0, 0.25, 0, null],
      [0.25, 0.5, 1, 30],
      [0.5, 0.75, 1, 10],
      [0.75, 1, 0, null],
    ]);
  });

  test("a server that reports nothing: no cached share, the TTFT split stays", () => {
    const p = summarizeRun(
      [rec({ tokenTimes: [7, 8], reusableTokens: 100 }), rec({ tokenTimes: [9, 10], reusableTokens: 0 })],
      "o200k",
    ).summary.prefix_cache!;
    expect(p).toMatchObject({
      reported: 0,
      cached_share: null,
      cached_share_per_request: null,
      offered: 2,
      reusable_share: 0.5,
    });
    expect(p.ttft_by_reusable_share.map((b) => b.requests)).toEqual([1, 0, 0, 0, 1]);
    expect(p.ttft_by_reusable_share[4].ttft_ms).toMatchObject({ count: 1, p50: 7 });
  });

  test("cached_tokens past the prompt's count (usage without prompt_tokens: the client counted the prompt) is held to the prompt", () => {
    const p = summarizeRun(
      [
        rec({ tokenTimes: [7, 8], promptTokensCounted: 80, usage: { cachedTokens: 96 } }),
        rec({ tokenTimes: [7, 8], promptTokensCounted: 120, usage: { cachedTokens: 60 } }),
      ],
      "o200k",
    ).summary.prefix_cache!;
    expect(p).toMatchObject({ reported: 2, cached_tokens: 140, prompt_tokens: 200, cached_share: 0.7 });
    expect([p.cached_share_per_request!.min, p.cached_share_per_request!.max]).toEqual([0.5, 1]);
  });

  test("a workload that says nothing about reuse: no offered share and no split", () => {
    const p = summarizeRun([rec({ tokenTimes: [7, 8], usage: { promptTokens: 10, cachedTokens: 5 } })], "o200k").summary
      .prefix_cache!;
    expect(p).toMatchObject({
      reported: 1,
      cached_share: 0.5,
      offered: 0,
      reusable_share: null,
      ttft_by_reusable_share: [],
    });
  });

  test("buckets: exactly 0, then (0, 25%], (25, 50%], (50, 75%], (75, 100%]", () => {
    expect([0, 1e-9, 0.25, 0.2500001, 0.5, 0.75, 0.76, 1].map(reusableBucket)).toEqual([0, 1, 1, 2, 2, 3, 4, 4]);
  });

  test("without kept samples the totals are the same and the distributions come from digests", () => {
    const kept = new PrefixCacheAccumulator(true);
    const flat = new PrefixCacheAccumulator(false);
    for (let i = 0; i < 50; i++) {
      const s = {
        cachedTokens: (i % 5) * 16,
        promptTokens: 100,
        promptTokensCounted: 100,
        reusableTokens: (i % 5) * 20,
        ttftMs: 10 + i,
      };
      kept.add(s);
      flat.add(s);
    }
    const a = kept.finish();
    const b = flat.finish();
    expect({ ...b, cached_share_per_request: null, ttft_by_reusable_share: [] }).toEqual({
      ...a,
      cached_share_per_request: null,
      ttft_by_reusable_share: [],
    });
    expect(b.cached_share_per_request).toMatchObject({ count: 50, min: 0, max: 0.64 });
    expect(b.ttft_by_reusable_share.map((x) => x.requests)).toEqual(a.ttft_by_reusable_share.map((x) => x.requests));
  });

  test("merging summaries: the sums add up and the shares follow from them exactly", () => {
    const part = (records: RawRecord[]) => summarizeRun(records, "o200k").summary.prefix_cache;
    const x = part([rec({ tokenTimes: [1, 2], reusableTokens: 50, usage: { promptTokens: 100, cachedTokens: 48 } })]);
    const y = part([
      rec({
        tokenTimes: [1, 2],
        reusableTokens: 0,
        promptTokensCounted: 300,
        usage: { promptTokens: 300, cachedTokens: 0 },
      }),
    ]);
    const m = mergePrefixSummaries([x, y, undefined])!;
    expect(m).toMatchObject({
      reported: 2,
      prompt_tokens: 400,
      cached_tokens: 48,
      cached_share: 48 / 400,
      offered: 2,
      offered_prompt_tokens: 400,
      reusable_tokens: 50,
      reusable_share: 50 / 400,
      cached_share_per_request: null,
    });
    expect(m.ttft_by_reusable_share.map((b) => [b.requests, b.ttft_ms])).toEqual([
      [1, null],
      [0, null],
      [1, null],
      [0, null],
      [0, null],
    ]); // shares 0 and 50%
    expect(mergePrefixSummaries([undefined, undefined])).toBeUndefined();
  });
});

describe("compare: the prefix cached share", () => {
  const settings = (): CompareSettings => ({
    thresholds: parseThresholds([]),
    gate: parseGate("default,cached_token_share"),
    alpha: 0.05,
    gateOnRatios: false,
  });
  /** 200 requests of 1000 prompt tokens, `cached(i)` of them cached */
  const withShare = (source: string, cached: (i: number) => number, records = true): RunData => {
    const pairs = Array.from({ length: 200 }, (_, i): [number, number] => [cached(i), 1000]);
    return {
      ...syntheticRun(source),
      prefixCache: { part: pairs.reduce((a, [y]) => a + y, 0), whole: 200_000, perRequest: records ? pairs : null },
    };
  };
  const row = (c: ReturnType<typeof compareRuns>) => c.metrics.find((m) => m.name === "cached_token_share")!;

  test("the ratio estimator's variance by hand", () => {
    // shares 0.5 and 0.7 of 100 tokens each: R = 0.6, residuals −10 and +10
    expect(
      ratioEstimate([
        [50, 100],
        [70, 100],
      ]),
    ).toEqual({ share: 0.6, variance: (2 * 200) / 200 ** 2, n: 2 });
    expect(ratioEstimate([[5, 10]]).variance).toBeNull();
  });

  test("a drop in cached share beyond 5pp regresses (and fails a gate that holds it); the same share is unchanged", () => {
    // baseline: alternating 600 and 700 cached (65%); candidate: 500 and 600 (55%)
    const base = withShare("base.json", (i) => (i % 2 ? 600 : 700));
    const worse = compareRuns([base], [withShare("cand.json", (i) => (i % 2 ? 500 : 600))], settings());
    expect(row(worse)).toMatchObject({
      verdict: "regressed",
      base: 0.65,
      cand: 0.55,
      changeUnit: "pp",
      gated: true,
      samples: { base: 200, cand: 200 },
    });
    expect(row(worse).change).toBeCloseTo(-0.1, 12);
    expect(worse.gatedRegressions).toContain("cached_token_share");
    const same = compareRuns([base], [withShare("cand.json", (i) => (i % 2 ? 700 : 600))], settings());
    expect(row(same)).toMatchObject({ verdict: "unchanged", change: 0 });
    const better = compareRuns([base], [withShare("cand.json", (i) => (i % 2 ? 800 : 900))], settings());
    expect(row(better).verdict).toBe("improved");
  });

  test("without records: the bare difference, not judged; without cached_tokens: n/a", () => {
    const c = compareRuns([withShare("a.json", () => 650, false)], [withShare("b.json", () => 100, false)], settings());
    expect(row(c)).toMatchObject({ verdict: "unjudged", interval: null });
    expect(row(c).change).toBeCloseTo(-0.55, 12);
    const none = compareRuns([syntheticRun("a.json")], [withShare("b.json", () => 100)], settings());
    expect(row(none)).toMatchObject({ verdict: "unavailable", reason: "no cached_tokens reported in a.json" });
  });
});
