/** `llmbench report RESULT.json [MORE.json …] -o report.html`: one self-contained HTML page. */
import { defineCommand } from "citty";
import { buildReport } from "../app/report.ts";
import { UsageError } from "../core/errors.ts";
import { parseReportArgs, REPORT_FLAGS, REPORT_POSITIONALS } from "../core/options/report.ts";
import { checkWritable, writeOutput } from "../io/files.ts";
import { logger } from "../io/logger.ts";
import { cittyArgs } from "./args.ts";

export const report = defineCommand({
  meta: {
    name: "report",
    description:
      "Write one self-contained HTML page (tables and charts, no network) from result files and compare JSON",
  },
  args: cittyArgs(REPORT_FLAGS, REPORT_POSITIONALS),
  async run({ rawArgs }) {
    const o = parseReportArgs(rawArgs);
    if (!o.output)
      throw new UsageError(
        "report needs -o FILE: where to write the HTML page",
        "llmbench report RESULT.json [MORE.json …] -o report.html (or -o - for stdout)",
      );
    await checkWritable(o.output);
    const html = await buildReport(o.files);
    await writeOutput(o.output, html);
    if (!o.quiet && o.output !== "-")
      logger.info(`report written to ${o.output} (${(Buffer.byteLength(html) / 1024).toFixed(0)} KB)`);
  },
});
