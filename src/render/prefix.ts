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

/** The report's lines: the sentence, and, when the server reported nothing, TTFT by reusable share instead. */
export function prefixCacheLines(p: PrefixCacheSummary | undefined): string[] {
  const sentence = prefixCacheSentence(p);
  if (sentence === null) return [];
  const lines = [`Prefix cache  ${sentence}`];
  if (p!.reported === 0 && p!.ttft_by_reusable_share.some((b) => b.requests > 0)) {
    lines.push(`  TTFT by reusable share of the prompt (what a prefix cache would shorten):`);
    lines.push(
      `  ${"reusable".padEnd(10)}${["requests", "TTFT p50", "TTFT p90", "TTFT p99"].map((h) => h.padStart(10)).join("")}`,
    );
    for (const b of p!.ttft_by_reusable_share) {
      if (b.requests === 0) continue;
      const t = b.ttft_ms;
      lines.push(
        `  ${bucketLabel(b).padEnd(10)}${[String(b.requests), ms(t?.p50), ms(t?.p90), ms(t?.p99)].map((c) => c.padStart(10)).join("")}`,
      );
    }
  }
  return lines;
}

/** The same as label/value rows (the HTML report's facts table). */
export function prefixCacheFacts(p: PrefixCacheSummary | undefined): Array<[string, string]> {
  const sentence = prefixCacheSentence(p);
  if (sentence === null) return [];
  const rows: Array<[string, string]> = [["Prefix cache", sentence]];
  if (p!.reported === 0) {
    for (const b of p!.ttft_by_reusable_share) {
      if (b.requests > 0)
        rows.push([
          `TTFT, ${bucketLabel(b)} reusable`,
          `p50 ${ms(b.ttft_ms?.p50)} ms, p90 ${ms(b.ttft_ms?.p90)} ms, p99 ${ms(b.ttft_ms?.p99)} ms (${b.requests} requests)`,
        ]);
    }
  }
  return rows;
}
