/** Sweeps against the built-in server: batching shows as gain, saturation stops a sweep, interrupts keep levels. */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runSweep } from "../../src/app/sweep.ts";
import { startServer, type RunningServer } from "../../src/server/index.ts";
import { BIN, runOptions, scripted, cli } from "./helpers.ts";

const sweepOf = (url: string, args: Record<string, string>) =>
  runOptions(`${url}/generate`, { stream: true, "repeat-ratio": "0", warmup: "2", "max-tokens": "16", ...args });

/** The server's own view of each level of a sweep: tokens generated, and tokens per decode step (the mean batch). */
function perLevelBatch(server: RunningServer) {
  let last = server.stats();
  const out = { tokens: [] as number[], mean: [] as number[], onLevel: () => {} };
  out.onLevel = () => {
    const now = server.stats();
    const tokens = now.tokens_generated - last.tokens_generated;
    out.tokens.push(tokens);
    out.mean.push(tokens / (now.decode_steps - last.decode_steps));
    last = now;
  };
  return out;
}

describe("a concurrency sweep 1..16", () => {
  test("batching on: the server's batch grows with concurrency; the gain is throughput over concurrency 1; the knee is named", async () => {
    const server = await startServer({ decodeStepMs: 10, batchWindowMs: 1 });
    try {
      const batches = perLevelBatch(server);
      const { doc } = await runSweep(sweepOf(server.url, { concurrency: "1..16x2", requests: "32" }), {
        onLevel: batches.onLevel,
      });
      const sw = doc.sweep!;
      expect(sw.levels.map((l) => l.concurrency)).toEqual([1, 2, 4, 8, 16]);
      // the single-request baseline is the level at concurrency 1 (the gain over it is a ratio of two
      // timed runs, which moves with the machine's load: the server's batch counters below are the check)
      expect(sw.single_request_tokens_per_s).toBe(sw.levels[0].summary.throughput.output_tokens_per_s);
      // the server's own counters: every level's tokens, and the batch it decoded them in, on average —
      // one at a time at concurrency 1, never more than the concurrency, and growing with it
      expect(batches.tokens).toEqual(sw.levels.map(() => (32 + 2) * 16));
      expect(batches.mean[0]).toBe(1);
      for (let i = 1; i < 5; i++) {
        expect(batches.mean[i]).toBeGreaterThan(batches.mean[i - 1]);
        expect(batches.mean[i]).toBeLessThanOrEqual(sw.levels[i].concurrency!);
      }
      expect(sw.knee).not.toBeNull();
      expect(sw.knee_reason).toBeTruthy();
      expect(doc.summary).toEqual(sw.levels[sw.knee!].summary);
      // the levels share lengths but never prompts: no level is served from another's cache
      expect(sw.levels.every((l) => l.summary.cache.hits === 0)).toBe(true);
    } finally {
      await server.stop();
    }
  });

  test("batching off (--max-batch-size 1): one answer per decode step at every level", async () => {
    const server = await startServer({ decodeStepMs: 3, batchWindowMs: 0, maxBatchSize: 1 });
    try {
      const batches = perLevelBatch(server);
      const { doc } = await runSweep(
        sweepOf(server.url, { concurrency: "1..16x2", requests: "24", "max-tokens": "10" }),
        { onLevel: batches.onLevel },
      );
      expect(doc.sweep!.levels.map((l) => l.concurrency)).toEqual([1, 2, 4, 8, 16]);
      // the server decoded one answer per step at every level, 16 in flight or not: nothing to gain
      expect(batches.mean).toEqual([1, 1, 1, 1, 1]);
      expect(server.stats().max_batch_size_seen).toBe(1);
      expect(server.stats().max_in_flight).toBe(16);
    } finally {
      await server.stop();
    }
  });

  test("a rate sweep calibrates one request at a time first", async () => {
    const server = await startServer({ decodeStepMs: 2 });
    try {
      const { doc } = await runSweep(sweepOf(server.url, { rate: "20,40", duration: "1s", "max-tokens": "8" }));
      expect(doc.sweep!.kind).toBe("rate");
      expect(doc.sweep!.levels.map((l) => l.rate)).toEqual([20, 40]);
      expect(doc.sweep!.single_request_tokens_per_s).toBeGreaterThan(0);
      expect(doc.sweep!.levels.every((l) => l.batching_gain !== null)).toBe(true);
    } finally {
      await server.stop();
    }
  });
});

