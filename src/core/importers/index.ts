/**
 * A result file's text → RunData: detects what wrote it (llmbench, any schema version; vLLM's
 * `bench serve`) and refuses anything else with a one-line UsageError naming the file.
 */
import { UsageError } from "../errors.ts";
import { checkResult, RESULT_SCHEMA_PREFIX, type ResultDocument } from "../result.ts";
import { looksTruncated, MAX_NESTING, nonFinitePath, scanJson } from "./check.ts";
import { isRecord } from "../guards.ts";
import { fromLlmbench } from "./llmbench.ts";
import type { RunData } from "./types.ts";
import { fromVllm, isVllmResult } from "./vllm.ts";

export type { RunData } from "./types.ts";

const HINT = "pass result files written by 'llmbench run --output FILE' or 'vllm bench serve --save-result'";

function describe(doc: unknown): string {
  if (Array.isArray(doc)) return `a JSON list of ${doc.length} items`;
  if (!isRecord(doc)) return `a JSON ${doc === null ? "null" : typeof doc}`;
  const keys = Object.keys(doc);
  if (keys.length === 0) return "an empty JSON object";
  return `a JSON object with ${keys
    .slice(0, 4)
    .map((k) => `"${k}"`)
    .join(", ")}${keys.length > 4 ? ", …" : ""}`;
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
  /** the llmbench result document itself, read and checked (null for a vLLM file): what `merge` merges */
  doc: ResultDocument | null;
}

/** A file's run, and each of its levels as a run of its own when it holds a sweep: the file's text is parsed and checked once. */
export function importFile(text: string, source: string): ImportedFile {
  const value = parseDocument(text, source);
  if (!isLlmbench(value)) {
    const run = readForeign(value, source);
    return { run, runs: [run], sweep: null, doc: null };
  }
  const { doc, from } = checkResult(value, source);
  const run = fromLlmbench(doc, from, doc, source);
  // `run --runs N`: each run read as a run of its own, with the file's config
  const runs =
    doc.runs && doc.runs.length > 0
      ? doc.runs.map((r, i, all) => fromLlmbench(doc, from, r, `${source} [run ${i + 1}/${all.length}]`))
      : [run];
  if (!doc.sweep) return { run, runs, sweep: null, doc };
  const kind = doc.sweep.kind;
  if (doc.sweep.levels.length === 0)
    throw new UsageError(`${source} is a damaged llmbench sweep result: sweep.levels is empty`, HINT);
  const levels = doc.sweep.levels.map((level, i) => {
    const value = level[kind];
    if (value === null)
      throw new UsageError(`${source} is a damaged llmbench sweep result: sweep.levels[${i}].${kind} is null`, HINT);
    // a level read as a run of its own: its summary, digests and records; the sweep's config at that level
    const config = { ...doc.config, [kind]: value, sweep: null };
    return {
      label: `${kind} ${value}`,
      value,
      run: fromLlmbench({ ...doc, config }, from, level, `${source} [level ${i + 1}: ${kind} ${value}]`),
    };
  });
  return { run, runs, sweep: { kind, levels }, doc };
}

export function importRun(text: string, source: string): RunData {
  return importFile(text, source).run;
}

/** A file's text → its JSON value, refused when it is empty, not JSON, nested deeper than any result, or holds a number JSON cannot write. */
export function parseDocument(text: string, source: string): unknown {
  if (text.trim() === "") throw new UsageError(`${source} is empty`, HINT);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const why = looksTruncated(text)
      ? "it ends before the document does (truncated?)"
      : (err as Error).message.replace(/^JSON Parse error: /, "");
    throw new UsageError(`${source} is not valid JSON: ${why}`, HINT);
  }
  const { depth, nonFinite } = scanJson(doc, MAX_NESTING);
  if (depth > MAX_NESTING) {
    throw new UsageError(
      `${source} nests values more than ${MAX_NESTING} levels deep: no result file does (crafted or damaged?)`,
      HINT,
    );
  }
  if (nonFinite) {
    const what = isLlmbench(doc)
      ? "llmbench result"
      : isRecord(doc) && isVllmResult(doc)
        ? "vLLM bench serve result"
        : "file";
    throw new UsageError(
      `${source} is a damaged ${what}: ${nonFinitePath(doc)} is Infinity, expected a number (no JSON writer writes one this large)`,
      HINT,
    );
  }
  return doc;
}

const isLlmbench = (doc: unknown): doc is Record<string, unknown> =>
  isRecord(doc) && typeof doc.schema === "string" && doc.schema.startsWith(RESULT_SCHEMA_PREFIX);

function readForeign(doc: unknown, source: string): RunData {
  if (isRecord(doc) && isVllmResult(doc)) return fromVllm(doc, source);
  const schema = isRecord(doc) && doc.schema !== undefined ? ` (schema ${JSON.stringify(doc.schema)})` : "";
  throw new UsageError(
    `${source} is not an llmbench result nor a vLLM bench serve result: it is ${describe(doc)}${schema}`,
    HINT,
  );
}
