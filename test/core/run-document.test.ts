/** The run's result document, built by a pure function: everything from the world comes in as values. */
import { expect, test } from "bun:test";
import { summarizeRun } from "../../src/core/metrics.ts";
import { parseRunOptions, publicConfig } from "../../src/core/options.ts";
import { RESULT_SCHEMA } from "../../src/core/result.ts";
import { runDocument, type RunDocumentInput } from "../../src/core/run-document.ts";
import { fakeRecord } from "../app/fake-timers.ts";
import { argv } from "./helpers.ts";

const options = (args: Record<string, string | boolean> = {}) =>
  parseRunOptions(
    argv({
      endpoint: "http://127.0.0.1:9/generate",
      quiet: true,
      seed: "7",
      "max-tokens": "1",
      tokenizer: "whitespace",
      ...args,
    }),
    {},
    () => 1,
  );

// three requests on a clock that reads 5000 at the first send: one warm-up, two measured (not streamed: first-byte TTFT)
const records = [
  fakeRecord({ seq: 0, phase: "warmup" }, null, 5000, 5010),
  fakeRecord({ seq: 1 }, null, 5020, 5050),
  fakeRecord({ seq: 2 }, null, 5030, 5045),
];

function input(opts = options()): RunDocumentInput {
  const { summary, digests } = summarizeRun(records, opts.tokenizer, { latencyFrom: opts.latencyFrom, slo: opts.slo });
  return {
    opts,
    model: "tiny",
    prompts: "synthetic",
    complete: true,
    startedAt: "2026-11-30T18:00:00.000Z",
    finishedAt: "2026-11-30T18:00:01.500Z",
    firstSend: 5000,
    clockOriginUnixMs: 1_764_525_595_000.0625,
    environment: { os: "plan9", arch: "mips", cpus: 3, runtime: "bun 0.0.0" },
    version: "9.9.9",
    summary,
    digests,
    estimated: 0,
    records,
  };
}

test("the document: the inputs where they belong, times relative to the first send, t0 in Unix ms to the µs", () => {
  const opts = options({ records: true });
  const i = input(opts);
  expect(runDocument(i)).toEqual({
    schema: RESULT_SCHEMA,
    tool: { name: "llmbench", version: "9.9.9" },
    complete: true,
    started_at: "2026-11-30T18:00:00.000Z",
    finished_at: "2026-11-30T18:00:01.500Z",
    // the clock's origin plus the first send, rounded to the µs
    t0_unix_ms: 1_764_525_600_000.063,
    config: { ...publicConfig(opts), model: "tiny", prompts: "synthetic" },
    environment: { os: "plan9", arch: "mips", cpus: 3, runtime: "bun 0.0.0" },
    notes: [
      "responses were not streamed: TTFT is the time to the first body byte; TPOT and ITL cannot be observed and are not given (use --stream where the server supports it)",
    ],
    summary: i.summary,
    digests: i.digests,
    requests: [
      { ...records[0], tSend: 0, tFirstByte: 10, tEnd: 10, tokenTimes: [] },
      { ...records[1], tSend: 20, tFirstByte: 50, tEnd: 50, tokenTimes: [] },
      { ...records[2], tSend: 30, tFirstByte: 45, tEnd: 45, tokenTimes: [] },
    ],
  });
});

test("nothing sent: no t0; --records-file names the file and keeps no records; an incomplete run says so", () => {
  const opts = options({ "records-file": "/tmp/r.jsonl" });
  const doc = runDocument({ ...input(opts), firstSend: Number.POSITIVE_INFINITY, complete: false });
  expect(doc.t0_unix_ms).toBeNull();
  expect(doc.requests).toBeNull();
  expect(doc.records_file).toBe("/tmp/r.jsonl");
  expect(doc.complete).toBe(false);
  expect("records_file" in runDocument(input())).toBe(false);
});
