/**
 * The result document (SPEC §5): its types, its schema id, and the one reader every command uses
 * (`checkResult`: older versions upgraded, then validated against schema/result.schema.json by the
 * validator generated from it, then the checks a schema cannot state).
 */
import { UsageError } from "./errors.ts";
import { validate } from "./generated/result-validator.ts";
import type { SchemaResultDocument, SchemaSummary } from "./generated/result-types.ts";
import { DIGEST_METRICS, type DigestMetric, type RawRecord, type RunSummary } from "./metrics.ts";
import { MetricDigest, type SerializedDigest } from "./stats/digest.ts";

/** The run's options as saved (`publicConfig`): declared by the schema, so its type is the schema's. */
export type ResultConfig = SchemaResultDocument["config"];

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
  config: ResultConfig;
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

/** What one measurement holds, wherever it stands (a run of `--runs`, a sweep level): its summary, digests and records. */
export interface MeasuredBody {
  complete: boolean;
  notes: string[];
  summary: RunSummary;
  digests: Record<DigestMetric, SerializedDigest>;
  requests: ResultRecord[] | null;
}

/** One of the runs of `run --runs N`: its own warm-up, prompts, summary and records. */
export interface RepeatedRun extends MeasuredBody {
  started_at: string;
  finished_at: string;
}

