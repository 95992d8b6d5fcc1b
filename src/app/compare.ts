/**
 * `llmbench compare`: expands the file arguments, reads every file, checks the runs are
 * comparable, compares them and renders the outcome. Returns the text and the exit code.
 */
import { readFile } from "node:fs/promises";
import { isAbsolute } from "node:path";
import { compareRuns, type CompareSettings, type Comparison } from "../core/compare/compare.ts";
import { checkComparable, summarizeDifferences } from "../core/compare/config.ts";
import { EXIT, UsageError } from "../core/errors.ts";
import { importRun, type RunData } from "../core/importers/index.ts";
import { renderComparison, type CompareFormat } from "../render/compare.ts";

export interface CompareRequest {
  /** file names or glob patterns, as given */
  base: readonly string[];
  cand: readonly string[];
  settings: CompareSettings;
  allowMismatch: boolean;
  format: CompareFormat;
  hideUnchanged: boolean;
}

export interface CompareOutcome {
  comparison: Comparison;
  output: string;
  /** EXIT.threshold when a gated metric regressed, else EXIT.ok */
  exitCode: number;
}

const HINT = "pass result files written by 'llmbench run --output FILE' (or 'vllm bench serve --save-result')";

/** A pattern with glob characters → the files it matches (sorted); a plain name stays as it is. */
export function expandPattern(pattern: string, cwd: string = process.cwd()): string[] {
  if (!/[*?[{]/.test(pattern)) return [pattern];
  const absolute = isAbsolute(pattern);
  const glob = new Bun.Glob(absolute ? pattern.replace(/^\/+/, "") : pattern);
  const found = [...glob.scanSync({ cwd: absolute ? "/" : cwd, onlyFiles: true, dot: false })].map((p) => (absolute ? `/${p}` : p)).sort();
  if (found.length === 0) throw new UsageError(`no file matches '${pattern}'`, HINT);
  return found;
}

export async function readRun(path: string): Promise<RunData> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : (code ?? (err as Error).message);
    throw new UsageError(`cannot read ${path}: ${why}`, HINT);
  }
  return importRun(text, path);
}

export async function runCompare(req: CompareRequest): Promise<CompareOutcome> {
  const baseFiles = req.base.flatMap((p) => expandPattern(p));
  const candFiles = req.cand.flatMap((p) => expandPattern(p));
  const base: RunData[] = [];
  for (const f of baseFiles) base.push(await readRun(f));
  const cand: RunData[] = [];
  for (const f of candFiles) cand.push(await readRun(f));

  const refusals = checkComparable(base, cand).filter((d) => d.severity === "refuse");
  if (refusals.length > 0 && !req.allowMismatch) {
    throw new UsageError(
      `the runs were not made the same way, so their numbers do not compare:\n${summarizeDifferences(refusals).map((d) => `  - ${d.text}`).join("\n")}`,
      "compare runs of the same configuration, or pass --allow-mismatch to compare them anyway",
    );
  }
  const comparison = compareRuns(base, cand, req.settings);
  const exitCode = comparison.gatedRegressions.length > 0 ? EXIT.threshold : EXIT.ok;
  return { comparison, exitCode, output: renderComparison(comparison, req.format, exitCode, { hideUnchanged: req.hideUnchanged }) };
}
