/**
 * Writing `--output`, and reading result files.
 *
 * What `--output PATH` does depends on what is at PATH: `-` is stdout; a new path or a regular file
 * is replaced atomically (a temporary file beside it, then rename); a symlink's final target is
 * written that way, in the target's own folder, and the link is left alone; a FIFO or a character
 * device (a pipe, a terminal) is written in place, never replaced. A temporary file left by a write
 * that was killed (kill -9) is removed by the next command given the same path (at its start, and
 * again when it writes).
 */
import { createHash } from "node:crypto";
import { constants as fsConstants, readFileSync, rmSync, type Stats } from "node:fs";
import { access, constants, lstat, open, readdir, readlink, realpath, rename, stat, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname, basename, join, resolve } from "node:path";
import { UsageError } from "../core/errors.ts";
import { formatSize } from "../core/size.ts";

/** Where a write to `--output` goes: stdout, an atomic replace of a regular (or new) file, or in place. */
export type OutputTarget =
  | { kind: "stdout" }
  | { kind: "stderr" }
  | { kind: "replace"; path: string }
  | { kind: "in-place"; path: string };

/** Names of this process's own stdout and stderr: written through the process's streams, whatever they are (a socket cannot be opened by path). */
const OWN_STREAMS: Record<string, "stdout" | "stderr"> = {
  "/dev/stdout": "stdout",
  "/dev/fd/1": "stdout",
  "/proc/self/fd/1": "stdout",
  "/dev/stderr": "stderr",
  "/dev/fd/2": "stderr",
  "/proc/self/fd/2": "stderr",
};

/** symlinks followed before giving up (the kernel's own limit is 40) */
const MAX_LINKS = 40;

const errCode = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

/** What `--output path` writes to, from what is there now; a folder, a socket or a block device is refused. */
export async function resolveOutput(path: string): Promise<OutputTarget> {
  if (path === "-") return { kind: "stdout" };
  const own = OWN_STREAMS[path];
  if (own) return { kind: own };
  const refuse = (why: string, fix = "give a file name, a FIFO, or - for stdout") =>
    new UsageError(`cannot write ${path}: ${why}`, fix);
  let st: Awaited<ReturnType<typeof stat>> | null;
  try {
    st = await stat(path); // follows symlinks, /dev/stdout's too
  } catch (err) {
    const code = errCode(err);
    if (code === "ELOOP") throw refuse("its symlinks form a loop");
    if (code !== "ENOENT") throw refuse(code);
    st = null;
  }
  if (st) {
    if (st.isFile()) return { kind: "replace", path: await realpath(path) };
    if (st.isFIFO() || st.isCharacterDevice()) return { kind: "in-place", path };
    if (st.isDirectory())
      throw refuse("it is a folder", `give a file name, e.g. --output ${join(path, "result.json")}`);
    throw refuse(st.isSocket() ? "it is a socket" : "it is a block device");
  }
  // nothing there: a new file — or a dangling symlink, whose target is created
  let p = path;
  for (let i = 0; i < MAX_LINKS; i++) {
    const l = await lstat(p).catch(() => null);
    if (!l?.isSymbolicLink()) return { kind: "replace", path: p };
    p = resolve(dirname(p), await readlink(p));
  }
  throw refuse("its symlinks form a loop");
}

/** This machine's name as it appears in temporary file names (a folder may be shared by several machines or containers). */
const HOST = hostname().replace(/[^A-Za-z0-9-]/g, "_") || "host";

/** The temporary file of a write to `path` by this process: `.NAME.HOST.PID.TIME.tmp`. */
const tempName = (path: string) => join(dirname(path), `.${basename(path)}.${HOST}.${process.pid}.${Date.now()}.tmp`);

/**
 * Remove temporary files a killed write to `path` left behind: those of this machine whose process
 * is gone. Never another live process's, nor another machine's (its pids mean nothing here).
 */
export async function cleanStaleTemps(path: string): Promise<string[]> {
  const base = basename(path);
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(`.${base}.`) || !name.endsWith(".tmp")) continue;
    const m = /^\.([A-Za-z0-9_-]+)\.(\d+)\.(\d+)\.tmp$/.exec(name.slice(base.length + 1));
    if (!m || m[1] !== HOST) continue;
    const pid = Number(m[2]);
    if (pid === process.pid || alive(pid)) continue;
    const stale = join(dirname(path), name);
    if (
      await unlink(stale).then(
        () => true,
        () => false,
      )
    )
      removed.push(stale);
  }
  return removed;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // exists, someone else's
  }
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return process.platform !== "linux"; // no /proc to ask: kill(0) said it exists; on Linux it is gone now
  }
  // a killed writer not yet reaped (a zombie: its parent died too, and init reaps when it will) writes nothing more
  return !/^\d+ \(.*\) Z/.test(stat);
}

