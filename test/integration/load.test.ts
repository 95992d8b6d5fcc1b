/** Open-loop load, durations, ramps, prompt files and SLOs, against real servers on 127.0.0.1. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBenchmark } from "../../src/app/run.ts";
import { summarizeRun } from "../../src/core/metrics.ts";
import { startServer, type RunningServer } from "../../src/server/index.ts";
import { runOptions, scripted, cli } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "llmbench-load-"));
let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ decodeStepMs: 2, batchWindowMs: 1 });
});
afterAll(() => server.stop());

describe("open loop", () => {
  test("--rate 40 --duration 5s sends 200 ± 10% requests and records when each was due", async () => {
    const { doc, records } = await runBenchmark(
      runOptions(`${server.url}/generate`, { seed: "21", rate: "40", duration: "5s", "max-tokens": "8", warmup: "2" }),
    );
    const sent = doc.summary.requests.sent;
    expect(sent).toBeGreaterThanOrEqual(180);
    expect(sent).toBeLessThanOrEqual(220);
    expect(doc.summary.requests.failed).toBe(0);
    expect(doc.config.rate).toBe(40);
    expect(doc.config.concurrency).toBeNull(); // no cap given
    const measured = records.filter((r) => r.phase === "measured");
    expect(measured.every((r) => r.tSched !== null && r.tSend >= r.tSched)).toBe(true);
    expect(doc.summary.send_lag_ms!.count).toBe(sent);
    expect(doc.summary.send_lag_ms!.min).toBeGreaterThanOrEqual(0);
    // arrivals span the 5 s window
    const span = measured[measured.length - 1].tSched! - measured[0].tSched!;
    expect(span).toBeGreaterThan(4500);
    expect(span).toBeLessThan(5000);
    expect(doc.summary.client!.event_loop_lag_ms!.count).toBeGreaterThan(100);
  });

  test("a server that falls behind: latency from 'due' shows the queueing that latency from 'send' hides", async () => {
    // one request at a time, 40 ms each, at 50 req/s with a cap of 1: requests queue in the client
    const peer = scripted(async () => {
      await Bun.sleep(40);
      return Response.json({ text: " a b", cached: false });
    });
    try {
      const opts = runOptions(`${peer.url}/generate`, {
        rate: "50",
        concurrency: "1",
        requests: "15",
        warmup: "0",
        "repeat-ratio": "0",
      });
      const { doc, records } = await runBenchmark(opts);
      expect(doc.summary.send_lag_ms!.max).toBeGreaterThan(100);
      const fromDue = summarizeRun(records, "whitespace", { latencyFrom: "due" }).summary;
      expect(fromDue.e2e_ms!.p99).toBeGreaterThan(doc.summary.e2e_ms!.p99 + 100);
      expect(fromDue.ttft_ms!.max - doc.summary.ttft_ms!.max).toBeGreaterThan(100);
      const due = await runBenchmark({ ...opts, latencyFrom: "due" });
      expect(due.doc.config.latency_from).toBe("due");
      expect(due.doc.summary.e2e_ms!.max).toBeGreaterThan(due.doc.summary.send_lag_ms!.max);
    } finally {
      peer.stop();
    }
  });

  test("--concurrency caps an open-loop run: the server never sees more in flight", async () => {
    const s = await startServer({ decodeStepMs: 5 });
    try {
      await runBenchmark(
        runOptions(`${s.url}/generate`, {
          rate: "200",
          concurrency: "3",
          requests: "30",
          "max-tokens": "10",
          warmup: "0",
        }),
      );
      expect(s.stats().max_in_flight).toBe(3);
    } finally {
      await s.stop();
    }
  });
});

describe("ramps and durations", () => {
  test("a closed-loop ramp: ramp requests are kept apart and excluded; full concurrency is reached after", async () => {
    const s = await startServer({ decodeStepMs: 5 });
    try {
      const { doc, records } = await runBenchmark(
        runOptions(`${s.url}/generate`, {
          concurrency: "8",
          "ramp-up": "600ms",
          duration: "600ms",
          "max-tokens": "10",
          warmup: "0",
        }),
      );
      const ramp = records.filter((r) => r.phase === "rampup");
      const measured = records.filter((r) => r.phase === "measured");
      expect(ramp.length).toBeGreaterThan(0);
      expect(doc.summary.requests.sent).toBe(measured.length);
      expect(Math.max(...ramp.map((r) => r.tSend))).toBeLessThan(Math.min(...measured.map((r) => r.tSend)) + 1);
      expect(s.stats().max_in_flight).toBe(8);
      // the measured phase lasted about the asked duration
      expect(doc.summary.duration_s).toBeGreaterThan(0.55);
      expect(doc.summary.duration_s).toBeLessThan(1.5);
    } finally {
      await s.stop();
    }
  });

  test("an open-loop ramp sends fewer requests in its first half than its second", async () => {
    const { records } = await runBenchmark(
      runOptions(`${server.url}/generate`, {
        seed: "22",
        rate: "100",
        "ramp-up": "2s",
        duration: "200ms",
        "max-tokens": "4",
        warmup: "0",
      }),
    );
    const ramp = records.filter((r) => r.phase === "rampup");
    const t0 = Math.min(...ramp.map((r) => r.tSched!));
    const firstHalf = ramp.filter((r) => r.tSched! - t0 < 1000).length;
    expect(ramp.length).toBeGreaterThan(60); // r·T/2 = 100 expected
    expect(firstHalf * 2).toBeLessThan(ramp.length - firstHalf);
  });
});

describe("SLOs and prompt files from the binary", () => {
  test("an SLO that holds exits 0 and reports goodput; one that fails exits 1 and names the term", async () => {
    const base = [
      "run",
      "--endpoint",
      `${server.url}/generate`,
      "--stream",
      "-n",
      "20",
      "-c",
      "4",
      "--max-tokens",
      "8",
      "--warmup",
      "1",
    ];
    const ok = await cli([...base, "--slo", "ttft_p95=5s,tpot_p50=1s"]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("SLO           met; goodput");
    const bad = await cli([...base, "--slo", "ttft_p95=5s,e2e_p50=0.001ms", "--json"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("SLO missed: e2e_p50");
    const doc = JSON.parse(bad.stdout);
    expect(doc.summary.slo.passed).toBe(false);
    expect(doc.summary.slo.good_requests).toBe(0);
    expect(doc.summary.slo.terms.map((t: { passed: boolean }) => t.passed)).toEqual([true, false]);
  });

  test("--prompts: chat messages go to the server as they are; a malformed file exits 2 with its line", async () => {
    const bodies: Array<{ messages?: unknown }> = [];
    const peer = scripted(async (req) => {
      bodies.push((await req.json()) as { messages?: unknown });
      return Response.json({
        choices: [{ index: 0, message: { content: "hi there" }, finish_reason: "stop" }],
        usage: { prompt_tokens: 3, completion_tokens: 2 },
      });
    });
    const file = join(dir, "chat.jsonl");
    writeFileSync(
      file,
      `${JSON.stringify({
        messages: [
          { role: "system", content: "terse" },
          { role: "user", content: "ping" },
        ],
      })}\n`,
    );
    try {
      const r = await cli([
        "run",
        "--endpoint",
        `${peer.url}/v1/chat/completions`,
        "--model",
        "m",
        "--no-stream",
        "--prompts",
        file,
        "-n",
        "2",
        "--warmup",
        "0",
        "--repeat-ratio",
        "0",
      ]);
      expect(r.code).toBe(0);
      expect(bodies[0].messages).toEqual([
        { role: "system", content: "terse" },
        { role: "user", content: "ping" },
      ]);
      const bad = join(dir, "bad.jsonl");
      writeFileSync(bad, '{"prompt": "fine"}\n{"prompt": "fine"}\n{"promt": "typo"}\n');
      const e = await cli(["run", "--endpoint", `${peer.url}/v1/chat/completions`, "--model", "m", "--prompts", bad]);
      expect(e.code).toBe(2);
      expect(e.stderr).toContain(`${bad}:3: needs a string "prompt"`);
    } finally {
      peer.stop();
    }
  });

  test("conflicting or misplaced load options exit 2", async () => {
    for (const [args, text] of [
      [["--requests", "5", "--duration", "5s"], "--requests and --duration both bound the run"],
      [["--burstiness", "2"], "add --rate"],
      [["--rate", "0"], "--rate must be > 0"],
      [["--duration", "soon"], "--duration must be a duration"],
      [["--latency-from", "due"], "needs open-loop load"],
      [["--input-tokens", "10", "--prefix-tokens", "20"], "must be shorter than --input-tokens"],
    ] as const) {
      const r = await cli(["run", "--endpoint", `${server.url}/generate`, ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(text);
    }
  });
});
