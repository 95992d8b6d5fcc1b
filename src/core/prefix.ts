/**
 * Prefix-cache measurement (README "Prefix caching"): what share of the prompt tokens the server
 * reported cached (`usage.prompt_tokens_details.cached_tokens`), next to the share the workload made
 * reusable (`reusableTokens`: a prefix sent before — shared trace blocks, earlier turns of a session,
 * an exact repeat). Where the server reports nothing, TTFT split by the reusable share says what the
 * cache did instead. Pure: folded one measured success at a time by SummaryAccumulator.
 */
import type { SchemaSummary } from "./generated/result-types.ts";
import { MetricDigest } from "./stats/digest.ts";
import { summarize, type Distribution } from "./stats/percentiles.ts";

/** The summary's `prefix_cache`: the result schema's own type (its descriptions say what each field is). */
export type PrefixCacheSummary = NonNullable<SchemaSummary["prefix_cache"]>;
/** TTFT of the requests whose reusable share falls in one bucket: (from, to], the first bucket exactly 0. */
export type ReusableBucket = PrefixCacheSummary["ttft_by_reusable_share"][number];

/** Upper edges of the reusable-share buckets after the first (exactly 0): (0, 25%], (25, 50%], (50, 75%], (75, 100%]. */
export const REUSABLE_EDGES = [0, 0.25, 0.5, 0.75, 1] as const;

/** The bucket index of a reusable share (0: none reusable). */
export function reusableBucket(share: number): number {
  if (!(share > 0)) return 0;
  for (let i = 1; i < REUSABLE_EDGES.length; i++) if (share <= REUSABLE_EDGES[i]) return i;
  return REUSABLE_EDGES.length - 1;
}

/** What one measured success tells: its tokens as the server and the client counted them, and its TTFT. */
export interface PrefixSample {
  /** the server's cached_tokens, undefined when its response did not carry one */
  cachedTokens: number | undefined;
  /** the prompt's tokens as the server counted them (usage.prompt_tokens), else the client's count */
  promptTokens: number;
  /** the prompt's tokens counted on the client */
  promptTokensCounted: number;
  /** the workload's reusable tokens, undefined when it said nothing */
  reusableTokens: number | undefined;
  ttftMs: number | null;
}

/** A distribution that keeps its samples (exact) or only a t-digest (flat memory). */
class Dist {
  readonly #samples: number[] | null;
  readonly #digest: MetricDigest | null;
  count = 0;
  constructor(keepSamples: boolean) {
    this.#samples = keepSamples ? [] : null;
    this.#digest = keepSamples ? null : new MetricDigest();
  }
  push(x: number): void {
    this.count++;
    if (this.#samples) this.#samples.push(x);
    else this.#digest!.push(x);
  }
  summary(): Distribution | null {
    return this.#samples ? summarize(this.#samples) : this.#digest!.summary();
  }
}

export class PrefixCacheAccumulator {
  #reported = 0;
  #promptTokens = 0;
  #cachedTokens = 0;
  readonly #perRequest: Dist;
  #offered = 0;
  #offeredPrompt = 0;
  #reusable = 0;
  readonly #buckets: Dist[];

  constructor(keepSamples = true) {
    this.#perRequest = new Dist(keepSamples);
    this.#buckets = REUSABLE_EDGES.map(() => new Dist(keepSamples));
  }

  add(s: PrefixSample): void {
    // vLLM leaves prompt_tokens_details out when nothing was cached: once any response of the run
    // carries cached_tokens, one without it counts as 0 cached (finish() drops it all when none does)
    if (s.cachedTokens !== undefined) this.#reported++;
    // never more cached than the prompt: where usage has no prompt_tokens (the generate API) the prompt
    // is the client's count, and the server's cached_tokens may exceed it
    const cached = Math.min(s.cachedTokens ?? 0, s.promptTokens);
    this.#promptTokens += s.promptTokens;
    this.#cachedTokens += cached;
    if (s.promptTokens > 0) this.#perRequest.push(cached / s.promptTokens);
    if (s.reusableTokens !== undefined) {
      this.#offered++;
      this.#offeredPrompt += s.promptTokensCounted;
      this.#reusable += s.reusableTokens;
      if (s.ttftMs !== null) {
        const share = s.promptTokensCounted > 0 ? s.reusableTokens / s.promptTokensCounted : 0;
        this.#buckets[reusableBucket(share)].push(s.ttftMs);
      }
    }
  }