/**
 * Temporary files opened before a run for its result (checkWritable): a run that exhausts the
 * process's file descriptors (the `client` error class) ends with every descriptor held by
 * connections Bun keeps open, and the result must not be lost for want of one. Removed at exit if
 * never written.
 */
const reservations = new Map<string, { tmp: string; fh: Awaited<ReturnType<typeof open>> }>();
process.on("exit", () => {
  for (const { tmp } of reservations.values()) rmSync(tmp, { force: true });
});

/** Write to a temporary file beside the target, flush it, then rename: a reader never sees half a file. */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const reserved = reservations.get(path);
  reservations.delete(path);
  await cleanStaleTemps(path);
  const tmp = reserved?.tmp ?? tempName(path);
  try {
    const fh = reserved?.fh ?? (await open(tmp, "wx", 0o644));
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw new UsageError(
      `cannot write ${path}: ${errCode(err)}`,
      `check that the folder ${dirname(path)} exists and is writable`,
    );
  }
}

/** Write `data` where `--output path` says (see resolveOutput): atomically, in place, or to stdout. */
export async function writeOutput(path: string, data: string): Promise<void> {
  const target = await resolveOutput(path);
  if (target.kind === "stdout" || target.kind === "stderr") {
    const stream = target.kind === "stdout" ? process.stdout : process.stderr;
    await new Promise<void>((done, fail) => stream.write(data, (err) => (err ? fail(err) : done())));
    return;
  }
  if (target.kind === "replace") return writeFileAtomic(target.path, data);
  try {
    // a FIFO blocks here until a reader opens it, as `> fifo` does in a shell
    const fh = await open(target.path, constants.O_WRONLY);
    try {
      await fh.writeFile(data);
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw new UsageError(
      `cannot write ${path}: ${errCode(err)}`,
      `check the device or FIFO, or choose another --output`,
    );
  }
}

/** Fail now, with the fix, if `path` cannot be written later (its folder is missing or read-only, or it is a folder). */
export async function checkWritable(path: string): Promise<void> {
  const target = await resolveOutput(path);
  if (target.kind === "stdout" || target.kind === "stderr") return;
  if (target.kind === "in-place") {
    await access(target.path, constants.W_OK).catch((err) => {
      throw new UsageError(`cannot write ${path}: ${errCode(err)}`, `choose another --output`);
    });
    return;
  }
  const dir = dirname(target.path);
  try {
    await access(dir, constants.W_OK);
    await cleanStaleTemps(target.path); // what a killed earlier write left, gone at the next start
    if (!reservations.has(target.path)) {
      const tmp = tempName(target.path);
      reservations.set(target.path, { tmp, fh: await open(tmp, "wx", 0o644) });
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const shown = target.path === path ? path : `${path} (→ ${target.path})`;
    throw new UsageError(
      `cannot write ${shown}: ${code === "ENOENT" ? `the folder ${dir} does not exist` : `the folder ${dir} is not writable`}`,
      `create the folder first, or choose another --output`,
    );
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

/**
 * An input file's text (compare, merge), refused with a one-line UsageError naming the file when it
 * is not a regular file once symlinks are followed (a FIFO would block forever, /dev/zero never ends)
 * or is larger than `maxBytes` — checked on the opened file, and again while reading (it may grow).
 */
/** SHA-256 of a file's text as UTF-8, hex: how a result names the trace or sessions file it replayed (a path alone does not say which contents). */
export function contentSha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

export async function readInputFile(path: string, hint: string, maxBytes: number = MAX_INPUT_BYTES): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    // O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting for one
    handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "no such file"
        : code === "EISDIR"
          ? "it is a directory"
          : code === "EACCES"
            ? "permission denied"
            : (code ?? (err as Error).message);
    throw new UsageError(`cannot read ${path}: ${why}`, hint);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) {
      const stream = st.isFIFO() || st.isCharacterDevice() || st.isSocket();
      throw new UsageError(
        `cannot read ${path}: it is ${kindOf(st)}, not a regular file`,
        stream ? `${hint}; save what a pipe or device gives to a file first` : hint,
      );
    }
    const tooBig = (n: number) =>
      new UsageError(
        `cannot read ${path}: ${formatSize(n)}, more than the ${formatSize(maxBytes)} an input file may have`,
        hint,
      );
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
    throw new UsageError(
      `cannot read ${path}: ${code === "EISDIR" ? "it is a directory" : (code ?? (err as Error).message)}`,
      hint,
    );
  } finally {
    await handle.close().catch(() => {});
  }
}
