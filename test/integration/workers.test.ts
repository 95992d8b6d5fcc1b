/**
 * `run --workers N`: the load in N processes against a real server, merged into the result of one
 * run. The server's own counters say what it saw; open-loop arrivals merged across the workers
 * keep the seed's one sequence, gap for gap.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Ajv2020 from "ajv/dist/2020.js";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import schema from "../../schema/result.schema.json" with { type: "json" };
import { arrivalTimes } from "../../src/core/arrivals.ts";
import type { ResultDocument } from "../../src/core/result.ts";
import { createRng, hashString } from "../../src/core/rng.ts";
import { startServer, type RunningServer } from "../../src/server/index.ts";
import { CLI_SOURCE, cli as run } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "llmbench-workers-"));
const validate = new Ajv2020({ strict: false }).compile(schema);

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ decodeStepMs: 2 });
});
afterAll(() => server.stop());

const cli = (args: string[]) => run(args, { source: true });
const read = (f: string) => JSON.parse(readFileSync(f, "utf8")) as ResultDocument;
/** A run in two workers far longer than any test waits for (100,000 requests, 4 at a time), from source. */
const spawnLongRun = (url: string, extra: string[] = []) =>
  Bun.spawn(
    [
      process.execPath,
      CLI_SOURCE,
      "run",
      "--endpoint",
      `${url}/generate`,
      "--stream",
      "--requests",
      "100000",
      "--concurrency",
      "4",
      "--warmup",
      "0",
      "--max-tokens",
      "50",
      "--seed",
      "3",
      "--workers",
      "2",
      "--quiet",
      ...extra,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );

describe("run --workers", () => {
  test("2 workers: the server sees every request once and never more in flight than asked; the result has the form of one run's", async () => {
    const before = server.stats();
    const out = join(dir, "closed.json");
    const common = [
      "run",
      "--endpoint",
      `${server.url}/generate`,
      "--stream",
      "--requests",
      "40",
      "--concurrency",
      "6",
      "--warmup",
      "4",
      "--max-tokens",
      "12",
      "--seed",
      "5",
      "--quiet",
    ];
    const r = await cli([...common, "--workers", "2", "--output", out]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const after = server.stats();
    expect(after.requests - before.requests).toBe(44);
    expect(after.max_in_flight).toBeLessThanOrEqual(6);
    const doc = read(out);
    expect(validate(doc)).toBe(true);
    expect(doc.config.workers).toBe(2);
    expect([
      doc.config.requests,
      doc.config.concurrency,
      doc.config.warmup,
      doc.config.seed,
      doc.config.output,
    ]).toEqual([40, 6, 4, 5, out]);
    expect(doc.summary.requests).toEqual({ sent: 40, succeeded: 40, failed: 0 });
    expect(doc.summary.cache.repeats_sent).toBe(12);
    expect(doc.summary.cache.repeat_hit_rate).toBe(1);
    expect(doc.requests!.length).toBe(44);
    // one timeline: times relative to the first send of either worker, so none before it
    expect(Math.min(...doc.requests!.map((q) => q.tSend))).toBe(0);
    // the same form as a run in one process: the same top-level keys and config keys (plus workers)
    const single = join(dir, "single.json");
    expect((await cli([...common, "--output", single])).code).toBe(0);
    const one = read(single);
    expect(Object.keys(doc).sort()).toEqual(Object.keys(one).sort());
    expect(Object.keys(doc.config).sort()).toEqual([...Object.keys(one.config), "workers"].sort());
    expect(Object.keys(doc.summary).sort()).toEqual(Object.keys(one.summary).sort());
    // the client's self-check comes from the workers themselves (the busiest one)
    expect(doc.summary.client!.event_loop_lag_ms!.count).toBeGreaterThan(0);
  }, 60_000);

  test("open loop: the merged arrivals of 2 workers are the seed's one sequence, gap for gap, on one timeline", async () => {
    const out = join(dir, "open.json");
    const r = await cli([
      "run",
      "--endpoint",
      `${server.url}/generate`,
      "--rate",
      "60",
      "--burstiness",
      "0.5",
      "--requests",
      "30",
      "--warmup",
      "2",
      "--max-tokens",
      "4",
      "--seed",
      "77",
      "--workers",
      "2",
      "--quiet",
      "--output",
      out,
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const doc = read(out);
    const due = doc
      .requests!.filter((q) => q.phase === "measured")
      .map((q) => q.tSched!)
      .sort((a, b) => a - b);
    const whole: number[] = [];
    for (const t of arrivalTimes({ rate: 60, burstiness: 0.5, rampUpMs: 0 }, createRng(hashString("arrivals:77")))) {
      if (whole.length === 30) break;
      whole.push(t);
    }
    expect(due.length).toBe(30);
    // both workers started measuring at the one instant the parent set: every due time is that
    // instant plus the sequence's own offset (files keep µs), so the merged gaps are the sequence's
    due.forEach((t, k) => expect(t - due[0]).toBeCloseTo(whole[k] - whole[0], 2));
    expect(doc.summary.send_lag_ms!.count).toBe(30);
  }, 60_000);

  test("a split that leaves a worker nothing, a bad count, or --workers with --shard: exit 2 with the fix", async () => {
    const base = ["run", "--endpoint", `${server.url}/generate`, "--requests", "10", "--quiet"];
    const few = await cli([...base, "--concurrency", "2", "--workers", "3"]);
    expect(few.code).toBe(2);
    expect(few.stderr).toContain("--concurrency 2 is the total over 3");
    const zero = await cli([...base, "--workers", "0"]);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain("--workers must be a count");
    const both = await cli([...base, "--workers", "2", "--shard", "0/2", "--seed", "1"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--workers and --shard");
  }, 30_000);

  test("SIGTERM to the parent alone reaches the workers: the partial result is written, marked incomplete, exit 143", async () => {
    const out = join(dir, "term.json");
    const p = spawnLongRun(server.url, ["--output", out]);
    // wait until the server has answered some of the measured requests
    const before = server.stats().requests;
    while (server.stats().requests < before + 20) await Bun.sleep(50);
    p.kill("SIGTERM");
    expect(await p.exited).toBe(143);
    const doc = read(out);
    expect(doc.complete).toBe(false);
    expect(doc.config.workers).toBe(2);
    expect(doc.summary.requests.succeeded).toBeGreaterThan(0);
  }, 60_000);
});

describe("run --workers, a worker lost", () => {
  test("a worker killed mid-run stops the others; the run fails naming it, and keeps what the others measured", async () => {
    const s = await startServer({ decodeStepMs: 2 });
    try {
      const p = spawnLongRun(s.url);
      while (s.stats().requests < 20) await Bun.sleep(50);
      const children = Bun.spawnSync(["pgrep", "-P", String(p.pid)])
        .stdout.toString()
        .trim()
        .split("\n")
        .map(Number);
      expect(children.length).toBe(2);
      process.kill(children[1], "SIGKILL");
      const [code, stderr] = await Promise.all([p.exited, new Response(p.stderr).text()]);
      expect(code).not.toBe(0);
      expect(stderr).toContain("stopped with exit code");
      expect(stderr).toContain("and no result: killed by signal 9");
      const kept = /the other workers' results are in (\S+)/.exec(stderr)?.[1];
      expect(kept).toBeDefined();
      // the killed worker leaves at most the temporary file it opened for its result (README "Output paths")
      const files = readdirSync(kept!).filter((f) => !f.endsWith(".tmp"));
      expect(files.length).toBe(1);
      const other = read(join(kept!, files[0]));
      expect(other.complete).toBe(false);
      expect(other.summary.requests.succeeded).toBeGreaterThan(0);
    } finally {
      s.stop();
    }
  }, 60_000);
});
