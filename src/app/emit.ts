/** Where a command's document and report go: stdout, the --output file, or both. */
import { formatDocument } from "../render/json.ts";
import { writeOutput } from "../io/files.ts";

/**
 * The report (or the document with --json) on stdout first, then the file: an unwritable file loses
 * nothing printed. `--output -` writes the document to stdout instead of the report (as --json does).
 */
export async function emit(
  doc: unknown,
  o: { json: boolean; output: string | undefined },
  report: string | null,
  info: (m: string) => void,
): Promise<void> {
  const text = formatDocument(doc);
  const toStdout = o.output === "-";
  if (o.json || toStdout) process.stdout.write(text);
  else if (report !== null) process.stdout.write(report);
  if (o.output && !toStdout) {
    await writeOutput(o.output, text);
    info(`result written to ${o.output}`);
  }
}
