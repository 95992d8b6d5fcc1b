/** The summary's prefix_cache → the report's lines (terminal and HTML share them). Pure. */
import { ms, num, pct } from "../core/format.ts";
import type { PrefixCacheSummary, ReusableBucket } from "../core/prefix.ts";

/** "0%", "1–25%", … "76–100%": a bucket of reusable share as a reader says it. */
export function bucketLabel(b: Pick<ReusableBucket, "from" | "to">): string {
  return b.to === 0 ? "0%" : `${b.from === 0 ? ">0" : `>${Math.round(b.from * 100)}`}–${Math.round(b.to * 100)}%`;
}

/**
 * The one sentence: what the workload offered, what the server reported. Null when there is
 * nothing to say (no cached_tokens from the server and no reusable tokens offered).
 */
export function prefixCacheSentence(p: PrefixCacheSummary | undefined): string | null {
  if (!p || (p.reported === 0 && p.reusable_tokens === 0)) return null;
  const offered =
    p.offered > 0
      ? `the workload offered ${pct(p.reusable_share)} reusable prefix (${num(p.reusable_tokens, 0)} of ${num(p.offered_prompt_tokens, 0)} prompt tokens)`
      : "the workload did not say what it made reusable";
  const d = p.cached_share_per_request;
  const reported =
    p.reported > 0
      ? `the server reported ${pct(p.cached_share)} cached (${num(p.cached_tokens, 0)} of ${num(p.prompt_tokens, 0)} prompt tokens${d ? `; per request p50 ${pct(d.p50)}, p90 ${pct(d.p90)}` : ""})`
      : "the server reported no cached_tokens (vLLM sends them with --enable-prompt-tokens-details)";
  return `${offered}; ${reported}`;
}

/** The summary's fact line (render/rows.ts puts it under the cache line); null when there is nothing to say. */
export function prefixCacheFact(p: PrefixCacheSummary | undefined): readonly [string, string] | null {
  const sentence = prefixCacheSentence(p);
  return sentence === null ? null : ["Prefix cache", sentence];
}

/** What the table of TTFT by reusable share shows, above it. */
export const REUSABLE_TITLE = "TTFT by reusable share of the prompt (what a prefix cache would shorten):";
export const REUSABLE_COLUMNS = ["reusable", "requests", "TTFT p50", "TTFT p90", "TTFT p99"] as const;

/**
 * TTFT by reusable share, a row per bucket that has requests — shown where the server reported no
 * cached_tokens (what it would have shortened); none otherwise. The text and the HTML page draw these rows.
 */
export function reusableRows(p: PrefixCacheSummary | undefined): string[][] {
  if (!p || prefixCacheSentence(p) === null || p.reported > 0) return [];
  return p.ttft_by_reusable_share
    .filter((b) => b.requests > 0)
    .map((b) => [bucketLabel(b), String(b.requests), ms(b.ttft_ms?.p50), ms(b.ttft_ms?.p90), ms(b.ttft_ms?.p99)]);
}
