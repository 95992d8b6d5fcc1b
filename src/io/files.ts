/** Atomic writes and reading result files. */
import { access, constants, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { dirname, basename, join } from "node:path";
import { UsageError } from "../core/errors.ts";

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

/** Fail now, with the fix, if `path` cannot be written later (its folder is missing or read-only). */
export async function checkWritable(path: string): Promise<void> {
  if ((await stat(path).catch(() => null))?.isDirectory()) {
    throw new UsageError(`cannot write ${path}: it is a folder`, `give a file name, e.g. --output ${join(path, "result.json")}`);
  }
  const dir = dirname(path);
  try {
    await access(dir, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot write ${path}: ${code === "ENOENT" ? `the folder ${dir} does not exist` : `the folder ${dir} is not writable`}`, `create the folder first, or choose another --output`);
  }
}

/** A text file's contents, or a one-line UsageError naming the file and `hint`. */
export async function readText(path: string, hint: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : (code ?? (err as Error).message);
    throw new UsageError(`cannot read ${path}: ${why}`, hint);
  }
}
