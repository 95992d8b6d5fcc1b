/** `llmbench merge A.json B.json …`: one result from shards run at the same time on several machines. */
import { defineCommand } from "citty";
import { runMerge } from "../app/merge.ts";
import { cittyArgs } from "./args.ts";
import { emit } from "../app/emit.ts";
import { MERGE_FLAGS, MERGE_POSITIONALS, parseMergeArgs } from "../core/options/merge.ts";
import { logger } from "../io/logger.ts";
import { renderReport } from "../render/report.ts";

export const merge = defineCommand({
  meta: {
    name: "merge",
    description: "Merge result files of shards run at the same time on several machines into one",
  },
  args: cittyArgs(MERGE_FLAGS, MERGE_POSITIONALS),
  async run({ rawArgs }) {
    const o = parseMergeArgs(rawArgs);
    const doc = await runMerge(o.files, o.allowMismatch);
    await emit(doc, o, renderReport(doc), o.quiet ? () => {} : (m) => logger.info(m));
  },
});
