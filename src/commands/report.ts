/** `llmbench report RESULT.json [MORE.json …] -o report.html`: one self-contained HTML page. */
import { defineCommand } from "citty";
import { buildReport } from "../app/report.ts";
import { UsageError } from "../core/errors.ts";
import { checkFlags } from "../core/options.ts";
import { checkWritable, writeOutput } from "../io/files.ts";
import { logger } from "../io/logger.ts";

const args = {
  files: { type: "positional", required: false, description: "result files (several are overlaid), and compare JSON files (their table and verdicts), or quoted globs" },
  output: { type: "string", alias: "o", description: "the HTML file to write (atomically; - for stdout)", valueHint: "file" },
  quiet: { type: "boolean", alias: "q", description: "no info message on stderr" },
} as const;

export const report = defineCommand({
  meta: { name: "report", description: "Write one self-contained HTML page (tables and charts, no network) from result files and compare JSON" },
  args,
  async run({ args: parsed, rawArgs }) {
    const files = parsed._.map(String);
    const positionals = Object.fromEntries(files.map((_, i) => [`file${i}`, { type: "positional" }]));
    checkFlags(rawArgs, { ...args, ...positionals }, "report");
    const output = typeof parsed.output === "string" && parsed.output !== "" ? parsed.output : undefined;
    if (!output) throw new UsageError("report needs -o FILE: where to write the HTML page", "llmbench report RESULT.json -o report.html (or -o - for stdout)");
    await checkWritable(output);
    const html = await buildReport(files);
    await writeOutput(output, html);
    if (parsed.quiet !== true && output !== "-") logger.info(`report written to ${output} (${(Buffer.byteLength(html) / 1024).toFixed(0)} KB)`);
  },
});
