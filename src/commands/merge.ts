/** `llmbench merge A.json B.json …`: one result from shards run at the same time on several machines. */
import { defineCommand } from "citty";
import { runMerge } from "../app/merge.ts";
import { checkFlags } from "../core/options.ts";
import { logger } from "../io/logger.ts";
import { renderReport } from "../render/report.ts";
import { emit } from "../app/emit.ts";
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
    const output = typeof parsed.output === "string" && parsed.output !== "" ? parsed.output : undefined;
    await emit(doc, { json: parsed.json === true, output }, renderReport(doc), parsed.quiet === true ? () => {} : (m) => logger.info(m));
  },
});
