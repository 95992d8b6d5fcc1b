/** Atomic writes and reading result files. */
import { rename, unlink, writeFile, readFile } from "node:fs/promises";
import { dirname, basename, join } from "node:path";
import { UsageError } from "../core/errors.ts";
import { parseResult, type ResultDocument } from "../core/result.ts";

/** Write to a temporary file beside the target, then rename: a reader never sees half a file. */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot write ${path}: ${code ?? (err as Error).message}`, `check that the folder ${dirname(path)} exists and is writable`);
  }
}

export async function readResultFile(path: string): Promise<ResultDocument> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${path}: ${code === "ENOENT" ? "no such file" : (code ?? (err as Error).message)}`, `pass the path of a result file written by 'llmbench run --output FILE'`);
  }
  return parseResult(text, path);
}
