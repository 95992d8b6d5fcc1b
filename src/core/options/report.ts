/** `llmbench report`: its flags (one table: help and parser) and its files. */
import { parseArgv, type FlagTable } from "./argv.ts";

export const REPORT_FLAGS = {
  output: {
    type: "string",
    alias: "o",
    description: "the HTML file to write (atomically; - for stdout)",
    valueHint: "file",
  },
  quiet: { type: "boolean", alias: "q", description: "no info message on stderr" },
} as const satisfies FlagTable;

export const REPORT_POSITIONALS = {
  files: {
    description:
      "result files (several are overlaid), and compare JSON files (their table and verdicts), or quoted globs",
  },
};

export interface ReportArgs {
  files: string[];
  output: string | undefined;
  quiet: boolean;
}

/** `report`'s command line → its files and flags (`argv` without the command name). */
export function parseReportArgs(argv: readonly string[]): ReportArgs {
  const p = parseArgv(argv, REPORT_FLAGS, "report", { positionals: Number.POSITIVE_INFINITY });
  return { files: [...p.positionals, ...(p.rest ?? [])], output: p.given("output"), quiet: p.flag("quiet") === true };
}
