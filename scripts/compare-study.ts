/**
 * How often does `compare` cry wolf, do its intervals cover the truth, and does it catch a real
 * change? Measured on any llmbench result file with per-request records:
 *
 *   null:  its measured records are shuffled (seeded) and 2n of them split into two halves of n,
 *          baseline and candidate: both halves come from one run, so every true change is 0;
 *   power: the same halves, the candidate's timestamps stretched by k around each request's send
 *          (TTFT, TPOT, ITL and E2E all become k times longer: a true change of k − 1).
 *
 * Each half becomes a result document of its own (summary and digests recomputed from its records
 * by summarizeRun, as `run` does), read by the llmbench importer and compared by compareRuns with
 * the default gate, thresholds and α: the real compare code, start to end.
 *
 * The file is read as compare reads it (importFile: any schema version, damaged files refused). A
 * file of `run --runs N` is studied over the records of every run, the runs laid end to end on one
 * timeline (each run's times are relative to its own first send).
 *
 * Usage: bun scripts/compare-study.ts RESULT.json [--splits 200] [--sizes 5,10,20,50,200,1000] [--stretch 1.1] [--seed 1]
 * Prints a markdown table; a size is skipped when the file has fewer than 2n measured records.
 */
import { gateExitCode } from "../src/app/compare.ts";
import { compareRuns, type CompareSettings, type Comparison } from "../src/core/compare/compare.ts";
import { METRICS } from "../src/core/compare/metrics.ts";
import { parseGate, parseThresholds } from "../src/core/compare/thresholds.ts";
import { LlmbenchError } from "../src/core/errors.ts";
import { importFile, type ImportedFile } from "../src/core/importers/index.ts";
import { fromLlmbench } from "../src/core/importers/llmbench.ts";
import { summarizeRun, type RawRecord } from "../src/core/metrics.ts";
import { createRng } from "../src/core/rng.ts";
import { readInputFile } from "../src/io/files.ts";
import { arg } from "./lib/args.ts";

const argv = process.argv.slice(2);
const file = argv.find((a, i) => !a.startsWith("--") && (i === 0 || !argv[i - 1].startsWith("--")));
if (!file) {
  console.error(
    "usage: bun scripts/compare-study.ts RESULT.json [--splits 200] [--sizes 5,10,20,50,200,1000] [--stretch 1.1] [--seed 1]",
  );
  process.exit(2);
}
const splits = Number(arg("splits", "200"));
const sizes = arg("sizes", "5,10,20,50,200,1000").split(",").map(Number);
const stretch = Number(arg("stretch", "1.1"));
const seed = Number(arg("seed", "1"));

const refuse = (message: string, hint: string): never => {
  console.error(`compare-study: error: ${message}\n  fix: ${hint}`);
  process.exit(2);
};
const FILE_HINT = "pass a result written by 'llmbench run --output FILE' (with its records: no --no-records)";
let imported: ImportedFile | undefined;
try {
  imported = importFile(await readInputFile(file, FILE_HINT), file); // every check compare makes, every run of the file's included
} catch (err) {
  if (err instanceof LlmbenchError) refuse(err.message, err.hint ?? FILE_HINT);
  throw err;
}
if (!imported!.run.format.startsWith("llmbench"))
  refuse(`${file} is a ${imported!.run.format} result: the study needs llmbench's raw per-request records`, FILE_HINT);
if (imported!.sweep)
  refuse(
    `${file} holds a sweep: its levels ran at different loads, so no two halves of it are the same run`,
    "study a single run, or a file of 'llmbench run --runs N'",
  );
const noRecords = imported!.runs.filter((r) => r.samples === null);
if (noRecords.length > 0) refuse(`${noRecords[0].source} has no per-request records: the study needs them`, FILE_HINT);
// the document as the reader checked it (the text is not parsed a second time)
const doc = imported!.doc!;
// the records of every run (one, or each of `run --runs N`), laid end to end: each run's times start at its own first send
const runRecords: RawRecord[][] = doc.runs && doc.runs.length > 0 ? doc.runs.map((r) => r.requests!) : [doc.requests!];
const measured: RawRecord[] = [];
let offset = 0;
for (const records of runRecords) {
  const shift = (t: number | null) => (t === null ? null : t + offset);
  let end = offset;
  for (const r of records) {
    if (r.phase !== "measured") continue;
    const moved = {
      ...r,
      tSched: shift(r.tSched),
      tSend: shift(r.tSend)!,
      tFirstByte: shift(r.tFirstByte),
      tEnd: shift(r.tEnd),
      tokenTimes: r.tokenTimes.map((t) => shift(t)!),
    };
    measured.push(moved);
    end = Math.max(end, moved.tEnd ?? moved.tSend);
  }
  offset = end;
}
const tokenizer: string = doc.summary.tokens_source;
const settings: CompareSettings = {
  thresholds: parseThresholds([]),
  gate: parseGate(undefined),
  alpha: 0.05,
  gateOnRatios: false,
};

const stretched = (r: RawRecord, k: number): RawRecord => {
  const s = (t: number | null) => (t === null ? null : r.tSend + k * (t - r.tSend));
  return { ...r, tFirstByte: s(r.tFirstByte), tEnd: s(r.tEnd), tokenTimes: r.tokenTimes.map((t) => s(t)!) };
};

function asRun(records: RawRecord[], name: string) {
  const { summary, digests } = summarizeRun(records, tokenizer, {
    latencyFrom: doc.config.latency_from === "due" ? "due" : "send",
  });
  return fromLlmbench(doc, imported!.run.format, { summary, digests, requests: records, complete: true }, name);
}

