/** The result document (SPEC §5): its types, its schema id, and the check every reader makes. */
import { UsageError } from "./errors.ts";
import type { DigestMetric, RawRecord, RunSummary } from "./metrics.ts";
import type { SerializedDigest } from "./stats/digest.ts";

export const RESULT_SCHEMA = "llmbench.result/v1";

export interface ResultDocument {
  schema: typeof RESULT_SCHEMA;
  tool: { name: "llmbench"; version: string };
  /** false when the run was interrupted (Ctrl-C) or stopped early: what was measured is kept */
  complete: boolean;
  started_at: string;
  finished_at: string;
  /** wall-clock time (Unix ms) of the first send: records' times are relative to it; `merge` aligns shards by it */
  t0_unix_ms?: number | null;
  config: Record<string, unknown>;
  environment: { os: string; arch: string; cpus: number; runtime: string };
  /** notes the report prints: e.g. why TPOT is null */
  notes: string[];
  summary: RunSummary;
  digests: Record<DigestMetric, SerializedDigest>;
  /** per-request raw records (times relative to the first send, ms), unless --no-records */
  requests: ResultRecord[] | null;
  /** run --records-file: where the per-request records went (then `requests` is null) */
  records_file?: string;
  /** a merge of shards: which files, when each started, what each sent */
  shards?: Array<{ file: string; started_at: string; requests: RunSummary["requests"] }>;
  /** a sweep: every level measured; `summary`, `digests` and `requests` above are the knee's (or the last level's) */
  sweep?: SweepResult;
  /** `run --runs N`: every run of the same measurement; `summary` and `digests` above pool them, `requests` is null */
  runs?: RepeatedRun[];
}

/** One of the runs of `run --runs N`: its own warm-up, prompts, summary and records. */
export interface RepeatedRun {
  complete: boolean;
  started_at: string;
  finished_at: string;
  notes: string[];
  summary: RunSummary;
  digests: Record<DigestMetric, SerializedDigest>;
  requests: ResultRecord[] | null;
}

export interface SweepLevel {
  concurrency: number | null;
  rate: number | null;
  /** output throughput at this level ÷ output throughput one request at a time: 1 = no batching benefit */
  batching_gain: number | null;
  complete: boolean;
  notes: string[];
  summary: RunSummary;
  digests: Record<DigestMetric, SerializedDigest>;
  requests: ResultRecord[] | null;
}

export interface SweepResult {
  kind: "concurrency" | "rate";
  levels: SweepLevel[];
  /** the output throughput one request at a time (the level at concurrency 1, or a calibration run) */
  single_request_tokens_per_s: number | null;
  /** index into levels of the knee, and why it is the knee */
  knee: number | null;
  knee_reason: string | null;
  stopped_early: boolean;
  stop_reason: string | null;
}

export type ResultRecord = Omit<RawRecord, "tokenTimes"> & { tokenTimes: number[] };

/** Records with times relative to `t0` (the run's first send), rounded to µs: smaller files, same numbers. */
export function relativeRecords(records: readonly RawRecord[], t0: number): ResultRecord[] {
  const rel = (t: number | null) => (t === null ? null : Math.round((t - t0) * 1000) / 1000);
  return records.map((r) => ({
    ...r,
    tSched: rel(r.tSched),
    tSend: rel(r.tSend)!,
    ...(r.tRetry !== undefined ? { tRetry: rel(r.tRetry)! } : {}),
    tFirstByte: rel(r.tFirstByte),
    tEnd: rel(r.tEnd),
    tokenTimes: r.tokenTimes.map((t) => rel(t)!),
  }));
}

/** Parse a result file's text, checking it is ours: a one-line UsageError otherwise. */
export function parseResult(text: string, source: string): ResultDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new UsageError(`${source} is not JSON`, `pass a file written by 'llmbench run --output FILE'`);
  }
  const schema = (doc as { schema?: unknown } | null)?.schema;
  if (schema !== RESULT_SCHEMA) {
    throw new UsageError(
      `${source} is not an llmbench result (schema ${JSON.stringify(schema ?? null)}, expected "${RESULT_SCHEMA}")`,
      `pass a file written by 'llmbench run --output FILE'`,
    );
  }
  return doc as ResultDocument;
}
