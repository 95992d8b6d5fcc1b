/**
 * `llmbench report` (and `run --html`): read result files (and compare JSON), read the records
 * file of a result written with --records-file, render the HTML page, write it.
 */
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { COMPARE_SCHEMA } from "../core/compare/compare.ts";
import { UsageError } from "../core/errors.ts";
import { parseDocument } from "../core/importers/index.ts";
import { checkResult, RESULT_SCHEMA_PREFIX, type ResultDocument, type ResultRecord } from "../core/result.ts";
import { readInputFile } from "../io/files.ts";
import { readRecords } from "../io/records-sink.ts";
import { renderHtml, type CompareFile, type ReportFile } from "../render/html/page.ts";
import { VERSION } from "../version.ts";
import { expandPattern } from "./compare.ts";

const HINT =
  "pass result files written by 'llmbench run --output FILE' (or a compare JSON from 'llmbench compare --format json')";
const COMPARE_SCHEMAS = new Set<unknown>([COMPARE_SCHEMA, "llmbench.compare-sweep/v1"]);

/**
 * A result written with --records-file holds `requests: null` and names its records file: read it
 * (as named, or beside the result when the name is relative and the result moved). Missing or
 * damaged: the page shows the summary and the digests, and says why.
 */
export async function recordsOf(
  doc: ResultDocument,
  resultPath: string | null,
): Promise<{ records: ResultRecord[] | null; note?: string }> {
  if (doc.requests || !doc.records_file) return { records: null };
  const named = doc.records_file;
  const candidates = [named, ...(resultPath && !isAbsolute(named) ? [join(dirname(resultPath), named)] : [])];
  const found = candidates.find((p) => existsSync(p));
  if (!found) return { records: null, note: `its records file ${named} was not found` };
  const records: ResultRecord[] = [];
  try {
    await readRecords(found, (r) => records.push(r));
  } catch (err) {
    return { records: null, note: `its records file ${found} could not be read (${(err as Error).message})` };
  }
  return { records };
}

/** A result document in memory (run --html) as a page. */
export async function reportOfDocument(doc: ResultDocument, name: string): Promise<string> {
  const { records, note } = await recordsOf(doc, null);
  return renderHtml({
    files: [{ name, doc, recordsFromFile: records, recordsNote: note }],
    comparisons: [],
    version: VERSION,
  });
}

/** One file: a compare JSON, or a result checked by the one reader compare and merge use (a damaged, crafted or truncated file is refused, exit 2). */
async function readOne(path: string): Promise<{ compare: CompareFile } | { result: ResultDocument }> {
  const text = await readInputFile(path, HINT);
  const value = parseDocument(text, path);
  const schema = (value as { schema?: unknown } | null)?.schema;
  if (COMPARE_SCHEMAS.has(schema)) return { compare: { name: path, doc: value as Record<string, unknown> } };
  // a vLLM file imports for compare, but a page needs llmbench's records and summary
  if (typeof schema !== "string" || !schema.startsWith(RESULT_SCHEMA_PREFIX))
    throw new UsageError(
      `${path} is not an llmbench result${schema === undefined ? "" : ` (schema ${JSON.stringify(schema)})`}`,
      HINT,
    );
  return { result: checkResult(value as Record<string, unknown>, path).doc as ResultDocument };
}

/** Every file given (globs expanded) → the page. Result files and compare JSON may be mixed; at least one is needed. */
export async function buildReport(patterns: readonly string[]): Promise<string> {
  if (patterns.length === 0)
    throw new UsageError(
      "report needs at least one result file",
      "llmbench report RESULT.json [MORE.json …] -o report.html",
    );
  const files: ReportFile[] = [];
  const comparisons: CompareFile[] = [];
  for (const path of patterns.flatMap((p) => expandPattern(p))) {
    const read = await readOne(path);
    // the file's text and the checker's copy are garbage now: collect before the next file (as compare does)
    Bun.gc(true);
    if ("compare" in read) {
      comparisons.push(read.compare);
      continue;
    }
    const { records, note } = await recordsOf(read.result, path);
    files.push({ name: path, doc: read.result, recordsFromFile: records, recordsNote: note });
  }
  return renderHtml({ files, comparisons, version: VERSION });
}
