/** `llmbench merge A.json B.json …`: one result from shards run at the same time on several machines. */
import { defineCommand } from "citty";
import { runMerge } from "../app/merge.ts";
import { checkFlags } from "../core/options.ts";
import { writeFileAtomic } from "../io/files.ts";
import { logger } from "../io/logger.ts";
import { renderReport } from "../render/report.ts";
import { outputArgs } from "./_shared.ts";

const args = {
  files: { type: "positional", required: false, description: "result files of the shards (or quoted globs)" },
  "allow-mismatch": { type: "boolean", description: "merge shards whose configurations differ" },
  ...outputArgs,
} as const;

export const merge = defineCommand({
  meta: { name: "merge", description: "Merge result files of shards run at the same time on several machines into one" },
  args,
  async run({ args: parsed, rawArgs }) {
    const files = parsed._.map(String);
    const positionals = Object.fromEntries(files.map((_, i) => [`file${i}`, { type: "positional" }]));
    checkFlags(rawArgs, { ...args, ...positionals }, "merge");
    const doc = await runMerge(files, parsed["allow-mismatch"] === true);
    if (typeof parsed.output === "string" && parsed.output !== "") {
      await writeFileAtomic(parsed.output, `${JSON.stringify(doc, null, 2)}\n`);
      if (parsed.quiet !== true) logger.info(`merged result written to ${parsed.output}`);
    }
    process.stdout.write(parsed.json === true ? `${JSON.stringify(doc, null, 2)}\n` : renderReport(doc));
  },
});
