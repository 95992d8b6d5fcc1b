/** `llmbench compare BASE.json CAND.json`: parse arguments, compare, print, set the exit code. */
import { defineCommand } from "citty";
import { runCompare } from "../app/compare.ts";
import { cittyArgs } from "./args.ts";
import { COMPARE_FLAGS, COMPARE_POSITIONALS, parseCompareArgs } from "../core/options/compare.ts";

export const compare = defineCommand({
  meta: {
    name: "compare",
    description:
      "Compare a baseline and a candidate result: deltas, intervals, p-values, verdicts; exit 1 on a gated regression or a side that measured nothing, 2 when the gate cannot decide",
  },
  args: cittyArgs(COMPARE_FLAGS, COMPARE_POSITIONALS),
  async run({ rawArgs }) {
    const outcome = await runCompare(parseCompareArgs(rawArgs));
    process.stdout.write(outcome.output);
    process.exitCode = outcome.exitCode;
  },
});
