/**
 * Merge result documents of shards — the same benchmark run at the same time from several
 * machines or processes — into one. With per-request records everywhere, the records are put on
 * one timeline (each shard's times are relative to its first send; `t0_unix_ms` places that on the
 * wall clock) and every number is derived again, exactly, in the one place that derives numbers.
 * Without records, counts and throughputs add up and percentiles come from the merged t-digests
 * (approximate, and the notes say so). Pure.
 */
import { ERROR_CLASSES, UsageError } from "./errors.ts";
import { isRecord } from "./guards.ts";
import { DIGEST_METRICS, summarizeRun, type DigestMetric, type RawRecord, type RunSummary } from "./metrics.ts";
import type { ResultDocument, ResultRecord } from "./result.ts";
import type { ShardTotals } from "./shard.ts";
import { mergePrefixSummaries } from "./prefix.ts";
import { parseSlo } from "./slo.ts";
import { MetricDigest } from "./stats/digest.ts";

export interface Shard {
  file: string;
  doc: ResultDocument;
}

const HINT =
  "merge shards of one benchmark: llmbench run … --output shard-N.json on each machine, then llmbench merge shard-*.json";

export function mergeResults(shards: readonly Shard[]): ResultDocument {
  if (shards.length < 2) throw new UsageError(`merge needs at least two result files, got ${shards.length}`, HINT);
  for (const s of shards) {
    if (s.doc.sweep) throw new UsageError(`${s.file} holds a sweep: merge takes single runs`, HINT);
    // the pooled summary of N runs one after another is no shard, and compare reads a file's runs, not its summary
    if (Array.isArray(s.doc.runs) && s.doc.runs.length > 0) {
      throw new UsageError(
        `${s.file} holds ${s.doc.runs.length} runs (run --runs ${s.doc.runs.length}): merge takes single runs`,
        "run each shard without --runs, then merge; to compare repeated runs, pass their files to compare directly",
      );
    }
  }
  // --shard i/N files are the parts of one workload: prompt ids are already global, one seed
  const split = checkShardSet(shards);
  const docs = shards.map((s) => s.doc);
  const first = docs[0];
  const tokenizer = String(first.config.tokenizer ?? "whitespace");
  const latencyFrom = first.config.latency_from === "due" ? "due" : "send";
  const sloConfig = (first.config.slo as Array<{ name: string; bound_ms: number }> | undefined) ?? [];
  const slo = sloConfig.length > 0 ? parseSlo(sloConfig.map((t) => `${t.name}=${t.bound_ms}ms`).join(",")) : [];
  const notes = [`merged from ${shards.length} shards: ${shards.map((s) => s.file).join(", ")}`];

  let summary: RunSummary;
  let digests: Record<DigestMetric, ReturnType<MetricDigest["toJSON"]>>;
  let requests: ResultRecord[] | null = null;
  let t0: number | null = null;
  const withRecords = docs.every((d) => Array.isArray(d.requests) && typeof d.t0_unix_ms === "number");
  if (withRecords) {
    t0 = Math.min(...docs.map((d) => d.t0_unix_ms!));
    const all: RawRecord[] = [];
    let seqBase = 0;
    docs.forEach((d, i) => {
      const shift = (t: number | null) => (t === null ? null : t + (d.t0_unix_ms! - t0!));
      let maxSeq = -1;
      for (const r of d.requests!) {
        maxSeq = Math.max(maxSeq, r.seq);
        // prompt ids are per shard: keep them apart so repeats still point at their own shard's prompts
        all.push({
          ...r,
          seq: seqBase + r.seq,
          promptId: split ? r.promptId : i * 1e9 + r.promptId,
          ...(r.session !== undefined ? { session: i * 1e6 + r.session } : {}),
          tSched: shift(r.tSched),
          tSend: shift(r.tSend)!,
          tFirstByte: shift(r.tFirstByte),
          tEnd: shift(r.tEnd),
          tokenTimes: r.tokenTimes.map((t) => shift(t)!),
        });
      }
      seqBase += maxSeq + 1;
    });
    all.sort((a, b) => a.tSend - b.tSend);
    ({ summary, digests } = summarizeRun(all, tokenizer, { latencyFrom, slo }));
    requests = all;
  } else {
    ({ summary, digests } = mergeSummaries(docs));
    notes.push(
      "some shards have no per-request records (--no-records): percentiles come from the merged t-digests (approximate), throughputs are added up (the shards ran at the same time), and TPOT/latency-per-token means are not merged",
    );
  }
  const clients = docs.map((d) => d.summary.client).filter((c) => c !== undefined);
  const distorted = clients.filter((c) => c.distorted);
  if (distorted.length > 0) notes.push(`in ${distorted.length} of ${docs.length} shards: ${distorted[0].reason}`);
  return {
    ...first,
    complete: docs.every((d) => d.complete),
    started_at: docs.map((d) => d.started_at).sort()[0],
    finished_at: docs
      .map((d) => d.finished_at)
      .sort()
      .at(-1)!,
    t0_unix_ms: t0,
    // what the shards did together: the requests and concurrency add up; each shard had its own seed
    config: {
      ...first.config,
      requests: sumOrNull(docs.map((d) => d.config.requests)),
      concurrency: sumOrNull(docs.map((d) => d.config.concurrency)),
      warmup: docs.reduce((a, d) => a + d.config.warmup, 0),
      ...(split ? { shard: undefined } : { seeds: docs.map((d) => d.config.seed) }),
      shards: shards.length,
    },
    notes: [...notes, ...new Set(docs.flatMap((d) => d.notes))],
    summary,
    digests,
    requests,
    shards: shards.map((s) => ({ file: s.file, started_at: s.doc.started_at, requests: s.doc.summary.requests })),
  };
}

