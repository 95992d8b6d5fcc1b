/**
 * A checked llmbench result (core/result.ts `checkResult`: upgraded, validated against the schema) → RunData.
 * Nothing here checks the document again; it derives what `compare` needs from it.
 */
import { deriveRequest } from "../metrics.ts";
import { RESULT_SCHEMA, type ResultDocument, type ResultRecord } from "../result.ts";
import type { RunSummary } from "../metrics.ts";
import type { SerializedDigest } from "../stats/digest.ts";
import { UsageError } from "../errors.ts";
import { FAMILIES, type BaseFamily, type PercentileSummary, type RunData, type RunSamples } from "./types.ts";

const HINT = "pass a result file written by 'llmbench run --output FILE'";

const DIST_KEYS = { ttft: "ttft_ms", tpot: "tpot_ms", itl: "itl_ms", e2e: "e2e_ms" } as const satisfies Record<
  BaseFamily,
  string
>;

/** One run of a file: the document's own, one of `runs`, or one sweep level. */
export interface RunBody {
  complete: boolean;
  summary: RunSummary;
  digests: Record<string, SerializedDigest>;
  requests: ResultRecord[] | null;
}

/**
 * One run of a checked document (`body`: the document itself, one of its `runs`, or a sweep level),
 * with the document's config, as RunData. `from` is the schema the file was written in.
 */
export function fromLlmbench(doc: ResultDocument, from: string, body: RunBody, source: string): RunData {
  const { config } = doc;
  const { summary } = body;
  const requests = summary.requests;
  const dists = Object.fromEntries(
    FAMILIES.map((f) => [f, percentileSummary(summary[DIST_KEYS[f]])]),
  ) as RunData["summary"];
  if (summary.sessions) {
    dists.ttft_first_turn = percentileSummary(summary.sessions.first_turn_ttft_ms);
    dists.ttft_later_turns = percentileSummary(summary.sessions.later_turns_ttft_ms);
  }
  const digests = Object.fromEntries(
    FAMILIES.filter((f) => body.digests[DIST_KEYS[f]] !== undefined).map((f) => [f, body.digests[DIST_KEYS[f]]]),
  );

  let samples: RunSamples | null = null;
  const prefix = summary.prefix_cache;
  const reportsCached = prefix !== undefined && prefix.reported > 0 && prefix.prompt_tokens > 0;
  const cachedPairs: Array<[number, number]> | null = reportsCached && body.requests !== null ? [] : null;
  if (body.requests !== null) {
    samples = { ttft: [], tpot: [], e2e: [], itl: [] };
    const latencyFrom = config.latency_from === "due" ? "due" : "send";
    let measured = 0;
    let succeeded = 0;
    for (const r of body.requests) {
      if (r.phase !== "measured") continue;
      measured++;
      const m = deriveRequest(r, latencyFrom);
      if (!m.ok) continue;
      succeeded++;
      if (m.ttftMs !== null) samples.ttft.push(m.ttftMs);
      if (m.tpotMs !== null) samples.tpot.push(m.tpotMs);
      if (m.e2eMs !== null) samples.e2e.push(m.e2eMs);
      if (m.itlMs.length > 0) samples.itl.push(m.itlMs);
      if (r.turn !== undefined && m.ttftMs !== null)
        (r.turn === 1 ? (samples.ttft_first_turn ??= []) : (samples.ttft_later_turns ??= [])).push(m.ttftMs);
      cachedPairs?.push([Math.min(r.usage?.cachedTokens ?? 0, m.promptTokens), m.promptTokens]); // as the summary clamps it (core/prefix.ts)
    }
    // the records are what every interval is computed from: they must be the requests the summary counts (no copies, none missing)
    if (measured !== requests.sent || succeeded !== requests.succeeded) {
      throw new UsageError(
        `${source} is a damaged llmbench result: its records hold ${measured} measured requests (${succeeded} succeeded) but its summary counts ${requests.sent} (${requests.succeeded} succeeded)`,
        HINT,
      );
    }
  }
  // goodput as the run computed it (with --slo): requests meeting every per-request bound, per second
  const goodput: RunData["goodput"] = summary.slo
    ? { rps: summary.slo.goodput_rps, slo: summary.slo.terms.map((t) => `${t.name}≤${t.bound_ms}ms`).join(",") }
    : null;
  const client = summary.client;
  return {
    source,
    format: from,
    tool: `llmbench ${doc.tool.version}`,
    complete: body.complete,
    config,
    ttftKind: summary.ttft_kind,
    samples,
    summary: dists,
    digests,
    requests: { sent: requests.sent, succeeded: requests.succeeded, failed: requests.failed },
    cache: { hits: summary.cache.hits, of: requests.succeeded },
    prefixCache: reportsCached
      ? { part: prefix.cached_tokens, whole: prefix.prompt_tokens, perRequest: cachedPairs }
      : null,
    throughput: {
      outputTokensPerS: summary.throughput.output_tokens_per_s,
      requestsPerS: summary.throughput.requests_per_s,
    },
    goodput,
    distorted: client?.distorted ? (client.reason ?? "the client's self-check flagged it") : null,
    notes: from !== RESULT_SCHEMA ? [`${source} was written as ${from} and read as ${RESULT_SCHEMA}`] : [],
  };
}

function percentileSummary(d: RunSummary["ttft_ms"]): PercentileSummary | null {
  return d === null ? null : { count: d.count, mean: d.mean, p50: d.p50, p90: d.p90, p95: d.p95, p99: d.p99 };
}
