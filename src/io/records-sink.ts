/**
 * Records that leave memory as they complete (`run --records-file FILE`): one JSON record a line,
 * after a header line that says what the file is and where its times start. Times are ms relative
 * to the header's origin (the run's start on the monotonic clock, `t0_unix_ms` on the wall clock),
 * rounded to µs like the result's own `requests`. Lines come in completion order (sort by `seq`
 * for dispatch order). Then the reader: one pass over the file, one record at a time.
 */
import { UsageError } from "../core/errors.ts";
import type { RawRecord } from "../core/metrics.ts";
import type { ResultRecord } from "../core/result.ts";

export const RECORDS_SCHEMA = "llmbench.records/v1";

export interface RecordsHeader {
  schema: typeof RECORDS_SCHEMA;
  /** wall-clock time (Unix ms) of the origin the records' times are relative to */
  t0_unix_ms: number;
}

export class RecordsSink {
  private readonly writer: ReturnType<ReturnType<typeof Bun.file>["writer"]>;
  private written = 0;

  /** `origin`: the monotonic time (ms) records' times are made relative to. */
  constructor(
    readonly path: string,
    private readonly origin: number,
  ) {
    this.writer = Bun.file(path).writer({ highWaterMark: 1 << 20 });
    const header: RecordsHeader = { schema: RECORDS_SCHEMA, t0_unix_ms: Math.round((performance.timeOrigin + origin) * 1000) / 1000 };
    this.writer.write(JSON.stringify(header) + "\n");
  }

  /** The record with its times made relative (what is written, and what the summary should fold). */
  relative(r: RawRecord): ResultRecord {
    const o = this.origin;
    const rel = (t: number) => Math.round((t - o) * 1000) / 1000;
    const out: ResultRecord = { ...r, tSched: r.tSched === null ? null : rel(r.tSched), tSend: rel(r.tSend), tFirstByte: r.tFirstByte === null ? null : rel(r.tFirstByte), tEnd: r.tEnd === null ? null : rel(r.tEnd), tokenTimes: r.tokenTimes.map(rel) };
    if (r.tRetry !== undefined) out.tRetry = rel(r.tRetry);
    return out;
  }

  write(r: ResultRecord): void {
    this.writer.write(JSON.stringify(r) + "\n");
    this.written++;
  }

  get count(): number {
    return this.written;
  }

  /** Everything on disk. */
  async close(): Promise<void> {
    await this.writer.end();
  }
}

/** Open a records file for writing, or a one-line error that says why not. */
export function openRecordsSink(path: string, origin: number): RecordsSink {
  try {
    return new RecordsSink(path, origin);
  } catch (err) {
    throw new UsageError(`cannot write --records-file ${path}: ${(err as Error).message}`, `pass a path in a writable directory`);
  }
}

/** One pass over a records file: the header, then every record in file order. */
export async function readRecords(path: string, onRecord: (r: ResultRecord) => void): Promise<RecordsHeader> {
  const file = Bun.file(path);
  if (!(await file.exists())) throw new UsageError(`records file ${path} does not exist`, `keep the records file next to the result that names it`);
  const decoder = new TextDecoder();
  let header: RecordsHeader | undefined;
  let rest = "";
  let line = 0;
  const take = (text: string) => {
    line++;
    if (text === "") return;
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      throw new UsageError(`${path} line ${line} is not JSON: the records file is damaged or truncated`, `run again with --records-file`);
    }
    if (header === undefined) {
      if ((v as RecordsHeader | null)?.schema !== RECORDS_SCHEMA) throw new UsageError(`${path} is not an llmbench records file (expected "${RECORDS_SCHEMA}" on its first line)`, `pass the file written by 'llmbench run --records-file'`);
      header = v as RecordsHeader;
    } else onRecord(v as ResultRecord);
  };
  for await (const chunk of file.stream()) {
    const text = rest + decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
      take(text.slice(start, nl));
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  take(rest + decoder.decode());
  if (header === undefined) throw new UsageError(`${path} is empty`, `pass the file written by 'llmbench run --records-file'`);
  return header;
}