interface Tally {
  trials: number;
  exit1: number;
  /** per metric: called regressed or improved */
  called: Record<string, number>;
  /** per metric: rows with an interval, and those whose interval holds the truth */
  judged: Record<string, number>;
  covered: Record<string, number>;
  caught: Record<string, number>;
}
const newTally = (): Tally => ({ trials: 0, exit1: 0, called: {}, judged: {}, covered: {}, caught: {} });
const bump = (o: Record<string, number>, k: string) => (o[k] = (o[k] ?? 0) + 1);

function record(t: Tally, c: Comparison, truth: number) {
  t.trials++;
  if (gateExitCode(c) === 1) t.exit1++;
  for (const m of c.metrics) {
    if (m.verdict === "regressed" || m.verdict === "improved") bump(t.called, m.name);
    if (m.verdict === "regressed") bump(t.caught, m.name);
    if (m.kind === "distribution" && m.interval) {
      bump(t.judged, m.name);
      if (m.interval[0] <= truth + 1e-12 && truth - 1e-12 <= m.interval[1]) bump(t.covered, m.name);
    }
  }
}

const usable = sizes.filter((n) => 2 * n <= measured.length);
const nulls = new Map<number, Tally>();
const powers = new Map<number, Tally>();
const started = performance.now();
for (const n of usable) {
  const rng = createRng(seed * 1_000_003 + n);
  const tn = newTally();
  const tp = newTally();
  for (let i = 0; i < splits; i++) {
    const idx = measured.map((_, j) => j);
    for (let j = idx.length - 1; j > 0; j--) {
      const k = rng.int(j + 1);
      [idx[j], idx[k]] = [idx[k], idx[j]];
    }
    const a = idx
      .slice(0, n)
      .sort((x, y) => x - y)
      .map((j) => measured[j]);
    const b = idx
      .slice(n, 2 * n)
      .sort((x, y) => x - y)
      .map((j) => measured[j]);
    const base = asRun(a, "base");
    record(tn, compareRuns([base], [asRun(b, "cand")], settings), 0);
    record(
      tp,
      compareRuns(
        [base],
        [
          asRun(
            b.map((r) => stretched(r, stretch)),
            "cand-stretched",
          ),
        ],
        settings,
      ),
      stretch - 1,
    );
  }
  nulls.set(n, tn);
  powers.set(n, tp);
}

const pc = (k: number, of: number) => (of === 0 ? "—" : `${((100 * k) / of).toFixed(1)}%`);
const gated = settings.gate;
const families = ["ttft", "tpot", "itl", "e2e"];
const lines: string[] = [];
const row = (label: string, cell: (n: number) => string) =>
  lines.push(`| ${label} | ${usable.map(cell).join(" | ")} |`);
lines.push(`| requests per side | ${usable.join(" | ")} |`);
lines.push(`|---|${usable.map(() => "---").join("|")}|`);
row("null: compares that exit 1", (n) => pc(nulls.get(n)!.exit1, splits));
row("null: worst gated metric called regressed/improved", (n) => {
  const t = nulls.get(n)!;
  const worst = gated.reduce((w, m) => ((t.called[m] ?? 0) > (t.called[w] ?? 0) ? m : w), gated[0]);
  return `${pc(t.called[worst] ?? 0, splits)}${(t.called[worst] ?? 0) > 0 ? ` (${worst})` : ""}`;
});
for (const p of ["p50", "p95", "p99"]) {
  row(`null: ${p} interval holds the truth (worst family; rows with an interval)`, (n) => {
    const t = nulls.get(n)!;
    const judged = families.map((f) => t.judged[`${f}_${p}`] ?? 0);
    if (judged.every((j) => j === 0)) return "not judged";
    const cov = families
      .filter((_, i) => judged[i] > 0)
      .map((f) => [f, (t.covered[`${f}_${p}`] ?? 0) / t.judged[`${f}_${p}`]] as const);
    const worst = cov.reduce((w, c) => (c[1] < w[1] ? c : w));
    return `${(100 * worst[1]).toFixed(1)}% ${worst[0].toUpperCase()} (${pc(
      judged.reduce((a, b) => a + b, 0),
      splits * families.length,
    )})`;
  });
}
for (const m of ["tpot_p50", "e2e_p50", "ttft_p50"])
  row(`power: ${m} ×${stretch} called regressed`, (n) => pc(powers.get(n)!.caught[m] ?? 0, splits));
row(`power: p50 interval holds the truth ×${stretch} (worst family)`, (n) => {
  const t = powers.get(n)!;
  const cov = families
    .filter((f) => (t.judged[`${f}_p50`] ?? 0) > 0)
    .map((f) => (t.covered[`${f}_p50`] ?? 0) / t.judged[`${f}_p50`]);
  return cov.length ? `${(100 * Math.min(...cov)).toFixed(1)}%` : "not judged";
});

console.log(
  `compare study of ${file}: ${measured.length} measured records${runRecords.length > 1 ? ` from its ${runRecords.length} runs` : ""}; ${splits} splits per size, seed ${seed}; default gate (${gated.join(", ")}), thresholds, α ${settings.alpha}`,
);
console.log(`metrics: ${METRICS.length}; ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
console.log(lines.join("\n"));
if (argv.includes("--detail")) {
  console.log("\nper metric, null: called regressed/improved, interval holds 0 (of rows with one)");
  for (const m of METRICS)
    console.log(
      `  ${m.name.padEnd(18)} ${usable.map((n) => `${n}: ${pc(nulls.get(n)!.called[m.name] ?? 0, splits)} ${pc(nulls.get(n)!.covered[m.name] ?? 0, nulls.get(n)!.judged[m.name] ?? 0)}`).join("  ")}`,
    );
}
const skipped = sizes.filter((n) => !usable.includes(n));
if (skipped.length) console.log(`\nskipped (fewer than 2n measured records): ${skipped.join(", ")}`);
