/**
 * `llmbench compare`: expands the file arguments, reads every file, checks the runs are
 * comparable, compares them and renders the outcome. Returns the text and the exit code.
 */
import { isAbsolute } from "node:path";
import { compareRuns, type CompareSettings, type Comparison } from "../core/compare/compare.ts";
import { checkComparable, summarizeDifferences } from "../core/compare/config.ts";
import { EXIT, UsageError } from "../core/errors.ts";
import { importFile, type ImportedFile, type RunData } from "../core/importers/index.ts";
import { readInputFile } from "../io/files.ts";
import type { CompareFormat } from "../core/options/compare.ts";
import { renderComparison } from "../render/compare.ts";

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
  /** EXIT.threshold when the gate failed (a gated regression, or a side that measured nothing), EXIT.undecided when it cannot decide, else EXIT.ok */
  exitCode: number;
}

const HINT = "pass result files written by 'llmbench run --output FILE' (or 'vllm bench serve --save-result')";

/** A pattern with glob characters → the files it matches (sorted); a plain name stays as it is. */
export function expandPattern(pattern: string, cwd: string = process.cwd()): string[] {
  if (!/[*?[{]/.test(pattern)) return [pattern];
  const absolute = isAbsolute(pattern);
  const glob = new Bun.Glob(absolute ? pattern.replace(/^\/+/, "") : pattern);
  const found = [...glob.scanSync({ cwd: absolute ? "/" : cwd, onlyFiles: true, dot: false })]
    .map((p) => (absolute ? `/${p}` : p))
    .sort();
  if (found.length === 0) throw new UsageError(`no file matches '${pattern}'`, HINT);
  return found;
}

export async function readRun(path: string): Promise<ImportedFile> {
  // compare keeps the samples it derived, not the document (its records would stay alive: +60 MB peak for two 100,000-request files)
  const { doc: _, ...file } = importFile(await readInputFile(path, HINT), path);
  // a large file's text and parse garbage would otherwise still be alive while the next file is parsed:
  // peak RSS of `compare` on two 100,000-request files (61 MB each; scripts/compare-bench.ts), 3 runs
  // each, re-measured 2026-11-30: 434–569 MB with this collection, 719–777 MB without it
  Bun.gc(true);
  return { ...file, doc: null };
}

export async function runCompare(req: CompareRequest): Promise<CompareOutcome> {
  const baseFiles = req.base.flatMap((p) => expandPattern(p));
  const candFiles = req.cand.flatMap((p) => expandPattern(p));
  const read = async (files: string[]) => {
    const out: ImportedFile[] = [];
    for (const f of files) out.push(await readRun(f));
    return out;
  };
  const baseRead = await read(baseFiles);
  const candRead = await read(candFiles);
  const sweeps = [...baseRead, ...candRead].filter((f) => f.sweep !== null).length;
  if (sweeps > 0) return compareSweeps(baseRead, candRead, req);
  return compareSides(
    baseRead.flatMap((f) => f.runs),
    candRead.flatMap((f) => f.runs),
    req,
  );
}

/** Two sweeps, level by level: levels with the same concurrency (or rate) are compared as runs. */
async function compareSweeps(base: ImportedFile[], cand: ImportedFile[], req: CompareRequest): Promise<CompareOutcome> {
  const single = [...base, ...cand].find((f) => f.sweep === null);
  if (single) {
    throw new UsageError(
      `${single.run.source} is a single run and the other side is a sweep: a sweep compares only with a sweep, level by level`,
      "compare two sweeps, or two single runs",
    );
  }
  if (base.length !== 1 || cand.length !== 1)
    throw new UsageError(`sweeps compare one file per side`, "llmbench compare base-sweep.json cand-sweep.json");
  const [b, c] = [base[0].sweep!, cand[0].sweep!];
  if (b.kind !== c.kind)
    throw new UsageError(
      `the baseline sweeps ${b.kind} and the candidate sweeps ${c.kind}`,
      "compare sweeps of the same kind",
    );
  const pairs = b.levels.flatMap((bl) => {
    const cl = c.levels.find((x) => x.value === bl.value);
    return cl ? [{ label: bl.label, base: bl.run, cand: cl.run }] : [];
  });
  if (pairs.length === 0)
    throw new UsageError(`the two sweeps have no ${b.kind} level in common`, "sweep the same levels on both sides");
  const unmatched = [...b.levels, ...c.levels]
    .filter((l) => !pairs.some((p) => p.label === l.label))
    .map((l) => l.label);
  const outcomes = [];
  for (const p of pairs) outcomes.push({ label: p.label, ...(await compareSides([p.base], [p.cand], req)) });
  const exitCode = outcomes.some((o) => o.exitCode === EXIT.threshold)
    ? EXIT.threshold
    : outcomes.some((o) => o.exitCode !== EXIT.ok)
      ? EXIT.undecided
      : EXIT.ok;
  const regressed = outcomes.filter((o) => o.exitCode === EXIT.threshold).map((o) => o.label);
  const note = `${unmatched.length > 0 ? `levels on one side only (not compared): ${[...new Set(unmatched)].join(", ")}\n` : ""}`;
  let output: string;
  if (req.format === "json") {
    output = `${JSON.stringify({ schema: "llmbench.compare-sweep/v1", kind: b.kind, exit_code: exitCode, unmatched_levels: [...new Set(unmatched)], levels: outcomes.map((o) => ({ level: o.label, exit_code: o.exitCode, comparison: JSON.parse(o.output) })) }, null, 2)}\n`;
  } else {
    const h = req.format === "markdown" ? "## " : "=== ";
    const head = `${h}Sweep of ${b.kind}: ${pairs.length} levels compared; ${regressed.length > 0 ? `gate failed at ${regressed.join(", ")}` : "no gated regression"}\n${note}`;
    output = `${head}\n${outcomes.map((o) => `${h}${o.label}\n\n${o.output}`).join("\n")}`;
  }
  return { comparison: outcomes[0].comparison, exitCode, output };
}

/** failed or regressed → 1; undecided (a gated metric with a bare ratio only) → 2; otherwise 0. */
export function gateExitCode(c: Comparison): number {
  if (c.verdict === "failed" || c.verdict === "regressed") return EXIT.threshold;
  if (c.verdict === "undecided") return EXIT.undecided;
  return EXIT.ok;
}

async function compareSides(base: RunData[], cand: RunData[], req: CompareRequest): Promise<CompareOutcome> {
  const refusals = checkComparable(base, cand).filter((d) => d.severity === "refuse");
  if (refusals.length > 0 && !req.allowMismatch) {
    throw new UsageError(
      `the runs were not made the same way, so their numbers do not compare:\n${summarizeDifferences(refusals)
        .map((d) => `  - ${d.text}`)
        .join("\n")}`,
      "compare runs of the same configuration, or pass --allow-mismatch to compare them anyway",
    );
  }
  const comparison = compareRuns(base, cand, req.settings);
  const exitCode = gateExitCode(comparison);
  return {
    comparison,
    exitCode,
    output: renderComparison(comparison, req.format, exitCode, { hideUnchanged: req.hideUnchanged }),
  };
}
