/**
 * Records that leave memory as they complete (`run --records-file FILE`): one JSON record a line,
 * after a header line that says what the file is and where its times start. Times are ms relative
 * to the header's origin (the run's start on the monotonic clock, `t0_unix_ms` on the wall clock),
 * rounded to µs like the result's own `requests`. Lines come in completion order (sort by `seq`
 * for dispatch order). Then the reader: one pass over the file, one record at a time.
 */
import { closeSync, openSync, readSync, writeSync } from "node:fs";
import { UsageError } from "../core/errors.ts";
import type { RawRecord } from "../core/metrics.ts";
import type { ResultRecord } from "../core/result.ts";

export const RECORDS_SCHEMA = "llmbench.records/v1";

/** Bytes read from a records file at a time. */
const READ_BYTES = 1 << 20;

export interface RecordsHeader {
  schema: typeof RECORDS_SCHEMA;
  /** wall-clock time (Unix ms) of the origin the records' times are relative to */
  t0_unix_ms: number;
}

/** Characters of records gathered before one write: a write of this size takes well under a millisecond. */
const WRITE_CHARS = 1 << 18;

/**
 * Lines gathered in memory up to `WRITE_CHARS`, then written synchronously, in order. (Bun's
 * FileSink was not used: its `end()` resolved before the last bytes were on disk, in Bun 1.4.5,
 * and a pass reading the file right after saw a cut last line.)
 */
export class RecordsSink {
  private readonly fd: number;
  private pending: string[] = [];
  private pendingChars = 0;
  private written = 0;

  /** `origin`: the monotonic time (ms) records' times are made relative to. */
  constructor(
    readonly path: string,
    private readonly origin: number,
  ) {
    this.fd = openSync(path, "w");
    const header: RecordsHeader = {
      schema: RECORDS_SCHEMA,
      t0_unix_ms: Math.round((performance.timeOrigin + origin) * 1000) / 1000,
    };
    writeSync(this.fd, JSON.stringify(header) + "\n");
  }

  /** The record with its times made relative (what is written, and what the summary should fold). */
  relative(r: RawRecord): ResultRecord {
    const o = this.origin;
    const rel = (t: number) => Math.round((t - o) * 1000) / 1000;
    const out: ResultRecord = {
      ...r,
      tSched: r.tSched === null ? null : rel(r.tSched),
      tSend: rel(r.tSend),
      tFirstByte: r.tFirstByte === null ? null : rel(r.tFirstByte),
      tEnd: r.tEnd === null ? null : rel(r.tEnd),
      tokenTimes: r.tokenTimes.map(rel),
    };
    if (r.tRetry !== undefined) out.tRetry = rel(r.tRetry);
    return out;
  }

  write(r: ResultRecord): void {
    const line = JSON.stringify(r);
    this.pending.push(line);
    this.pendingChars += line.length + 1;
    this.written++;
    if (this.pendingChars >= WRITE_CHARS) this.flush();
  }

  /** encoded into one reused buffer: a string handed to writeSync becomes a fresh native copy each time */
  private readonly bytes = new Uint8Array(WRITE_CHARS * 4);
  private readonly encoder = new TextEncoder();

  private flush(): void {
    if (this.pending.length === 0) return;
    let text = this.pending.join("\n") + "\n";
    this.pending = [];
    this.pendingChars = 0;
    while (text.length > 0) {
      const { read, written } = this.encoder.encodeInto(text, this.bytes);
      writeSync(this.fd, this.bytes, 0, written);
      text = text.slice(read);
    }
  }

  get count(): number {
    return this.written;
  }

  /** Everything on disk. */
  async close(): Promise<void> {
    this.flush();
    closeSync(this.fd);
  }
}

/** Open a records file for writing, or a one-line error that says why not. */
export function openRecordsSink(path: string, origin: number): RecordsSink {
  try {
    return new RecordsSink(path, origin);
  } catch (err) {
    throw new UsageError(
      `cannot write --records-file ${path}: ${(err as Error).message}`,
      `pass a path in a writable directory`,
    );
  }
}

/** One pass over a records file: the header, then every record in file order. */
export async function readRecords(path: string, onRecord: (r: ResultRecord) => void): Promise<RecordsHeader> {
  const file = Bun.file(path);
  if (!(await file.exists()))
    throw new UsageError(
      `records file ${path} does not exist`,
      `keep the records file next to the result that names it`,
    );
  const decoder = new TextDecoder();
  let header: RecordsHeader | undefined;
  let line = 0;
  const take = (text: string) => {
    line++;
    if (text === "") return;
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      throw new UsageError(
        `${path} line ${line} is not JSON: the records file is damaged or truncated`,
        `run again with --records-file`,
      );
    }
    if (header === undefined) {
      if ((v as RecordsHeader | null)?.schema !== RECORDS_SCHEMA)
        throw new UsageError(
          `${path} is not an llmbench records file (expected "${RECORDS_SCHEMA}" on its first line)`,
          `pass the file written by 'llmbench run --records-file'`,
        );
      header = v as RecordsHeader;
    } else onRecord(v as ResultRecord);
  };
  // one reused buffer, read synchronously: a stream's fresh chunk per read is native memory the
  // collector does not see, and piled up to ~2 KB per record before it ran (measured: 162 MB RSS
  // after a pass over 40k records, 94 MB with this buffer)
  // whole lines are decoded at once (a newline is never inside a UTF-8 sequence); the bytes after the
  // last newline move to the front for the next read
  const fd = openSync(path, "r");
  try {
    let buf = Buffer.allocUnsafe(READ_BYTES);
    let held = 0;
    for (;;) {
      if (held === buf.length) buf = Buffer.concat([buf, Buffer.allocUnsafe(buf.length)]); // a line longer than the buffer
      const got = readSync(fd, buf, held, buf.length - held, null);
      const end = held + got;
      // (Buffer#lastIndexOf with a start offset found the wrong newline here, in Bun 1.4.5)
      let cut = end;
      if (got > 0) while (cut > 0 && buf[cut - 1] !== 10) cut--;
      if (cut > 0) {
        const text = decoder.decode(buf.subarray(0, cut));
        let start = 0;
        for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
          take(text.slice(start, nl));
          start = nl + 1;
        }
        if (start < text.length) take(text.slice(start)); // the last line had no newline
      }
      if (got === 0) break;
      buf.copyWithin(0, cut, end);
      held = end - cut;
    }
  } finally {
    closeSync(fd);
  }
  if (header === undefined)
    throw new UsageError(`${path} is empty`, `pass the file written by 'llmbench run --records-file'`);
  return header;
}