const SHARD_HINT =
  "merge the files of one sharded run: the same --seed and options, --shard 0/N … --shard N-1/N, every one of them once";

/** The shard of one workload a file says it is (config.shard, written by run --shard), or null. */
export function shardOf(doc: ResultDocument): ShardTotals | null {
  const s = doc.config.shard;
  if (!isRecord(s)) return null;
  const ok =
    [s.index, s.count].every((x) => Number.isInteger(x)) &&
    (s.index as number) >= 0 &&
    (s.index as number) < (s.count as number);
  return ok ? (s as unknown as ShardTotals) : null;
}

/**
 * Files written with --shard must be every shard of one workload, each once: the same count N,
 * indices 0…N−1, one seed, the same totals. Returns whether they are such a set (false: none is a
 * shard — independent runs at the same time, merged as before). Throws (exit 2) otherwise.
 */
export function checkShardSet(shards: readonly Shard[]): boolean {
  const specs = shards.map((s) => ({ file: s.file, spec: shardOf(s.doc), seed: s.doc.config.seed }));
  const marked = specs.filter((s) => s.spec !== null);
  if (marked.length === 0) return false;
  const unmarked = specs.find((s) => s.spec === null);
  if (unmarked)
    throw new UsageError(
      `${marked[0].file} is shard ${marked[0].spec!.index}/${marked[0].spec!.count} of a sharded run, ${unmarked.file} is not a shard`,
      SHARD_HINT,
    );
  const first = marked[0];
  const n = first.spec!.count;
  const other = marked.find((s) => s.spec!.count !== n);
  if (other)
    throw new UsageError(
      `the shards split the workload differently: ${first.file} is shard ${first.spec!.index}/${n}, ${other.file} is ${other.spec!.index}/${other.spec!.count}`,
      SHARD_HINT,
    );
  const seed = marked.find((s) => s.seed !== first.seed);
  if (seed)
    throw new UsageError(
      `the shards are not of one workload: seed ${String(first.seed)} in ${first.file}, ${String(seed.seed)} in ${seed.file}`,
      SHARD_HINT,
    );
  for (const k of ["requests", "warmup", "concurrency"] as const) {
    const d = marked.find((s) => s.spec![k] !== first.spec![k]);
    if (d)
      throw new UsageError(
        `the shards are not of one workload: ${k} ${String(first.spec![k])} in all in ${first.file}, ${String(d.spec![k])} in ${d.file}`,
        SHARD_HINT,
      );
  }
  const byIndex = new Map<number, string>();
  for (const s of marked) {
    const twice = byIndex.get(s.spec!.index);
    if (twice) throw new UsageError(`shard ${s.spec!.index}/${n} is given twice: ${twice} and ${s.file}`, SHARD_HINT);
    byIndex.set(s.spec!.index, s.file);
  }
  const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length > 0)
    throw new UsageError(
      `${missing.length} of ${n} shards missing: ${missing.map((i) => `${i}/${n}`).join(", ")} (a merge of part of the workload is not the benchmark)`,
      SHARD_HINT,
    );
  return true;
}

function weightedMean(pairs: Array<[number | null, number]>): number | null {
  const known = pairs.filter((p): p is [number, number] => p[0] !== null && p[1] > 0);
  const w = known.reduce((a, [, n]) => a + n, 0);
  return w > 0 ? known.reduce((a, [x, n]) => a + x * n, 0) / w : null;
}

const sumOrNull = (xs: unknown[]) =>
  xs.every((x) => typeof x === "number") ? (xs as number[]).reduce((a, x) => a + x, 0) : null;

