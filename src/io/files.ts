/** Atomic writes and reading result files. */
import { constants as fsConstants, type Stats } from "node:fs";
import { access, constants, open, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
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

/**
 * The most bytes `readInputFile` reads: the longest string a JS engine holds (2^31 − 1 characters,
 * Bun's `buffer.constants.MAX_STRING_LENGTH`), so every file that can be parsed at all is read.
 * Measured: a record takes 300 bytes unstreamed, 1,251 bytes streamed at --max-tokens 100 (1,497
 * with a long run's 7-digit times): a million-request streamed result is 1.5 GB.
 */
export const MAX_INPUT_BYTES = 2 ** 31 - 1;

function kindOf(s: Stats): string {
  if (s.isDirectory()) return "a directory";
  if (s.isFIFO()) return "a FIFO (named pipe)";
  if (s.isCharacterDevice()) return "a character device";
  if (s.isBlockDevice()) return "a block device";
  if (s.isSocket()) return "a socket";
  return "not a regular file";
}

const size = (bytes: number) => (bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${bytes} bytes`);

/**
 * An input file's text (compare, merge), refused with a one-line UsageError naming the file when it
 * is not a regular file once symlinks are followed (a FIFO would block forever, /dev/zero never ends)
 * or is larger than `maxBytes` — checked on the opened file, and again while reading (it may grow).
 */
export async function readInputFile(path: string, hint: string, maxBytes: number = MAX_INPUT_BYTES): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    // O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting for one
    handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : code === "EACCES" ? "permission denied" : (code ?? (err as Error).message);
    throw new UsageError(`cannot read ${path}: ${why}`, hint);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) {
      const stream = st.isFIFO() || st.isCharacterDevice() || st.isSocket();
      throw new UsageError(`cannot read ${path}: it is ${kindOf(st)}, not a regular file`, stream ? `${hint}; save what a pipe or device gives to a file first` : hint);
    }
    const tooBig = (n: number) => new UsageError(`cannot read ${path}: ${size(n)}, more than the ${size(maxBytes)} an input file may have`, hint);
    if (st.size > maxBytes) throw tooBig(st.size);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(Math.max(st.size - total + 1, 2 ** 16), 2 ** 24, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) throw tooBig(total);
      chunks.push(buf.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks, total).toString("utf8");
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${path}: ${code === "EISDIR" ? "it is a directory" : (code ?? (err as Error).message)}`, hint);
  } finally {
    await handle.close().catch(() => {});
  }
}
