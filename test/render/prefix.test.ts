/** The report's prefix-cache lines from hand-built summaries: exact text. */
import { expect, test } from "bun:test";
import type { PrefixCacheSummary } from "../../src/core/prefix.ts";
import { bucketLabel, prefixCacheFact, prefixCacheSentence, reusableRows } from "../../src/render/prefix.ts";

const dist = (p50: number, p90: number) => ({ count: 4, mean: p50, min: p50, max: p90, p50, p90, p95: p90, p99: p90 });
const base: PrefixCacheSummary = {
  reported: 0,
  prompt_tokens: 1000,
  cached_tokens: 0,
  cached_share: null,
  cached_share_per_request: null,
  offered: 0,
  offered_prompt_tokens: 0,
  reusable_tokens: 0,
  reusable_share: null,
  ttft_by_reusable_share: [],
};

test("nothing reported and nothing offered: no line", () => {
  expect([prefixCacheFact(undefined), prefixCacheFact(base)]).toEqual([null, null]);
  expect([reusableRows(undefined), reusableRows(base)]).toEqual([[], []]);
});

test("both: one sentence, offered then reported", () => {
  const p = {
    ...base,
    reported: 4,
    cached_tokens: 580,
    cached_share: 0.58,
    cached_share_per_request: dist(0.5, 0.9),
    offered: 4,
    offered_prompt_tokens: 1000,
    reusable_tokens: 620,
    reusable_share: 0.62,
  };
  expect(prefixCacheFact(p)).toEqual([
    "Prefix cache",
    "the workload offered 62.0% reusable prefix (620 of 1,000 prompt tokens); the server reported 58.0% cached (580 of 1,000 prompt tokens; per request p50 50.0%, p90 90.0%)",
  ]);
  // the server reported cached_tokens: no TTFT split
  expect(
    reusableRows({ ...p, ttft_by_reusable_share: [{ from: 0, to: 0, requests: 3, ttft_ms: dist(20, 30) }] }),
  ).toEqual([]);
});

test("reported, with a workload that says nothing about reuse", () => {
  expect(prefixCacheSentence({ ...base, reported: 1, cached_tokens: 100, cached_share: 0.1 })).toBe(
    "the workload did not say what it made reusable; the server reported 10.0% cached (100 of 1,000 prompt tokens)",
  );
});

test("nothing reported: the TTFT split instead, empty buckets left out", () => {
  const buckets = [
    { from: 0, to: 0, requests: 3, ttft_ms: dist(20, 30) },
    { from: 0, to: 0.25, requests: 0, ttft_ms: null },
    { from: 0.25, to: 0.5, requests: 0, ttft_ms: null },
    { from: 0.5, to: 0.75, requests: 1, ttft_ms: dist(12.5, 12.5) },
    { from: 0.75, to: 1, requests: 0, ttft_ms: null },
  ];
  const p = {
    ...base,
    offered: 4,
    offered_prompt_tokens: 1000,
    reusable_tokens: 150,
    reusable_share: 0.15,
    ttft_by_reusable_share: buckets,
  };
  expect(prefixCacheSentence(p)).toBe(
    "the workload offered 15.0% reusable prefix (150 of 1,000 prompt tokens); the server reported no cached_tokens (vLLM sends them with --enable-prompt-tokens-details)",
  );
  expect(reusableRows(p)).toEqual([
    ["0%", "3", "20.0", "30.0", "30.0"],
    [">50–75%", "1", "12.5", "12.5", "12.5"],
  ]);
  expect(buckets.map(bucketLabel)).toEqual(["0%", ">0–25%", ">25–50%", ">50–75%", ">75–100%"]);
});