  finish(): PrefixCacheSummary {
    const anyTtft = this.#buckets.some((b) => b.count > 0);
    return {
      reported: this.#reported,
      prompt_tokens: this.#promptTokens,
      cached_tokens: this.#cachedTokens,
      cached_share: this.#reported > 0 && this.#promptTokens > 0 ? this.#cachedTokens / this.#promptTokens : null,
      cached_share_per_request: this.#reported > 0 ? this.#perRequest.summary() : null,
      offered: this.#offered,
      offered_prompt_tokens: this.#offeredPrompt,
      reusable_tokens: this.#reusable,
      reusable_share: this.#offered > 0 && this.#offeredPrompt > 0 ? this.#reusable / this.#offeredPrompt : null,
      ttft_by_reusable_share: anyTtft
        ? this.#buckets.map((b, i) => ({
            from: i === 0 ? 0 : REUSABLE_EDGES[i - 1],
            to: REUSABLE_EDGES[i],
            requests: b.count,
            ttft_ms: b.summary(),
          }))
        : [],
    };
  }
}

/**
 * Summaries of parts run side by side (merge without records): token sums add up exactly, and so
 * do the shares computed from them; per-request distributions cannot be merged from summaries
 * (null), bucket request counts add up and their TTFTs are null. Undefined when no part has one.
 */
export function mergePrefixSummaries(
  parts: ReadonlyArray<PrefixCacheSummary | undefined>,
): PrefixCacheSummary | undefined {
  const known = parts.filter((p): p is PrefixCacheSummary => p !== undefined);
  if (known.length === 0) return undefined;
  const sum = (f: (p: PrefixCacheSummary) => number) => known.reduce((a, p) => a + f(p), 0);
  const reported = sum((p) => p.reported);
  const promptTokens = sum((p) => p.prompt_tokens);
  const cachedTokens = sum((p) => p.cached_tokens);
  const offered = sum((p) => p.offered);
  const offeredPrompt = sum((p) => p.offered_prompt_tokens);
  const reusable = sum((p) => p.reusable_tokens);
  const withBuckets = known.filter((p) => p.ttft_by_reusable_share.length > 0);
  return {
    reported,
    prompt_tokens: promptTokens,
    cached_tokens: cachedTokens,
    cached_share: reported > 0 && promptTokens > 0 ? cachedTokens / promptTokens : null,
    cached_share_per_request: null,
    offered,
    offered_prompt_tokens: offeredPrompt,
    reusable_tokens: reusable,
    reusable_share: offered > 0 && offeredPrompt > 0 ? reusable / offeredPrompt : null,
    ttft_by_reusable_share:
      withBuckets.length === 0
        ? []
        : REUSABLE_EDGES.map((to, i) => ({
            from: i === 0 ? 0 : REUSABLE_EDGES[i - 1],
            to,
            requests: withBuckets.reduce((a, p) => a + (p.ttft_by_reusable_share[i]?.requests ?? 0), 0),
            ttft_ms: null,
          })),
  };
}

/** How far the cached share may exceed the offered reusable share before a note says why (shares of two tokenizers' counts differ a little). */
export const EXCESS_CACHED_SHARE = 0.05;

/**
 * A note when the server reported clearly more cached than the workload offered: it had seen the
 * prompts before (an earlier run with the same --seed, prompts that repeat in a file, prefixes the
 * workload does not know it shares). Null otherwise.
 */
export function prefixCacheNote(p: PrefixCacheSummary | undefined): string | null {
  if (!p || p.cached_share === null || p.reusable_share === null) return null;
  if (p.cached_share <= p.reusable_share + EXCESS_CACHED_SHARE) return null;
  const pc = (x: number) => `${(x * 100).toFixed(1)}%`;
  return `the server reported ${pc(p.cached_share)} of prompt tokens cached where the workload offered ${pc(p.reusable_share)} reusable: it had seen these prompts or their prefixes before (an earlier run with the same --seed, prompts that repeat or share a prefix in --prompts)`;
}
