/**
 * Records that leave memory as they complete: `--records-file` against the built-in server on
 * 127.0.0.1, the summary folded one record at a time, percentiles found exactly on disk; `--bounded`
 * takes the digests and says so; compare and merge read such results.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Ajv2020 from "ajv/dist/2020.js";
import schema from "../../schema/result.schema.json" with { type: "json" };
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runMerge } from "../../src/app/merge.ts";
import { runBenchmark } from "../../src/app/run.ts";
import { importFile } from "../../src/core/importers/index.ts";
import { summarizeRun, type RawRecord } from "../../src/core/metrics.ts";
import type { ResultRecord } from "../../src/core/result.ts";

import { readRecords, RECORDS_SCHEMA } from "../../src/io/records-sink.ts";
import { startServer, type RunningServer } from "../../src/server/index.ts";
import { runOptions } from "./helpers.ts";

const validate = new Ajv2020({ strict: false }).compile(schema);

const DISTRIBUTIONS = ["ttft_ms", "tpot_ms", "itl_ms", "e2e_ms", "latency_per_token_ms"] as const;

describe("--records-file and --bounded", () => {
  let server: RunningServer;
  let dir: string;
  beforeAll(async () => {
    server = await startServer({ decodeStepMs: 0.2, batchWindowMs: 0, prefillMsPerToken: 0, maxBatchSize: 256 });
    dir = mkdtempSync(join(tmpdir(), "llmbench-memory-"));
  });
  afterAll(() => {
    server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  // 400 requests of 30 tokens: 11,600 ITL gaps, ties among them (tokens read in one chunk)
  const load = {
    stream: true,
    requests: "400",
    concurrency: "16",
    "max-tokens": "30",
    "repeat-ratio": "0.2",
    warmup: "3",
  };

  test("the records go to the file as they finish, not into memory; the percentiles are exactly those of the file's records", async () => {
    const file = join(dir, "run.records.ndjson");
    const out = await runBenchmark(runOptions(`${server.url}/generate`, { ...load, "records-file": file }));
    const { doc, records } = out;
    expect(doc.requests).toBeNull();
    expect(doc.records_file).toBe(file);
    expect(doc.summary.percentiles).toBe("exact");
    expect(validate(JSON.parse(JSON.stringify(doc)))).toBe(true);
    // nothing failed, so the run held no record at the end
    expect(records).toEqual([]);

    const onDisk: ResultRecord[] = [];
    const header = await readRecords(file, (r) => onDisk.push(r));
    expect(header.schema).toBe(RECORDS_SCHEMA);
    expect(onDisk.length).toBe(403);
    expect(new Set(onDisk.map((r) => r.seq)).size).toBe(403);
    // the server's own count of requests: every one it answered is on disk
    expect(server.stats().requests).toBe(onDisk.length);

    const again = summarizeRun(onDisk as RawRecord[], "whitespace").summary;
    const s = doc.summary;
    expect(s.itl_ms!.count).toBe(400 * 29);
    for (const k of DISTRIBUTIONS) {
      const [a, b] = [s[k]!, again[k]!];
      expect({ k, count: a.count, min: a.min, max: a.max, p50: a.p50, p90: a.p90, p95: a.p95, p99: a.p99 }).toEqual({
        k,
        count: b.count,
        min: b.min,
        max: b.max,
        p50: b.p50,
        p90: b.p90,
        p95: b.p95,
        p99: b.p99,
      });
      expect(a.mean).toBeCloseTo(b.mean, 6);
    }
    expect(s.requests).toEqual(again.requests);
    expect(s.cache).toEqual(again.cache);
    expect(s.tokens).toEqual(again.tokens);
    expect(s.throughput.requests_per_s).toBeCloseTo(again.throughput.requests_per_s, 9);
  }, 120_000);

  test("--bounded: percentiles from the digests, said in the summary and the notes; counts exact", async () => {
    const { doc, records } = await runBenchmark(
      runOptions(`${server.url}/generate`, { ...load, requests: "300", bounded: true }),
    );
    expect(doc.requests).toBeNull();
    expect(doc.records_file).toBeUndefined();
    expect(doc.summary.percentiles).toBe("digest");
    expect(validate(JSON.parse(JSON.stringify(doc)))).toBe(true);
    expect(doc.notes.some((n) => n.startsWith("--bounded: percentiles are t-digest estimates"))).toBe(true);
    expect(records).toEqual([]);
    expect(doc.summary.requests).toEqual({ sent: 300, succeeded: 300, failed: 0 });
    expect(doc.summary.e2e_ms!.count).toBe(300);
    expect(doc.summary.itl_ms!.count).toBe(300 * 29);
  }, 60_000);

  test("compare and merge read results whose records are in a records file", async () => {
    const paths: string[] = [];
    for (const i of [0, 1]) {
      const { doc } = await runBenchmark(
        runOptions(`${server.url}/generate`, {
          ...load,
          requests: "200",
          seed: String(10 + i),
          "records-file": join(dir, `s${i}.ndjson`),
        }),
      );
      paths.push(join(dir, `s${i}.json`));
      await Bun.write(paths[i], JSON.stringify(doc));
    }
    const run = importFile(await Bun.file(paths[0]).text(), paths[0]).run;
    expect(run.requests).toEqual({ sent: 200, succeeded: 200, failed: 0 });
    const merged = await runMerge(paths, true);
    expect(merged.summary.requests).toEqual({ sent: 400, succeeded: 400, failed: 0 });
    expect(merged.summary.e2e_ms!.count).toBe(400);
  }, 60_000);

  test("bad combinations are usage errors with the fix", () => {
    expect(() => runOptions("http://127.0.0.1:1/generate", { "records-file": "x.ndjson", runs: "2" })).toThrow(
      "--records-file holds one run's records",
    );
    expect(() => runOptions("http://127.0.0.1:1/generate", { bounded: true, concurrency: "1,2" })).toThrow(
      "a sweep keeps every level's records",
    );
    expect(() => runOptions("http://127.0.0.1:1/generate", { "records-file": "a.json", output: "a.json" })).toThrow(
      "name the same file",
    );
  });
});
