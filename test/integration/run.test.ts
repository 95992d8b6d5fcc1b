/** `runBenchmark` against real servers on 127.0.0.1: ours, and scripted Bun.serve peers. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { runBenchmark, type RunOutcome } from "../../src/app/run.ts";
import { allFailedError } from "../../src/core/hints.ts";

/** the error of a run in which nothing succeeded, from its failed records */
const allFailed = (out: RunOutcome) =>
  allFailedError(
    { endpoint: String(out.doc.config.endpoint), api: String(out.doc.config.api) },
    out.records.flatMap((r) => (r.error ? [r.error] : [])),
  );
import { deriveRequest } from "../../src/core/metrics.ts";
import { summarize } from "../../src/core/stats/percentiles.ts";
import { startServer, type RunningServer } from "../../src/server/index.ts";
import { runOptions, scripted, sseStream } from "./helpers.ts";

describe("timings agree with the server's configuration", () => {
  // one step of 10 ms per token, a 5 ms batch window, 0.5 ms prefill per prompt token (~33 words)
  const cfg = { decodeStepMs: 10, batchWindowMs: 5, prefillMsPerToken: 0.5, batchExponent: 0.5 };
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(cfg);
  });
  afterAll(() => server.stop());

  test("streamed generate at concurrency 1: TTFT, TPOT, ITL and E2E", async () => {
    const { doc, records } = await runBenchmark(
      runOptions(`${server.url}/generate`, {
        stream: true,
        requests: "6",
        concurrency: "1",
        "max-tokens": "20",
        "repeat-ratio": "0",
        warmup: "1",
      }),
    );
    const s = doc.summary;
    // the server's own counters: 7 answers (1 warm-up) of 20 tokens, one token per decode step at concurrency 1
    expect(server.stats().tokens_generated).toBe(7 * 20);
    expect(server.stats().decode_steps).toBe(7 * 20);
    expect(s.requests).toEqual({ sent: 6, succeeded: 6, failed: 0 });
    expect(s.ttft_kind).toBe("token");
    const prefill = 32 * cfg.prefillMsPerToken; // --input-tokens 32 (by default), counted in words as the server does
    // first token = batch window + prefill + one step; timers never fire early by more than ~1 ms
    expect(s.ttft_ms!.min).toBeGreaterThanOrEqual(cfg.batchWindowMs + prefill + cfg.decodeStepMs - 2);
    // No single gap, TPOT or even their median is bounded below by a step: the server keeps an absolute
    // schedule, so after a late timer (a busy machine) its steps catch up back to back. What holds for
    // every request: its last token, and so TTFT + Σ ITL and TTFT + 19 × TPOT (= E2E), comes no earlier
    // than the end of the schedule, window + prefill + 20 steps.
    const raw = records.filter((r) => r.phase === "measured");
    const end = cfg.batchWindowMs + prefill + 20 * cfg.decodeStepMs - 1;
    const reaches = raw
      .map((r) => deriveRequest(r))
      .map((m) => [m.ttftMs! + m.itlMs.reduce((a, g) => a + g, 0) >= end, m.ttftMs! + 19 * m.tpotMs! >= end]);
    expect(reaches).toEqual(Array(6).fill([true, true]));
    expect(s.itl_ms!.count).toBe(6 * 19);
    // the summary's numbers are those of the raw timestamps, per request
    expect(s.ttft_ms!.p50).toBeCloseTo(summarize(raw.map((r) => r.tokenTimes[0] - r.tSend))!.p50, 6);
    expect(s.tpot_ms!.p50).toBeCloseTo(summarize(raw.map((r) => (r.tEnd! - r.tokenTimes[0]) / 19))!.p50, 6);
    expect(s.itl_ms!.p50).toBeCloseTo(
      summarize(raw.flatMap((r) => r.tokenTimes.slice(1).map((t, k) => t - r.tokenTimes[k])))!.p50,
      6,
    );
    expect(s.e2e_ms!.min).toBeGreaterThanOrEqual(20 * cfg.decodeStepMs * 0.95);
    expect(s.tokens.output).toBe(6 * 20);
    expect(s.tokens_source).toBe("whitespace");
    expect(doc.notes).toEqual([]);
  });

  test("plain (non-streamed) generate: TTFT is first-byte, TPOT and ITL are null, latency per token given", async () => {
    const { doc } = await runBenchmark(
      runOptions(`${server.url}/generate`, {
        seed: "2",
        requests: "4",
        concurrency: "1",
        "max-tokens": "10",
        "repeat-ratio": "0",
        warmup: "0",
      }),
    );
    const s = doc.summary;
    expect(s.ttft_kind).toBe("first-byte");
    expect(s.tpot_ms).toBeNull();
    expect(s.itl_ms).toBeNull();
    expect(s.ttft_ms!.min).toBeGreaterThanOrEqual(10 * cfg.decodeStepMs * 0.95); // the whole answer comes at once
    expect(s.latency_per_token_ms!.p50).toBeCloseTo(s.e2e_ms!.p50 / 10, 1);
    expect(doc.notes.join(" ")).toContain("not streamed");
  });
});

