/**
 * What `compare` needs from one run, whatever file it came from: an llmbench result of any schema
 * version, or a vLLM `bench serve` result. Importers turn a parsed document into this; nothing
 * downstream looks at the file's own format.
 */
import type { SerializedDigest } from "../stats/digest.ts";
import type { Distribution } from "../stats/percentiles.ts";

export const FAMILIES = ["ttft", "tpot", "itl", "e2e"] as const;
/** a latency distribution measured per request (ITL: per gap) */
export type Family = (typeof FAMILIES)[number];

/** Samples of the successful measured requests, derived with `deriveRequest`. */
export interface RunSamples {
  ttft: number[];
  tpot: number[];
  e2e: number[];
  /** ITL gaps, one list per request (gaps of one request are not independent) */
  itl: number[][];
}

/** The percentiles a file states about a distribution (a vLLM file may give only some). */
export type PercentileSummary = Partial<Pick<Distribution, "count" | "mean" | "p50" | "p90" | "p95" | "p99">>;

export interface RunData {
  /** the file, as the user named it */
  source: string;
  /** the file's format as read: "llmbench.result/v1", "vllm bench serve" */
  format: string;
  /** the tool that wrote it: "llmbench 0.1.0+abc1234", "vllm bench serve" */
  tool: string;
  /** false when the run was interrupted */
  complete: boolean;
  /**
   * The run's configuration under llmbench's config keys (`publicConfig`). A key that is absent
   * was not recorded by the file (it is unknown, which is not the same as null).
   */
  config: Record<string, unknown>;
  ttftKind: "token" | "first-byte" | null;
  /** per-request samples; null when the file has none (written with --no-records, or vLLM without --save-detailed) */
  samples: RunSamples | null;
  /** what the file's summary states, per distribution */
  summary: Record<Family, PercentileSummary | null>;
  /** serialised t-digests, when the file has them (several files without samples are pooled through these) */
  digests: Partial<Record<Family, SerializedDigest>> | null;
  requests: { sent: number; succeeded: number; failed: number };
  /** the prefix-cached share of prompt tokens (README "Prefix caching"); null or absent when the server reported no cached_tokens */
  prefixCache?: { part: number; whole: number; perRequest: Array<[number, number]> | null } | null;
  /** cache hits among `of` successful requests; null when the file says nothing about caching */
  cache: { hits: number; of: number } | null;
  throughput: { outputTokensPerS: number; requestsPerS: number } | null;
  /** requests per second that met every per-request SLO of the run's `--slo` (the run's own count); null without SLOs */
  goodput: { rps: number; slo: string } | null;
  /** the run's own self-check found the client distorted what it measured: why (null when it did not, or the file does not say) */
  distorted: string | null;
  /** what the reader had to assume or leave out, for the report */
  notes: string[];
}