export interface SweepLevel extends MeasuredBody {
  concurrency: number | null;
  rate: number | null;
  /** output throughput at this level ÷ output throughput one request at a time: 1 = no batching benefit */
  batching_gain: number | null;
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

/** A record as a result document holds it: a RawRecord whose times are relative to the run's first send. */
export type ResultRecord = RawRecord;

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

// ---------------------------------------------------------------- reading

export const RESULT_SCHEMA_PREFIX = "llmbench.result/";

const HINT =
  "pass a result file written by 'llmbench run --output FILE' (or 'llmbench merge'); a file edited by hand must keep to schema/result.schema.json";

type Obj = Record<string, unknown>;

/** The generated validator (ajv standalone code: no ajv at run time); `errors` holds the first failure. */
const validateSchema = validate as unknown as ((data: unknown) => boolean) & { errors?: SchemaError[] | null };

type Upgrade = { to: string; upgrade: (doc: Obj) => Obj };

/**
 * schema id → how to turn that version's document into the next version's. Only v1 exists so far:
 * when v2 comes, RESULT_SCHEMA becomes v2 and one entry is added here,
 * `"llmbench.result/v1": { to: "llmbench.result/v2", upgrade: v1ToV2 }`; nothing else changes.
 */
export const UPGRADES: Record<string, Upgrade> = {};

/** Apply upgrades until the document is of the current schema; a schema this build does not know is refused with that reason. */
export function upgradeResult(
  doc: Obj,
  source: string,
  upgrades: Record<string, Upgrade> = UPGRADES,
): { doc: Obj; from: string } {
  const from = String(doc.schema);
  let current = doc;
  const seen = new Set<string>();
  while (current.schema !== RESULT_SCHEMA) {
    const schema = String(current.schema);
    const step = upgrades[schema];
    if (!step || seen.has(schema)) {
      const version = (v: string) => Number(/\/v(\d+)$/.exec(v)?.[1] ?? NaN);
      if (version(schema) > version(RESULT_SCHEMA)) {
        throw new UsageError(
          `${source} was written by a newer llmbench (schema "${schema}"); this one reads up to "${RESULT_SCHEMA}"`,
          "upgrade llmbench to read it",
        );
      }
      throw new UsageError(
        `${source} has an unknown llmbench schema "${schema}" (this llmbench reads "${RESULT_SCHEMA}")`,
        HINT,
      );
    }
    seen.add(schema);
    current = step.upgrade(current);
  }
  return { doc: current, from };
}

/** A result read and checked, and the schema version its file was written in. */
export interface ReadResult {
  doc: ResultDocument;
  /** the file's own schema id (older versions are upgraded to RESULT_SCHEMA on read) */
  from: string;
}

/**
 * The one reader of result documents: a parsed JSON value whose `schema` starts with
 * "llmbench.result/" → the current document, or a one-line UsageError (exit 2) naming the file, the
 * first failing path and the fix. Order: upgrade, the schema (generated validator), then what a
 * schema cannot say (counts that add up, percentiles in order, records in time order, digests whole).
 */
export function checkResult(value: Obj, source: string): ReadResult {
  const { doc: upgraded, from } = upgradeResult(value, source);
  if (!validateSchema(upgraded)) throw damaged(source, describeSchemaError(upgraded, validateSchema.errors ?? []));
  const doc = upgraded as unknown as SchemaResultDocument;
  const fail = (why: string): never => {
    throw damaged(source, why);
  };
  checkBody(doc, "", fail);
  doc.runs?.forEach((r, i) => checkBody(r, `runs[${i}].`, fail));
  doc.sweep?.levels.forEach((l, i) => checkBody(l, `sweep.levels[${i}].`, fail));
  return { doc: normalize(doc), from };
}

function damaged(source: string, why: string): UsageError {
  return new UsageError(`${source} is a damaged llmbench result: ${why}`, HINT);
}

/** A run's summary, digests and records (the document's own, one of `runs`, or one sweep level). */
type Body = Pick<SchemaResultDocument, "summary" | "digests" | "requests">;

/** What the schema cannot state: counts that add up, percentiles that rise with p, digests that decode, records that could have happened. */
function checkBody(b: Body, at: string, fail: (why: string) => never): void {
  const s = b.summary;
  const r = s.requests;
  if (r.succeeded + r.failed !== r.sent)
    fail(`${at}summary.requests: succeeded ${r.succeeded} + failed ${r.failed} ≠ sent ${r.sent}`);
  for (const k of DIGEST_METRICS) {
    const d = s[k];
    if (d === null) continue;
    for (const q of ["mean", "p50", "p90", "p95", "p99"] as const)
      if (d[q] < 0) fail(`${at}summary.${k}.${q} is ${d[q]}, expected a number ≥ 0`);
    if (!(d.p50 <= d.p90 && d.p90 <= d.p95 && d.p95 <= d.p99))
      fail(
        `${at}summary.${k}: its percentiles fall as p rises (p50 ${d.p50}, p90 ${d.p90}, p95 ${d.p95}, p99 ${d.p99})`,
      );
  }
  const c = s.cache;
  if (c.hits > r.succeeded)
    fail(`${at}summary.cache.hits is ${c.hits}, more than the ${r.succeeded} requests that succeeded`);
  if (!(c.repeat_hits <= c.repeats_succeeded && c.repeats_succeeded <= c.repeats_sent)) {
    fail(
      `${at}summary.cache: ${c.repeat_hits} repeat hits, ${c.repeats_succeeded} repeats succeeded, ${c.repeats_sent} sent: more hits than successes or successes than sends`,
    );
  }
  for (const [k, d] of Object.entries(b.digests)) {
    try {
      MetricDigest.fromJSON(d);
    } catch (err) {
      fail(
        `${at}digests.${k} is not a t-digest: ${(err as Error).message.replace(/^invalid serialised t-digest: /, "")}`,
      );
    }
  }
  b.requests?.forEach((rec, i) => checkRecordTimes(rec, `${at}requests[${i}]`, fail));
}

/**
 * A record as a request could have happened: t_sched ≤ t_send ≤ first byte ≤ token times ≤ t_end
 * (the schema has already checked every field's type and range).
 */
function checkRecordTimes(r: ResultRecord, p: string, fail: (why: string) => never): void {
  const impossible = (why: string): never => fail(`${p} is impossible: ${why}`);
  const { tSched, tSend, tFirstByte, tEnd, tokenTimes } = r;
  if (tSched !== null && tSched > tSend)
    impossible(`tSend ${tSend} is before tSched ${tSched} (a request cannot leave before it is due)`);
  if (tFirstByte !== null && tFirstByte < tSend) impossible(`tFirstByte ${tFirstByte} is before tSend ${tSend}`);
  if (tokenTimes.length > 0 && tokenTimes[0] < (tFirstByte ?? tSend))
    impossible(
      `its first token time ${tokenTimes[0]} is before ${tFirstByte !== null ? `tFirstByte ${tFirstByte}` : `tSend ${tSend}`}`,
    );
  for (let k = 1; k < tokenTimes.length; k++)
    if (tokenTimes[k] < tokenTimes[k - 1])
      impossible(`tokenTimes[${k}] ${tokenTimes[k]} is before tokenTimes[${k - 1}] ${tokenTimes[k - 1]}`);
  if (tEnd !== null) {
    if (tEnd < tSend) impossible(`tEnd ${tEnd} is before tSend ${tSend}`);
    const last = tokenTimes.length > 0 ? tokenTimes[tokenTimes.length - 1] : tFirstByte;
    if (last !== null && tEnd < last)
      impossible(`tEnd ${tEnd} is before its last ${tokenTimes.length > 0 ? "token time" : "byte"} ${last}`);
  }
}

/** A summary as older v1 files wrote it, with what was added since filled in: error classes counted 0, no send lag, an SLO term's status. */
function normalizeSummary(s: SchemaSummary): RunSummary {
  const { slo, ...rest } = s;
  const out: RunSummary = {
    ...rest,
    errors: { redirect: 0, client: 0, ...s.errors },
    send_lag_ms: s.send_lag_ms ?? null,
  };
  if (slo)
    out.slo = {
      ...slo,
      terms: slo.terms.map((t) => ({
        ...t,
        status: t.status ?? (t.value_ms === null ? "not measured" : t.passed ? "met" : "missed"),
      })),
    };
  return out;
}

/**
 * The schema's document as the code's type. tsc checks both directions: this function turns what the
 * schema admits into ResultDocument, and `asSchema` below passes every ResultDocument we write as
 * the schema's type. A field added to one and not the other fails `npx tsc --noEmit`.
 */
function normalize(doc: SchemaResultDocument): ResultDocument {
  const { summary, sweep, runs, ...rest } = doc;
  return {
    ...rest,
    summary: normalizeSummary(summary),
    ...(sweep
      ? { sweep: { ...sweep, levels: sweep.levels.map((l) => ({ ...l, summary: normalizeSummary(l.summary) })) } }
      : {}),
    ...(runs ? { runs: runs.map((r) => ({ ...r, summary: normalizeSummary(r.summary) })) } : {}),
  };
}

/** Every document llmbench writes is one the schema declares (checked by tsc, never called). */
export const asSchema = (doc: ResultDocument): SchemaResultDocument => doc;

// ---------------------------------------------------------------- the first failing path, in words

interface SchemaError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
  parentSchema?: {
    type?: string | string[];
    minimum?: number;
    properties?: Record<string, { type?: string | string[]; minimum?: number }>;
  };
}

