/**
 * A result file's text → RunData: detects what wrote it (llmbench, any schema version; vLLM's
 * `bench serve`) and refuses anything else with a one-line UsageError naming the file.
 */
import { UsageError } from "../errors.ts";
import { Checker, isObj, looksTruncated, MAX_NESTING, nestingDepth } from "./check.ts";
import { fromLlmbench, LLMBENCH_SCHEMA_PREFIX } from "./llmbench.ts";
import type { RunData } from "./types.ts";
import { fromVllm, isVllmResult } from "./vllm.ts";

export type { RunData } from "./types.ts";

const HINT = "pass result files written by 'llmbench run --output FILE' or 'vllm bench serve --save-result'";

function describe(doc: unknown): string {
  if (Array.isArray(doc)) return `a JSON list of ${doc.length} items`;
  if (!isObj(doc)) return `a JSON ${doc === null ? "null" : typeof doc}`;
  const keys = Object.keys(doc);
  if (keys.length === 0) return "an empty JSON object";
  return `a JSON object with ${keys.slice(0, 4).map((k) => `"${k}"`).join(", ")}${keys.length > 4 ? ", …" : ""}`;
}

/** One level of a sweep, as a run of its own. */
export interface SweepLevelRun {
  /** "concurrency 4", "rate 20" */
  label: string;
  value: number;
  run: RunData;
}

export interface ImportedFile {
  run: RunData;
  /** the runs the file holds: its run, or each run of `run --runs N` */
  runs: RunData[];
  /** the sweep's kind and levels, when the file holds a sweep */
  sweep: { kind: string; levels: SweepLevelRun[] } | null;
}

/** A file's run, and each of its levels as a run of its own when it holds a sweep. */
export function importFile(text: string, source: string): ImportedFile {
  const doc = parseDocument(text, source);
  const run = readDocument(doc, source);
  if (!isObj(doc) || !run.format.startsWith(LLMBENCH_SCHEMA_PREFIX)) return { run, runs: [run], sweep: null };
  const c = new Checker(source, "llmbench result", HINT);
  // `run --runs N`: each run read as a run of its own, with the file's config
  const repeated = Array.isArray(doc.runs) && doc.runs.length > 0 ? (doc.runs as unknown[]) : null;
  const runs = repeated
    ? repeated.map((x, i) => {
        const r = c.obj(x, `runs[${i}]`);
        return fromLlmbench({ ...doc, runs: undefined, summary: r.summary, digests: r.digests, requests: r.requests ?? null, complete: r.complete !== false }, `${source} [run ${i + 1}/${repeated.length}]`);
      })
    : [run];
  if (doc.sweep === undefined || doc.sweep === null) return { run, runs, sweep: null };
  // a sweep is read level by level: every level is checked before any is used
  const sc = new Checker(source, "llmbench sweep result", HINT);
  const sweep = sc.obj(doc.sweep, "sweep");
  if (sweep.kind !== "concurrency" && sweep.kind !== "rate") sc.fail(`sweep.kind is ${JSON.stringify(sweep.kind) ?? "missing"}, expected "concurrency" or "rate"`);
  if (!Array.isArray(sweep.levels) || sweep.levels.length === 0) sc.fail("sweep.levels is not a list of levels");
  const kind = sweep.kind as string;
  const levels = (sweep.levels as unknown[]).map((x, i) => {
    const level = sc.obj(x, `sweep.levels[${i}]`);
    const value = sc.num(level[kind], `sweep.levels[${i}].${kind}`, { min: 0 });
    // a level read as a run of its own: its summary, digests and records; the sweep's config at that level
    const levelDoc = { ...doc, sweep: undefined, summary: level.summary, digests: level.digests, requests: level.requests ?? null, complete: level.complete !== false, config: { ...(doc.config as object), [kind]: value, sweep: null } };
    return { label: `${kind} ${value}`, value, run: fromLlmbench(levelDoc, `${source} [level ${i + 1}: ${kind} ${value}]`) };
  });
  return { run, runs, sweep: { kind, levels } };
}

export function importRun(text: string, source: string): RunData {
  return readDocument(parseDocument(text, source), source);
}

/** A file's text → its JSON value, refused when it is empty, not JSON, or nested deeper than any result. */
export function parseDocument(text: string, source: string): unknown {
  if (text.trim() === "") throw new UsageError(`${source} is empty`, HINT);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const why = looksTruncated(text) ? "it ends before the document does (truncated?)" : (err as Error).message.replace(/^JSON Parse error: /, "");
    throw new UsageError(`${source} is not valid JSON: ${why}`, HINT);
  }
  if (nestingDepth(doc, MAX_NESTING) > MAX_NESTING) {
    throw new UsageError(`${source} nests values more than ${MAX_NESTING} levels deep: no result file does (crafted or damaged?)`, HINT);
  }
  return doc;
}

function readDocument(doc: unknown, source: string): RunData {
  if (isObj(doc) && typeof doc.schema === "string" && doc.schema.startsWith(LLMBENCH_SCHEMA_PREFIX)) return fromLlmbench(doc, source);
  if (isObj(doc) && isVllmResult(doc)) return fromVllm(doc, source);
  const schema = isObj(doc) && doc.schema !== undefined ? ` (schema ${JSON.stringify(doc.schema)})` : "";
  throw new UsageError(`${source} is not an llmbench result nor a vLLM bench serve result: it is ${describe(doc)}${schema}`, HINT);
}
