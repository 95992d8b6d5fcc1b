/** `merge`: shards run at the same time against the built-in server become one result. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Ajv2020 from "ajv/dist/2020.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import schema from "../../schema/result.schema.json" with { type: "json" };
import { runMerge } from "../../src/app/merge.ts";
import { runBenchmark } from "../../src/app/run.ts";
import { runRepeated } from "../../src/app/runs.ts";
import { UsageError } from "../../src/core/errors.ts";
import { summarize } from "../../src/core/stats/percentiles.ts";
import { deriveRequest } from "../../src/core/metrics.ts";
import { startServer, type RunningServer } from "../../src/server/index.ts";
import { BIN, runOptions } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "llmbench-merge-"));
const validate = new Ajv2020({ strict: false }).compile(schema);
let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ decodeStepMs: 4 });
});
afterAll(() => server.stop());

async function shards(records: boolean) {
  const args = { stream: true, requests: "30", concurrency: "3", "max-tokens": "10", warmup: "1", records };
  const outs = await Promise.all([
    runBenchmark(runOptions(`${server.url}/generate`, { ...args, seed: "31" })),
    runBenchmark(runOptions(`${server.url}/generate`, { ...args, seed: "32" })),
  ]);
  return outs.map((o, i) => {
    const file = join(dir, `${records ? "r" : "n"}${i}.json`);
    writeFileSync(file, JSON.stringify(o.doc));
    return { file, out: o };
  });
}

describe("merge", () => {
  test("with records: one timeline, exact percentiles over every shard's samples, counts and cache added", async () => {
    const parts = await shards(true);
    const doc = await runMerge(
      parts.map((p) => p.file),
      false,
    );
    expect(validate(doc)).toBe(true);
    expect(doc.summary.requests).toEqual({ sent: 60, succeeded: 60, failed: 0 });
    expect(doc.summary.cache.repeats_sent).toBe(18);
    expect(doc.summary.cache.repeat_hit_rate).toBe(1);
    const ttfts = parts.flatMap((p) =>
      p.out.records.filter((r) => r.phase === "measured").map((r) => deriveRequest(r).ttftMs!),
    );
    // the files keep times to the µs: the same numbers to within 0.001 ms
    const exact = summarize(ttfts)!;
    for (const [k, v] of Object.entries(exact)) expect(doc.summary.ttft_ms![k as keyof typeof exact]).toBeCloseTo(v, 2);
    // both shards ran at once: the merged window is about as long as one shard's, so throughputs add up
    const single = parts.map((p) => p.out.doc.summary);
    expect(doc.summary.duration_s).toBeLessThan(single[0].duration_s + single[1].duration_s);
    expect(doc.summary.throughput.output_tokens_per_s).toBeGreaterThan(
      Math.max(...single.map((s) => s.throughput.output_tokens_per_s)),
    );
    expect(doc.shards!.map((s) => s.requests.sent)).toEqual([30, 30]);
    expect(doc.notes[0]).toContain("merged from 2 shards");
    expect(doc.config.requests).toBe(60);
  });

  test("without records: counts add, percentiles from the merged digests (and the notes say so)", async () => {
    const parts = await shards(false);
    const doc = await runMerge(
      parts.map((p) => p.file),
      false,
    );
    expect(validate(doc)).toBe(true);
    expect(doc.summary.requests.sent).toBe(60);
    expect(doc.summary.ttft_ms!.count).toBe(60);
    expect(doc.summary.ttft_ms!.min).toBe(Math.min(...parts.map((p) => p.out.doc.summary.ttft_ms!.min)));
    expect(doc.notes.join(" ")).toContain("merged t-digests");
  });

  test("without records, a shard from before summary.connections and the redirect/client classes merges: absent counts are 0", async () => {
    const parts = await shards(false);
    const [current, older] = parts.map((p) => JSON.parse(JSON.stringify(p.out.doc)));
    current.summary.connections = { reconnects: 2, retried_requests: 2, retries_failed: 1 };
    delete older.summary.connections;
    delete older.summary.errors.redirect;
    delete older.summary.errors.client;
    const files = [join(dir, "current.json"), join(dir, "older.json")];
    writeFileSync(files[0], JSON.stringify(current));
    writeFileSync(files[1], JSON.stringify(older));
    const doc = await runMerge(files, false);
    expect(doc.summary.connections).toEqual({ reconnects: 2, retried_requests: 2, retries_failed: 1 });
    expect(doc.summary.errors.redirect).toBe(0);
    expect(doc.summary.errors.client).toBe(0);
    expect(validate(JSON.parse(JSON.stringify(doc)))).toBe(true);
  });

  test("a file of run --runs N is refused (exit 2): its pooled summary is no shard, and compare would read only the first file's runs", async () => {
    const args = { stream: true, requests: "4", concurrency: "2", "max-tokens": "4", warmup: "0", runs: "2" };
    const outs = await Promise.all([
      runRepeated(runOptions(`${server.url}/generate`, { ...args, seed: "41" })),
      runRepeated(runOptions(`${server.url}/generate`, { ...args, seed: "42" })),
    ]);
    const files = outs.map((o, i) => {
      const file = join(dir, `runs${i}.json`);
      writeFileSync(file, JSON.stringify(o.doc));
      return file;
    });
    const err = await runMerge(files, false).catch((e) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain("runs0.json holds 2 runs (run --runs 2): merge takes single runs");
  });

  test("the binary refuses shards of different benchmarks (exit 2) and a single file", async () => {
    const a = join(dir, "a.json");
    const b = join(dir, "b.json");
    writeFileSync(
      a,
      JSON.stringify(
        (await runBenchmark(runOptions(`${server.url}/generate`, { requests: "3", warmup: "0", "max-tokens": "4" })))
          .doc,
      ),
    );
    writeFileSync(
      b,
      JSON.stringify(
        (await runBenchmark(runOptions(`${server.url}/generate`, { requests: "3", warmup: "0", "max-tokens": "8" })))
          .doc,
      ),
    );
    const run = async (args: string[]) => {
      const p = Bun.spawn([BIN, "merge", ...args], { stdout: "pipe", stderr: "pipe" });
      return { code: await p.exited, stderr: await new Response(p.stderr).text() };
    };
    const mismatch = await run([a, b]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toContain("max_tokens: 4 in");
    expect((await run([a, b, "--allow-mismatch"])).code).toBe(0);
    expect((await run([a])).code).toBe(2);
  });
});
