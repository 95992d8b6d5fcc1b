/** `llmbench merge`: read shard result files, check they are shards of one benchmark, merge them. */
import { checkComparable, summarizeDifferences } from "../core/compare/config.ts";
import { UsageError } from "../core/errors.ts";
import { importFile, type RunData } from "../core/importers/index.ts";
import { mergeResults, shardOf, type Shard } from "../core/merge.ts";
import type { ResultDocument } from "../core/result.ts";
import { readInputFile } from "../io/files.ts";
import { expandPattern } from "./compare.ts";

export async function runMerge(patterns: readonly string[], allowMismatch: boolean): Promise<ResultDocument> {
  const files = patterns.flatMap((p) => expandPattern(p));
  const shards: Shard[] = [];
  const runs: RunData[] = [];
  for (const file of files) {
    // the one reader compare uses too: foreign, damaged, crafted, truncated files are refused here
    const read = importFile(
      await readInputFile(file, "pass result files written by 'llmbench run --output FILE'"),
      file,
    );
    if (read.doc === null)
      throw new UsageError(
        `${file} is a ${read.run.format} result: merge takes llmbench results`,
        "merge the result files of 'llmbench run --shard i/N' (or of runs made at the same time)",
      );
    runs.push(wholeWorkload(read.run, read.doc));
    shards.push({ file, doc: read.doc });
  }
  const refusals = runs.slice(1).flatMap((r) => checkComparable([runs[0]], [r]).filter((d) => d.severity === "refuse"));
  if (refusals.length > 0 && !allowMismatch) {
    throw new UsageError(
      `the shards were not run the same way:\n${summarizeDifferences(refusals)
        .map((d) => `  - ${d.text}`)
        .join("\n")}`,
      "merge shards of one benchmark (same endpoint path, API, model, load, prompts and lengths), or pass --allow-mismatch",
    );
  }
  return mergeResults(shards);
}

/** A --shard file compares by the whole workload's totals: its own share of them differs by one from its neighbours'. */
function wholeWorkload(run: RunData, doc: ResultDocument): RunData {
  const s = shardOf(doc);
  if (!s) return run;
  const { shard: _, ...config } = run.config;
  return { ...run, config: { ...config, requests: s.requests, warmup: s.warmup, concurrency: s.concurrency } };
}