describe("saturation and interruption", () => {
  test("--stop-on error-rate: an overloaded top level ends the sweep early, every level measured is kept", async () => {
    let inFlight = 0;
    const peer = scripted(async () => {
      inFlight++;
      try {
        if (inFlight > 4) return new Response("overloaded", { status: 503 });
        await Bun.sleep(20);
        return Response.json({ text: " a b c", cached: false });
      } finally {
        inFlight--;
      }
    });
    try {
      const { doc } = await runSweep(
        runOptions(`${peer.url}/generate`, {
          concurrency: "1,2,16,32,64",
          requests: "40",
          warmup: "0",
          "repeat-ratio": "0",
          "stop-on": "error-rate=10%",
        }),
      );
      const sw = doc.sweep!;
      expect(sw.levels.map((l) => l.concurrency)).toEqual([1, 2, 16]);
      expect(sw.stopped_early).toBe(true);
      expect(sw.stop_reason).toContain("stopped after concurrency 16: error rate");
      expect(doc.complete).toBe(true); // it measured what it set out to: where the server saturates
    } finally {
      peer.stop();
    }
  });

  test("Ctrl-C during a sweep writes the levels it finished (binary, exit 130)", async () => {
    const server = await startServer({ decodeStepMs: 5 });
    const out = join(mkdtempSync(join(tmpdir(), "llmbench-sweep-")), "sweep.json");
    try {
      const proc = Bun.spawn(
        [
          BIN,
          "run",
          "--endpoint",
          `${server.url}/generate`,
          "--concurrency",
          "1,2,4,8",
          "--duration",
          "800ms",
          "--warmup",
          "0",
          "--max-tokens",
          "8",
          "--output",
          out,
        ],
        { stdout: "pipe", stderr: "pipe" },
      );
      // interrupt once level 3 (concurrency 4) has begun: levels 1 and 2 are done
      const reader = proc.stderr.getReader();
      let log = "";
      while (!log.includes("level 3/4")) {
        const { done, value } = await reader.read();
        if (done) break;
        log += new TextDecoder().decode(value);
      }
      await Bun.sleep(200);
      proc.kill("SIGINT");
      expect(await proc.exited).toBe(130);
      const doc = JSON.parse(readFileSync(out, "utf8"));
      expect(doc.complete).toBe(false);
      const levels = doc.sweep.levels.map((l: { concurrency: number }) => l.concurrency);
      expect(levels).toEqual([1, 2, 4]); // the third level kept, cut short
      expect(doc.sweep.levels[2].complete).toBe(false);
    } finally {
      await server.stop();
    }
  });
});

describe("compare of sweeps (binary)", () => {
  test("level by level: a slower decode step regresses every common level; a sweep against a single run is refused", async () => {
    const dir = mkdtempSync(join(tmpdir(), "llmbench-sweepcmp-"));
    const fast = await startServer({ decodeStepMs: 4, batchWindowMs: 1 });
    const slow = await startServer({ decodeStepMs: 12, batchWindowMs: 1 });
    try {
      const sweep = (url: string, out: string, levels: string) =>
        cli([
          "run",
          "--endpoint",
          `${url}/generate`,
          "--stream",
          "--concurrency",
          levels,
          "-n",
          "30",
          "--max-tokens",
          "12",
          "--warmup",
          "2",
          "--repeat-ratio",
          "0",
          "--seed",
          "5",
          "--quiet",
          "--output",
          out,
        ]);
      const [b, c, single] = [join(dir, "b.json"), join(dir, "c.json"), join(dir, "one.json")];
      expect((await sweep(fast.url, b, "1,2,4")).code).toBe(0);
      expect((await sweep(slow.url, c, "2,4,8")).code).toBe(0);
      const r = await cli(["compare", b, c, "--format", "json"]);
      expect(r.code).toBe(1);
      const doc = JSON.parse(r.stdout);
      expect(doc.levels.map((l: { level: string }) => l.level)).toEqual(["concurrency 2", "concurrency 4"]);
      expect(doc.unmatched_levels).toEqual(["concurrency 1", "concurrency 8"]);
      for (const level of doc.levels) {
        const tpot = level.comparison.metrics.find((m: { name: string }) => m.name === "tpot_p50");
        expect(tpot.verdict).toBe("regressed");
      }
      const same = await cli(["compare", b, b]);
      expect(same.code).toBe(0);
      expect(same.stdout).toContain("Sweep of concurrency: 3 levels compared; no gated regression");
      expect(
        (
          await cli([
            "run",
            "--endpoint",
            `${fast.url}/generate`,
            "-n",
            "5",
            "--warmup",
            "0",
            "--quiet",
            "--output",
            single,
          ])
        ).code,
      ).toBe(0);
      const mixed = await cli(["compare", b, single]);
      expect(mixed.code).toBe(2);
      expect(mixed.stderr).toContain("a sweep compares only with a sweep");
    } finally {
      await fast.stop();
      await slow.stop();
    }
  });
});
