/** `llmbench compare`: its flags (one table: help and parser), its files, and its settings. */
import { DEFAULT_GATE } from "../compare/metrics.ts";
import { parseAlpha, parseGate, parseThresholds } from "../compare/thresholds.ts";
import type { CompareSettings } from "../compare/compare.ts";
import { UsageError } from "../errors.ts";
import { parseArgv, type FlagTable } from "./argv.ts";

export const COMPARE_FORMATS = ["text", "markdown", "json"] as const;
export type CompareFormat = (typeof COMPARE_FORMATS)[number];

export const COMPARE_FLAGS = {
  threshold: {
    type: "string",
    multiple: true,
    description:
      "smallest change that counts: 5% (default) for latencies and throughput, NNpp for rates; per metric: ttft_p95=10%,error_rate=0.5pp",
  },
  gate: {
    type: "string",
    description: `metrics whose regression fails the comparison (exit 1): names or groups, 'default', 'all', 'none' (default: ${DEFAULT_GATE.join(",")})`,
  },
  alpha: { type: "string", description: "1 − confidence of the intervals (0.05: 95% intervals)", default: "0.05" },
  format: { type: "string", alias: "f", description: "text | markdown | json", default: "text" },
  "hide-unchanged": { type: "boolean", description: "leave out rows that did not change (and n/a rows)" },
  "allow-mismatch": {
    type: "boolean",
    description: "compare runs whose configurations differ (every difference is still listed)",
  },
  "gate-on-ratios": {
    type: "boolean",
    description: "judge rows that have only a bare ratio (files without records, one run per side) on that ratio",
  },
} as const satisfies FlagTable;

export const COMPARE_POSITIONALS = {
  base: { description: "baseline result file(s); several files: b1.json b2.json -- c1.json c2.json, or a quoted glob" },
  candidate: { description: "candidate result file(s)" },
};

export interface CompareArgs {
  /** file names or glob patterns, as given */
  base: string[];
  cand: string[];
  settings: CompareSettings;
  allowMismatch: boolean;
  format: CompareFormat;
  hideUnchanged: boolean;
}

const USAGE = "llmbench compare BASE.json CAND.json, or b1.json b2.json -- c1.json c2.json";

/** `compare`'s command line → its files and settings (`argv` without the command name). */
export function parseCompareArgs(argv: readonly string[]): CompareArgs {
  // any number of files may precede '--'
  const p = parseArgv(argv, COMPARE_FLAGS, "compare", { positionals: Number.POSITIVE_INFINITY });
  const { base, cand } = splitFiles(p.positionals, p.rest);
  return {
    base,
    cand,
    settings: {
      thresholds: parseThresholds(p.all("threshold")),
      gate: parseGate(p.given("gate")),
      alpha: parseAlpha(p.get("alpha")),
      gateOnRatios: p.flag("gate-on-ratios") === true,
    },
    allowMismatch: p.flag("allow-mismatch") === true,
    format: parseFormat(p.get("format")!),
    hideUnchanged: p.flag("hide-unchanged") === true,
  };
}

/** Baseline and candidate files: `A B`, or `A… -- B…` (`rest`: what came after `--`, null without one). */
export function splitFiles(
  before: readonly string[],
  rest: readonly string[] | null,
): { base: string[]; cand: string[] } {
  if (rest !== null) {
    const flag = rest.find((a) => a.startsWith("-") && a !== "-");
    if (flag !== undefined)
      throw new UsageError(
        `options go before '--' (after it come the candidate files), got '${flag}'`,
        "e.g. llmbench compare --format markdown b1.json b2.json -- c1.json c2.json",
      );
    if (before.length === 0 || rest.length === 0)
      throw new UsageError(`compare needs baseline files before '--' and candidate files after it`, USAGE);
    return { base: [...before], cand: [...rest] };
  }
  if (before.length < 2)
    throw new UsageError(
      `compare needs a baseline and a candidate result file${before.length === 1 ? ` (got only ${before[0]})` : ""}`,
      USAGE,
    );
  if (before.length > 2)
    throw new UsageError(
      `${before.length} files given: with several files per side, put '--' between the baselines and the candidates`,
      USAGE,
    );
  return { base: [before[0]], cand: [before[1]] };
}

function parseFormat(value: string): CompareFormat {
  const f = value === "md" ? "markdown" : value;
  if (!(COMPARE_FORMATS as readonly string[]).includes(f))
    throw new UsageError(
      `--format must be one of ${COMPARE_FORMATS.join(", ")}; got '${value}'`,
      "e.g. --format markdown",
    );
  return f as CompareFormat;
}
