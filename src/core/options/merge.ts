/** `llmbench merge`: its flags (one table: help and parser) and its files. */
import { parseArgv, type FlagTable } from "./argv.ts";
import { OUTPUT_FLAGS } from "./target.ts";

export const MERGE_FLAGS = {
  "allow-mismatch": { type: "boolean", description: "merge shards whose configurations differ" },
  ...OUTPUT_FLAGS,
} as const satisfies FlagTable;

export const MERGE_POSITIONALS = { files: { description: "result files of the shards (or quoted globs)" } };

export interface MergeArgs {
  files: string[];
  allowMismatch: boolean;
  output: string | undefined;
  json: boolean;
  quiet: boolean;
}

/** `merge`'s command line → its files and flags (`argv` without the command name). */
export function parseMergeArgs(argv: readonly string[]): MergeArgs {
  const p = parseArgv(argv, MERGE_FLAGS, "merge", { positionals: Number.POSITIVE_INFINITY });
  return {
    files: [...p.positionals, ...(p.rest ?? [])],
    allowMismatch: p.flag("allow-mismatch") === true,
    output: p.given("output"),
    json: p.flag("json") === true,
    quiet: p.flag("quiet") === true,
  };
}