describe("batching and caching show in the numbers", () => {
  test("concurrency 8 gets more throughput than concurrency 1, and the server saw 8 in flight", async () => {
    const server = await startServer({ decodeStepMs: 8, batchWindowMs: 2, cacheSize: 0 });
    try {
      const at = async (c: number) =>
        (
          await runBenchmark(
            runOptions(`${server.url}/generate`, {
              stream: true,
              requests: "16",
              concurrency: String(c),
              "max-tokens": "16",
              "repeat-ratio": "0",
              warmup: "0",
            }),
          )
        ).doc.summary;
      const one = await at(1);
      const before = server.stats();
      const eight = await at(8);
      const after = server.stats();
      expect(before.max_in_flight).toBe(1);
      expect(after.max_in_flight).toBe(8);
      expect(after.max_batch_size_seen).toBeGreaterThanOrEqual(4);
      // the server's own counters (not a ratio of two timed runs): one answer per decode step at
      // concurrency 1; at 8, several per step — fewer steps for the same tokens, which is the gain
      expect(before.tokens_generated / before.decode_steps).toBe(1);
      const batch = (after.tokens_generated - before.tokens_generated) / (after.decode_steps - before.decode_steps);
      expect(after.tokens_generated - before.tokens_generated).toBe(16 * 16);
      expect(batch).toBeGreaterThan(1);
      expect(one.requests.succeeded + eight.requests.succeeded).toBe(32);
    } finally {
      await server.stop();
    }
  });

  test("--repeat-ratio 0.5: every repeat hits the cache, and half of all requests", async () => {
    const server = await startServer({ decodeStepMs: 2 });
    try {
      const { doc } = await runBenchmark(
        runOptions(`${server.url}/generate`, {
          requests: "20",
          concurrency: "4",
          "max-tokens": "8",
          "repeat-ratio": "0.5",
          warmup: "2",
        }),
      );
      expect(doc.summary.cache).toEqual({
        hits: 10,
        hit_rate: 0.5,
        repeats_sent: 10,
        repeats_succeeded: 10,
        repeat_hits: 10,
        repeat_hit_rate: 1,
      });
      // honest server: it counted exactly these hits (warm-up prompts are never repeated)
      expect(server.stats().cache_hits).toBe(10);
    } finally {
      await server.stop();
    }
  });

  test("with the cache off, repeats miss", async () => {
    const server = await startServer({ decodeStepMs: 2, cacheSize: 0 });
    try {
      const { doc } = await runBenchmark(
        runOptions(`${server.url}/generate`, {
          requests: "10",
          concurrency: "2",
          "max-tokens": "4",
          "repeat-ratio": "0.5",
          warmup: "0",
        }),
      );
      expect(doc.summary.cache.repeats_sent).toBe(5);
      expect(doc.summary.cache.hit_rate).toBe(0);
    } finally {
      await server.stop();
    }
  });
});