/** `/requests/2/tEnd` → `requests[2].tEnd` */
function dotted(pointer: string): string {
  const parts = pointer
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  return parts.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : `${i === 0 ? "" : "."}${p}`)).join("");
}

function valueAt(doc: unknown, pointer: string): unknown {
  let v = doc;
  for (const p of pointer.split("/").slice(1)) v = (v as Obj | null)?.[p.replace(/~1/g, "/").replace(/~0/g, "~")];
  return v;
}

const TYPE_WORDS: Record<string, string> = {
  number: "a number",
  integer: "an integer",
  string: "a text",
  boolean: "true or false",
  null: "null",
  array: "a list",
  object: "an object",
};

function shown(v: unknown): string {
  if (v === undefined) return "missing";
  if (typeof v === "number") return String(v);
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object" && v !== null) return "an object";
  return JSON.stringify(v);
}

/** "an integer ≥ 0", "a number or null" */
function expected(s: { type?: string | string[]; minimum?: number }): string {
  const words = orList([s.type ?? []].flat().map((t) => TYPE_WORDS[t] ?? t));
  return s.minimum !== undefined ? `${words} ≥ ${s.minimum}` : words;
}

function orList(xs: readonly string[]): string {
  return xs.length <= 1 ? (xs[0] ?? "") : `${xs.slice(0, -1).join(", ")} or ${xs[xs.length - 1]}`;
}

/**
 * The validator's errors → one sentence about the first failing path. Under `anyOf` (a value or null)
 * the deepest error is the one that says what is wrong.
 */
export function describeSchemaError(doc: unknown, errors: readonly SchemaError[]): string {
  const e = [...errors].sort(
    (a, b) =>
      b.instancePath.split("/").length - a.instancePath.split("/").length ||
      Number(a.keyword === "anyOf") - Number(b.keyword === "anyOf"),
  )[0];
  if (e === undefined) return "it does not match the schema";
  const at = dotted(e.instancePath);
  const path = at === "" ? "the document" : at;
  const value = valueAt(doc, e.instancePath);
  const types = [e.parentSchema?.type ?? []].flat();
  const kind = types.includes("integer") ? "an integer" : "a number";
  switch (e.keyword) {
    case "required": {
      const name = String(e.params.missingProperty);
      const wanted = e.parentSchema?.properties?.[name];
      return `${at === "" ? "" : `${at}.`}${name} is missing${wanted?.type ? `, expected ${expected(wanted)}` : ""}`;
    }
    case "additionalProperties":
      return `${path} has a field "${String(e.params.additionalProperty)}" that no llmbench result has`;
    case "type": {
      // a value or null (anyOf): every type the path allows, not only the last one tried
      const allowed = errors
        .filter((x) => x.keyword === "type" && x.instancePath === e.instancePath)
        .map((x) => expected(x.parentSchema ?? { type: String(x.params.type).split(",") }));
      return `${path} is ${shown(value)}, expected ${orList([...new Set(allowed)])}`;
    }
    case "enum":
      return `${path} is ${shown(value)}, expected ${orList(((e.params.allowedValues as unknown[]) ?? []).map((v) => JSON.stringify(v)))}`;
    case "const":
      return `${path} is ${shown(value)}, expected ${JSON.stringify(e.params.allowedValue)}`;
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return `${path} is ${shown(value)}, expected ${kind} ${String(e.params.comparison).replace(">=", "≥").replace("<=", "≤")} ${String(e.params.limit)}`;
    default:
      return `${path} ${e.message ?? `fails the schema's ${e.keyword}`}`;
  }
}
