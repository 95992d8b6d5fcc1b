/** `llmbench compare BASE.json CAND.json`: parse arguments, compare, print, set the exit code. */
import { defineCommand } from "citty";
import { runCompare } from "../app/compare.ts";
import { parseAlpha, parseGate, parseThresholds } from "../core/compare/thresholds.ts";
import { UsageError } from "../core/errors.ts";
import { checkFlags, repeatedFlag } from "../core/options.ts";
import { COMPARE_FORMATS, type CompareFormat } from "../render/compare.ts";

const args = {
  base: { type: "positional", required: false, description: "baseline result file(s); several files: b1.json b2.json -- c1.json c2.json, or a quoted glob" },
  candidate: { type: "positional", required: false, description: "candidate result file(s)" },
  threshold: { type: "string", description: "smallest change that counts: 5% (default) for latencies and throughput, NNpp for rates; per metric: ttft_p95=10%,error_rate=0.5pp" },
  gate: { type: "string", description: "metrics whose regression fails the comparison (exit 1): names or groups, 'default', 'all', 'none' (default: ttft_p50,ttft_p95,tpot_p50,tpot_p95,e2e_p50,e2e_p95,error_rate)" },
  alpha: { type: "string", description: "1 − confidence of the intervals (default 0.05: 95% intervals)" },
  format: { type: "string", alias: "f", description: "text (default) | markdown | json" },
  "hide-unchanged": { type: "boolean", description: "leave out rows that did not change (and n/a rows)" },
  "allow-mismatch": { type: "boolean", description: "compare runs whose configurations differ (every difference is still listed)" },
  "gate-on-ratios": { type: "boolean", description: "judge rows that have only a bare ratio (files without records, one run per side) on that ratio" },
} as const;

/** Flags that take a value (their value is not a file). */
const VALUE_FLAGS = new Set(["threshold", "gate", "alpha", "format", "f"]);

/** Baseline and candidate files: `A B`, or `A… -- B…`. */
export function splitFiles(rawArgs: readonly string[]): { base: string[]; cand: string[] } {
  const before: string[] = [];
  let after: string[] | null = null;
  for (let i = 0; i < rawArgs.length; i++) {
    const a = rawArgs[i];
    if (after !== null) {
      if (a.startsWith("-") && a !== "-") throw new UsageError(`options go before '--' (after it come the candidate files), got '${a}'`, "e.g. llmbench compare --format markdown b1.json b2.json -- c1.json c2.json");
      after.push(a);
    } else if (a === "--") after = [];
    else if (a.startsWith("-") && a !== "-") {
      const name = a.replace(/^--?/, "");
      if (!name.includes("=") && VALUE_FLAGS.has(name)) i++;
    } else before.push(a);
  }
  const usage = "llmbench compare BASE.json CAND.json, or b1.json b2.json -- c1.json c2.json";
  if (after !== null) {
    if (before.length === 0 || after.length === 0) throw new UsageError(`compare needs baseline files before '--' and candidate files after it`, usage);
    return { base: before, cand: after };
  }
  if (before.length < 2) throw new UsageError(`compare needs a baseline and a candidate result file${before.length === 1 ? ` (got only ${before[0]})` : ""}`, usage);
  if (before.length > 2) throw new UsageError(`${before.length} files given: with several files per side, put '--' between the baselines and the candidates`, usage);
  return { base: [before[0]], cand: [before[1]] };
}

function parseFormat(value: string | undefined): CompareFormat {
  if (value === undefined) return "text";
  const f = value === "md" ? "markdown" : value;
  if (!(COMPARE_FORMATS as readonly string[]).includes(f)) throw new UsageError(`--format must be one of ${COMPARE_FORMATS.join(", ")}; got '${value}'`, "e.g. --format markdown");
  return f as CompareFormat;
}

export const compare = defineCommand({
  meta: { name: "compare", description: "Compare a baseline and a candidate result: deltas, intervals, p-values, verdicts; exit 1 on a gated regression or a side that measured nothing, 2 when the gate cannot decide" },
  args,
  async run({ args: parsed, rawArgs }) {
    // any number of files may precede '--': allow as many positionals as there are arguments
    const positionals = Object.fromEntries(rawArgs.map((_, i) => [`file${i}`, { type: "positional" }]));
    checkFlags(rawArgs, { ...args, ...positionals }, "compare");
    const { base, cand } = splitFiles(rawArgs);
    const given = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
    const outcome = await runCompare({
      base,
      cand,
      settings: {
        thresholds: parseThresholds(repeatedFlag(rawArgs, "threshold")),
        gate: parseGate(given(parsed.gate)),
        alpha: parseAlpha(given(parsed.alpha)),
        gateOnRatios: parsed["gate-on-ratios"] === true,
      },
      allowMismatch: parsed["allow-mismatch"] === true,
      format: parseFormat(given(parsed.format)),
      hideUnchanged: parsed["hide-unchanged"] === true,
    });
    process.stdout.write(outcome.output);
    process.exitCode = outcome.exitCode;
  },
});