/** Counts add, throughputs add (concurrent shards), distributions from merged digests. */
function mergeSummaries(docs: readonly ResultDocument[]): {
  summary: RunSummary;
  digests: Record<DigestMetric, ReturnType<MetricDigest["toJSON"]>>;
} {
  const sum = (f: (s: RunSummary) => number) => docs.reduce((a, d) => a + f(d.summary), 0);
  const merged = Object.fromEntries(
    DIGEST_METRICS.map((k) => {
      const d = new MetricDigest();
      for (const doc of docs) d.merge(doc.digests[k]);
      return [k, d];
    }),
  ) as Record<DigestMetric, MetricDigest>;
  const base = docs[0].summary;
  const sent = sum((s) => s.requests.sent);
  const succeeded = sum((s) => s.requests.succeeded);
  const hits = sum((s) => s.cache.hits);
  const repeatsSent = sum((s) => s.cache.repeats_sent);
  const repeatHits = sum((s) => s.cache.repeat_hits);
  const repeatsOk = sum((s) => s.cache.repeats_succeeded);
  const output = sum((s) => s.tokens.output);
  // tokens per chunk: Σ tokens ÷ Σ chunks, each shard's chunks recovered from its ratio
  const chunks = sum((s) => (s.tokens.tokens_per_chunk ? s.tokens.output / s.tokens.tokens_per_chunk : 0));
  const summary: RunSummary = {
    ...base,
    requests: { sent, succeeded, failed: sent - succeeded },
    // every class of this version, 0 where an older file has none
    errors: Object.fromEntries(ERROR_CLASSES.map((k) => [k, sum((s) => s.errors[k] ?? 0)])) as RunSummary["errors"],
    error_rate: sent > 0 ? (sent - succeeded) / sent : 0,
    ttft_ms: merged.ttft_ms.summary(),
    tpot_ms: merged.tpot_ms.summary(),
    itl_ms: merged.itl_ms.summary(),
    e2e_ms: merged.e2e_ms.summary(),
    latency_per_token_ms: null,
    send_lag_ms: null,
    ttft_kind: docs.some((d) => d.summary.ttft_kind === "first-byte") ? "first-byte" : base.ttft_kind,
    throughput: {
      output_tokens_per_s: sum((s) => s.throughput.output_tokens_per_s),
      input_tokens_per_s: sum((s) => s.throughput.input_tokens_per_s),
      requests_per_s: sum((s) => s.throughput.requests_per_s),
    },
    tokens: {
      output,
      input: sum((s) => s.tokens.input),
      reasoning: sum((s) => s.tokens.reasoning),
      mean_output_per_request: succeeded > 0 ? output / succeeded : null,
      ...(docs.every((d) => d.summary.tokens.from_usage !== undefined)
        ? { from_usage: sum((s) => s.tokens.from_usage ?? 0) }
        : {}),
      usage_vs_client: {
        compared: sum((s) => s.tokens.usage_vs_client.compared),
        disagreed: sum((s) => s.tokens.usage_vs_client.disagreed),
        // weighted by how many requests each shard compared
        mean_relative_difference: weightedMean(
          docs.map((d) => [
            d.summary.tokens.usage_vs_client.mean_relative_difference,
            d.summary.tokens.usage_vs_client.compared,
          ]),
        ),
      },
      tokens_per_chunk: chunks > 0 ? output / chunks : null,
    },
    cache: {
      hits,
      hit_rate: succeeded > 0 ? hits / succeeded : null,
      repeats_sent: repeatsSent,
      repeats_succeeded: repeatsOk,
      repeat_hits: repeatHits,
      repeat_hit_rate: repeatsOk > 0 ? repeatHits / repeatsOk : null,
    },
    duration_s: Math.max(...docs.map((d) => d.summary.duration_s)),
    tokens_source: docs.every((d) => d.summary.tokens_source === base.tokens_source) ? base.tokens_source : "mixed",
    slo: undefined,
    client: undefined,
    // per-turn numbers need each session's records: without them there is no sessions block (not the first file's)
    sessions: undefined,
    // token sums add up, and the shares follow exactly; per-request distributions need the records
    prefix_cache: mergePrefixSummaries(docs.map((d) => d.summary.prefix_cache)),
    connections: {
      reconnects: sum((s) => s.connections?.reconnects ?? 0),
      retried_requests: sum((s) => s.connections?.retried_requests ?? 0),
      retries_failed: sum((s) => s.connections?.retries_failed ?? 0),
    },
  };
  const digests = Object.fromEntries(DIGEST_METRICS.map((k) => [k, merged[k].toJSON()])) as Record<
    DigestMetric,
    ReturnType<MetricDigest["toJSON"]>
  >;
  return { summary, digests };
}