describe("every error class is counted and the run goes on", () => {
  test("connect: a closed port stops the run early and explains", async () => {
    const peer = scripted(() => new Response("x"));
    const url = peer.url;
    peer.stop(); // now nothing listens there
    const out = await runBenchmark(runOptions(`${url}/generate`, { requests: "50", concurrency: "2", warmup: "0" }));
    expect(out.unreachable).toBe(true);
    expect(out.doc.complete).toBe(false);
    expect(out.records.length).toBeLessThan(10);
    expect(out.records.every((r) => r.error?.class === "connect")).toBe(true);
    const err = allFailed(out);
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain("connection refused");
    expect(err.hint).toContain("llmbench serve");
  });

  test("timeout covers the whole body, not just the headers", async () => {
    const peer = scripted(() =>
      sseStream([`data: {"text":" a"}\n\n`, `data: {"text":" b"}\n\n`, `data: {"done":true,"cached":false}\n\n`], 400),
    );
    try {
      const out = await runBenchmark(
        runOptions(`${peer.url}/generate`, {
          stream: true,
          requests: "2",
          concurrency: "2",
          warmup: "0",
          timeout: "0.3",
          "repeat-ratio": "0",
        }),
      );
      expect(out.doc.summary.errors.timeout).toBe(2);
      const r = out.records[0];
      expect(r.tokenTimes.length).toBe(1); // the first token arrived before the deadline
      expect(r.tEnd! - r.tSend).toBeGreaterThanOrEqual(290);
      expect(allFailed(out).message).toContain("timed out");
    } finally {
      peer.stop();
    }
  });

  test("4xx, 5xx, bad JSON and a stream cut mid-event are counted per class", async () => {
    let n = 0;
    const peer = scripted(() => {
      switch (n++ % 5) {
        case 0:
          return new Response('{"error":"bad"}', { status: 422 });
        case 1:
          return new Response("overloaded", { status: 503 });
        case 2:
          return new Response("<html>not json</html>", { headers: { "content-type": "application/json" } });
        case 3:
          return sseStream([`data: {"text":" a"}\n\n`, `data: {"tex`], 1);
        default:
          return Response.json({ text: " fine words", cached: false });
      }
    });
    try {
      const out = await runBenchmark(
        runOptions(`${peer.url}/generate`, { requests: "10", concurrency: "1", warmup: "0", "repeat-ratio": "0" }),
      );
      const s = out.doc.summary;
      expect(s.errors).toEqual({
        connect: 0,
        timeout: 0,
        http_4xx: 2,
        http_5xx: 2,
        redirect: 0,
        protocol: 4,
        client: 0,
        aborted: 0,
      });
      expect(s.requests).toEqual({ sent: 10, succeeded: 2, failed: 8 });
      expect(s.error_rate).toBe(0.8);
      const http5 = out.records.find((r) => r.error?.class === "http_5xx")!;
      expect(http5.error!.status).toBe(503);
      expect(http5.error!.body).toBe("overloaded");
    } finally {
      peer.stop();
    }
  });

  test("every response unreadable: the error shows the first body and the expected schema", async () => {
    const peer = scripted(() => Response.json({ output: "hi" }));
    try {
      const out = await runBenchmark(
        runOptions(`${peer.url}/generate`, { requests: "3", concurrency: "1", warmup: "0", "repeat-ratio": "0" }),
      );
      const err = allFailed(out);
      expect(err.message).toContain('{"output":"hi"}');
      expect(`${err.message} ${err.hint}`).toContain('"text": str');
    } finally {
      peer.stop();
    }
  });

  test("Ctrl-C: stops sending, aborts what is left after the grace period, keeps what was measured", async () => {
    const peer = scripted(async (req) => {
      const { prompt } = (await req.json()) as { prompt: string };
      const slow = prompt.includes("-3]") || prompt.includes("-4]");
      await Bun.sleep(slow ? 5000 : 20);
      return Response.json({ text: " a b", cached: false });
    });
    const interrupt = new AbortController();
    try {
      setTimeout(() => interrupt.abort(), 300);
      const t0 = performance.now();
      const out = await runBenchmark(
        runOptions(`${peer.url}/generate`, { requests: "100", concurrency: "3", warmup: "0", "repeat-ratio": "0" }),
        { interrupt: interrupt.signal, graceMs: 200 },
      );
      expect(performance.now() - t0).toBeLessThan(3000);
      expect(out.interrupted).toBe(true);
      expect(out.doc.complete).toBe(false);
      expect(out.doc.summary.errors.aborted).toBeGreaterThanOrEqual(1);
      expect(out.doc.summary.requests.succeeded).toBeGreaterThanOrEqual(2);
      expect(out.doc.summary.requests.sent).toBeLessThan(100);
    } finally {
      peer.stop();
    }
  });
});
