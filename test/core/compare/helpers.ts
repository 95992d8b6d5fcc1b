/** Runs for the compare tests (result documents and records: test/documents.ts). */
import type { RunData } from "../../../src/core/importers/types.ts";
import { BASE_CONFIG } from "../../documents.ts";

/** A RunData with per-request samples drawn from `gen` (deterministic), for compareRuns. */
export function syntheticRun(
  source: string,
  opts: {
    n?: number;
    ttft?: (i: number) => number;
    tpot?: (i: number) => number;
    failed?: number;
    hits?: number;
    throughput?: number;
    config?: Record<string, unknown>;
  } = {},
): RunData {
  const n = opts.n ?? 200;
  const ttft = Array.from({ length: n }, (_, i) => (opts.ttft ?? ((k) => 10 + ((k * 37) % 23) / 10))(i));
  const tpot = Array.from({ length: n }, (_, i) => (opts.tpot ?? ((k) => 4 + ((k * 17) % 13) / 20))(i));
  const itl = tpot.map((t, i) => [t * 0.9, t, t * 1.1 + (i % 3) / 100]);
  const e2e = ttft.map((t, i) => t + 3 * tpot[i]);
  const failed = opts.failed ?? 0;
  return {
    source,
    format: "llmbench.result/v1",
    tool: "llmbench 0.1.0",
    complete: true,
    config: { ...BASE_CONFIG, requests: n + failed, ...opts.config },
    ttftKind: "token",
    samples: { ttft, tpot, e2e, itl },
    summary: { ttft: null, tpot: null, itl: null, e2e: null },
    digests: null,
    requests: { sent: n + failed, succeeded: n, failed },
    cache: { hits: opts.hits ?? 0, of: n },
    throughput: { outputTokensPerS: opts.throughput ?? 400, requestsPerS: (opts.throughput ?? 400) / 4 },
    goodput: null,
    distorted: null,
    notes: [],
  };
}
