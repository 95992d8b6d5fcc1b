/**
 * `llmbench warm` against real sockets: the compiled binary started before its server, with no
 * server, and against `serve --cold-start`; the app against scripted peers; the shared warm-up loop;
 * the reference server's cold start.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBenchmark } from "../../src/app/run.ts";
import { warmServer } from "../../src/app/warm.ts";
import { unwaitableError } from "../../src/core/hints.ts";
import { sendWarmup } from "../../src/app/warmup.ts";
import { UsageError } from "../../src/core/errors.ts";
import type { RawRecord } from "../../src/core/metrics.ts";
import { RequestPlan, type PlannedRequest } from "../../src/core/schedule.ts";
import { WARM_SCHEMA, type WarmDocument } from "../../src/core/steady.ts";
import { parseWarmOptions } from "../../src/core/options/warm.ts";
import { argv } from "../core/helpers.ts";
import { coldStartExtraMs, serverOptionsFromStrings, startServer } from "../../src/server/index.ts";
import { BIN, runOptions, scripted, freePort, serveBinary } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "llmbench-warm-"));
const children: ReturnType<typeof Bun.spawn>[] = [];
afterAll(() => {
  for (const c of children) c.kill("SIGTERM");
});

function spawn(args: string[]) {
  const proc = Bun.spawn([BIN, ...args], { stdout: "pipe", stderr: "pipe" });
  children.push(proc);
  return proc;
}
async function finished(proc: ReturnType<typeof spawn>) {
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout as ReadableStream).text(),
    new Response(proc.stderr as ReadableStream).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}
/** `llmbench serve` from the binary, stopped after the tests. */
async function serve(args: string[]) {
  const server = await serveBinary(args);
  children.push(server.proc);
  return server;
}
const warmOptions = (endpoint: string, args: Record<string, string | boolean> = {}) =>
  parseWarmOptions(argv({ endpoint, seed: "1", quiet: true, ...args }), {}, () => 1);

describe("the compiled binary", () => {
  test("started before its server: waits, and returns 0 once the server answers", async () => {
    const port = freePort();
    const out = join(dir, "late.json");
    const t0 = performance.now();
    const warm = spawn([
      "warm",
      "--endpoint",
      `http://127.0.0.1:${port}/generate`,
      "--wait",
      "30s",
      "--requests",
      "12",
      "--max-tokens",
      "4",
      "--seed",
      "3",
      "--output",
      out,
    ]);
    await Bun.sleep(2000);
    const server = await serve(["--port", String(port), "--decode-step-ms", "1"]);
    const r = await finished(warm);
    server.proc.kill("SIGTERM");
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`waiting for http://127.0.0.1:${port}/generate to answer`);
    expect(r.stderr).toMatch(/ready after \d+\.\d+ s \(\d+ attempts\)/);
    expect(r.stdout).toContain("Ready         after");
    expect(r.stdout).toContain("Latency by request (E2E ms");
    const doc = JSON.parse(readFileSync(out, "utf8")) as WarmDocument;
    expect(doc.schema).toBe(WARM_SCHEMA);
    expect(doc.ready).toBe(true);
    expect(doc.attempts).toBeGreaterThan(1); // connection refused at first
    expect(doc.time_to_first_success_ms!).toBeGreaterThanOrEqual(1500); // the server came up 2 s after warm started
    expect(doc.time_to_first_success_ms!).toBeLessThan(performance.now() - t0);
    expect(doc.requests).toEqual({ sent: 12, succeeded: 12, failed: 0 });
    expect(doc.curve.map((p) => p.n)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  test("no server and --wait 2s: exit 3, saying the wait ran out", async () => {
    const port = freePort();
    const t0 = performance.now();
    const r = await finished(spawn(["warm", "--endpoint", `http://127.0.0.1:${port}/generate`, "--wait", "2s"]));
    const elapsed = performance.now() - t0;
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`did not answer within --wait 2 s`);
    expect(r.stderr).toContain("connection refused");
    expect(r.stderr).toContain("fix: start the server first, raise --wait");
    expect(r.stderr).not.toContain("    at ");
    expect(r.stdout).toBe("");
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(elapsed).toBeLessThan(8000);
  });

  test("against serve --cold-start: detects steady state, reports cold and steady latency", async () => {
    // base latency ≈ 2 ms window + 10 steps × 5 ms; the first 20 requests pay +150 ms falling by 7.5 ms each
    const server = await serve([
      "--port",
      "0",
      "--cold-start",
      "20",
      "--cold-start-ms",
      "150",
      "--decode-step-ms",
      "5",
    ]);
    const out = join(dir, "cold.json");
    const r = await finished(
      spawn([
        "warm",
        "--endpoint",
        `${server.url}/generate`,
        "--max-tokens",
        "10",
        "--seed",
        "4",
        "--json",
        "--output",
        out,
      ]),
    );
    const stats = (await (await fetch(`${server.url}/stats`)).json()) as { requests: number };
    server.proc.kill("SIGTERM");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as WarmDocument;
    expect(readFileSync(out, "utf8")).toBe(r.stdout);
    expect(doc.schema).toBe("llmbench.warm/v1");
    expect(doc.complete).toBe(true);
    expect(doc.ready).toBe(true);
    expect(doc.attempts).toBe(1);
    expect(doc.steady).toBe(true);
    // the window must clear the decaying requests: not steady while they are in it
    expect(doc.requests_to_steady!).toBeGreaterThan(20);
    expect(doc.requests_to_steady!).toBeLessThan(100);
    expect(doc.requests.sent).toBe(doc.requests_to_steady!); // concurrency 1: it stopped there
    expect(stats.requests).toBe(doc.requests.sent);
    const { first, steady } = doc.latency_ms;
    expect(steady!).toBeGreaterThanOrEqual(10 * 5 * 0.95);
    expect(first!).toBeGreaterThanOrEqual(150 + 10 * 5 * 0.95);
    expect(first! - steady!).toBeGreaterThan(100);
    expect(doc.curve[0].e2e_ms).toBe(first);
    expect(doc.curve).toHaveLength(doc.requests.sent);
    expect(doc.window!.cv).toBeLessThanOrEqual(0.1);
    expect(doc.window!.drop).toBeLessThanOrEqual(0.05);
    expect(doc.window!.median).toBe(steady!);
    expect(doc.ttft_kind).toBe("first-byte");
    expect(doc.config).toMatchObject({
      endpoint: `${server.url}/generate`,
      api: "generate",
      max_tokens: 10,
      seed: 4,
      concurrency: 1,
      window: 10,
      max_cv: 0.1,
      max_drop: 0.05,
      max_requests: 100,
      wait_s: 120,
    });
    process.stderr.write(
      `warm vs serve --cold-start 20 --cold-start-ms 150: first ${first} ms, steady ${steady} ms after ${doc.requests_to_steady} requests (cv ${doc.window!.cv.toFixed(4)}, drop ${doc.window!.drop.toFixed(4)})\n`,
    );
  });

  test("bad options exit 2", async () => {
    for (const [args, text] of [
      [["warm", "--wiat", "2s"], "did you mean '--wait'?"],
      [["warm", "--wait", "soon"], "--wait must be a duration"],
      [["serve", "--cold-start", "-1"], "--cold-start"],
    ] as const) {
      const r = await finished(spawn([...args]));
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(text);
    }
  });
});

describe("warmServer against scripted peers", () => {
  test("503 while loading is 'not yet': it retries with backoff until the answer comes", async () => {
    let n = 0;
    const peer = scripted(() =>
      ++n <= 3 ? new Response("loading", { status: 503 }) : Response.json({ text: " a b", cached: false }),
    );
    try {
      const { doc, error } = await warmServer(warmOptions(`${peer.url}/generate`, { requests: "3" }));
      expect(error).toBeNull();
      expect(doc.ready).toBe(true);
      expect(doc.attempts).toBe(4);
      expect(doc.time_to_first_success_ms!).toBeGreaterThanOrEqual(100 + 200 + 400 - 5); // the backoff between attempts
      expect(doc.requests).toEqual({ sent: 3, succeeded: 3, failed: 0 }); // failed attempts are not warm-up requests
    } finally {
      peer.stop();
    }
  });

  test.each([
    [401, "HTTP 401", "--api-key"],
    [404, "HTTP 404", "check the path in --endpoint"],
    [400, "HTTP 400", "waiting will not change this answer"],
  ])("HTTP %i stops at once, exit 3", async (status, message, hint) => {
    let n = 0;
    const peer = scripted(() => {
      n++;
      return new Response('{"error":"no"}', { status });
    });
    try {
      const t0 = performance.now();
      const { doc, error } = await warmServer(warmOptions(`${peer.url}/generate`, { wait: "30s" }));
      expect(performance.now() - t0).toBeLessThan(2000);
      expect(n).toBe(1);
      expect(error!.exitCode).toBe(3);
      expect(error!.message).toContain(message);
      expect(error!.message).toContain('{"error":"no"}');
      expect(error!.hint).toContain(hint);
      expect(doc).toMatchObject({ ready: false, complete: false, attempts: 1, steady: false, error: error!.message });
    } finally {
      peer.stop();
    }
  });

  test("a redirect stops at once (never followed), advising the final URL, not blaming the server", async () => {
    let n = 0;
    const peer = scripted(() => {
      n++;
      return new Response(null, { status: 307, headers: { location: "http://127.0.0.1:9/v2/generate" } });
    });
    try {
      const { doc, error } = await warmServer(warmOptions(`${peer.url}/generate`, { wait: "30s" }));
      expect(n).toBe(1);
      expect(error!.exitCode).toBe(3);
      expect(error!.message).toContain("redirected the request: HTTP 307 redirect to http://127.0.0.1:9/v2/generate");
      expect(error!.hint).toContain("pass the final URL as --endpoint");
      expect(doc).toMatchObject({ ready: false, attempts: 1 });
    } finally {
      peer.stop();
    }
  });

  test("the client's own limits (class client) are fatal, with advice about this machine, not the server", () => {
    const opts = warmOptions("http://127.0.0.1:9/generate");
    const record = {
      error: {
        class: "client",
        message:
          "the client ran out of file descriptors (EMFILE): it could not open a connection; the server was not asked",
      },
    } as RawRecord;
    const error = unwaitableError(opts, record.error!);
    expect(error.exitCode).toBe(3);
    expect(error.message).toBe(
      "warm could not send a request to http://127.0.0.1:9/generate: the client ran out of file descriptors (EMFILE): it could not open a connection; the server was not asked",
    );
    expect(error.hint).toContain("ulimit -n");
    expect(error.hint).not.toContain("--rate"); // warm has no --rate
  });

  test("a body in another format stops at once, naming the API", async () => {
    const peer = scripted(() => Response.json({ output: "hi" }));
    try {
      const { error } = await warmServer(warmOptions(`${peer.url}/generate`));
      expect(error!.exitCode).toBe(3);
      expect(error!.message).toContain("not in the generate API's format");
      expect(error!.message).toContain('{"output":"hi"}');
    } finally {
      peer.stop();
    }
  });

  test("OpenAI API without --model: GET /v1/models answering 503 while loading is 'not yet' too", async () => {
    const real = await startServer({ decodeStepMs: 1 });
    // in front of the real server: 503 for everything while "loading" (the first 3 requests, GET /v1/models included)
    const seen: string[] = [];
    const peer = scripted(async (req) => {
      seen.push(`${req.method} ${new URL(req.url).pathname}`);
      if (seen.length <= 3) return new Response("loading model", { status: 503 });
      const url = new URL(req.url);
      return fetch(`${real.url}${url.pathname}`, {
        method: req.method,
        headers: req.headers,
        body: req.method === "POST" ? await req.text() : undefined,
      });
    });
    try {
      const { doc, error } = await warmServer(
        warmOptions(`${peer.url}/v1/chat/completions`, { requests: "2", "max-tokens": "3" }),
      );
      expect(error).toBeNull();
      expect(seen.slice(0, 4)).toEqual(Array(4).fill("GET /v1/models"));
      expect(doc.attempts).toBe(4);
      expect(doc.config.model).toBe("llmbench-sim");
      expect(doc.ttft_kind).toBe("token");
      expect(doc.requests.succeeded).toBe(2);
    } finally {
      peer.stop();
      await real.stop();
    }
  });

  test("a server that answers, then fails 5 times in a row: exit 3", async () => {
    let n = 0;
    const peer = scripted(() =>
      ++n <= 2 ? Response.json({ text: " a", cached: false }) : new Response("boom", { status: 500 }),
    );
    try {
      const { doc, error } = await warmServer(warmOptions(`${peer.url}/generate`));
      expect(error!.exitCode).toBe(3);
      expect(error!.message).toContain("answered, then 5 requests in a row failed");
      expect(doc.ready).toBe(true);
      expect(doc.requests).toEqual({ sent: 7, succeeded: 2, failed: 5 });
      expect(doc.errors.http_5xx).toBe(5);
      expect(doc.curve.map((p) => p.error)).toEqual([
        null,
        null,
        "http_5xx",
        "http_5xx",
        "http_5xx",
        "http_5xx",
        "http_5xx",
      ]);
    } finally {
      peer.stop();
    }
  });
});

describe("warmServer against the reference server", () => {
  test("--concurrency 3 --requests 12: exactly 12 requests, 3 in flight", async () => {
    const server = await startServer({ decodeStepMs: 3, cacheSize: 0 });
    try {
      const { doc, error } = await warmServer(
        warmOptions(`${server.url}/generate`, { requests: "12", concurrency: "3", "max-tokens": "5" }),
      );
      expect(error).toBeNull();
      expect(doc.requests).toEqual({ sent: 12, succeeded: 12, failed: 0 });
      expect(server.stats().requests).toBe(12);
      expect(server.stats().max_in_flight).toBe(3);
      expect(doc.config.max_requests).toBeNull();
    } finally {
      await server.stop();
    }
  });

  test("--prompts FILE sends each prompt once; a run with the same prompts then finds them cached", async () => {
    const server = await startServer({ decodeStepMs: 1 });
    const file = join(dir, "prompts.jsonl");
    writeFileSync(
      file,
      ["alpha one", "beta two", "gamma three", "delta four", "epsilon five"]
        .map((p) => JSON.stringify({ prompt: p }))
        .join("\n"),
    );
    try {
      const { doc, error } = await warmServer(
        warmOptions(`${server.url}/generate`, { prompts: file, "max-tokens": "6" }),
      );
      expect(error).toBeNull();
      expect(doc.requests.sent).toBe(5);
      expect(server.stats()).toMatchObject({ requests: 5, cache_misses: 5, cache_hits: 0 });
      expect(doc.config).toMatchObject({ prompts: file, max_requests: null, requests: null });
      const run = await runBenchmark(
        runOptions(`${server.url}/generate`, {
          prompts: file,
          requests: "5",
          warmup: "0",
          "repeat-ratio": "0",
          "max-tokens": "6",
          seed: "9",
        }),
      );
      expect(run.doc.summary.cache.hit_rate).toBe(1);
    } finally {
      await server.stop();
    }
  });

  test("a missing prompts file is the user's error (exit 2), not a wait", async () => {
    const server = await startServer({ decodeStepMs: 1 });
    try {
      await expect(
        warmServer(warmOptions(`${server.url}/generate`, { prompts: join(dir, "nope.jsonl") })),
      ).rejects.toBeInstanceOf(UsageError);
    } finally {
      await server.stop();
    }
  });
});

describe("sendWarmup: the warm-up loop run and warm share", () => {
  test("sends exactly the plan's warm-up requests, at most `concurrency` at once, never a measured one", async () => {
    const plan = new RequestPlan({ requests: 4, warmup: 7, repeatRatio: 0, seed: 1 });
    let inFlight = 0;
    let most = 0;
    const sent: PlannedRequest[] = [];
    const send = async (req: PlannedRequest): Promise<RawRecord> => {
      sent.push(req);
      most = Math.max(most, ++inFlight);
      await Bun.sleep(5 + (req.seq % 3) * 5);
      inFlight--;
      return {
        seq: req.seq,
        phase: req.phase,
        promptId: req.promptId,
        repeat: false,
        tSched: null,
        tSend: 0,
        tFirstByte: 1,
        tokenTimes: [],
        tEnd: 2,
        streamed: false,
        status: 200,
        outputTokensCounted: 1,
        reasoningTokensCounted: 0,
        promptTokensCounted: 1,
        usage: null,
        cached: false,
        error: null,
      };
    };
    const seen: number[] = [];
    const records = await sendWarmup({
      plan,
      send,
      concurrency: 3,
      signal: new AbortController().signal,
      onRecord: (r) => seen.push(r.seq),
    });
    expect(sent.map((r) => r.phase)).toEqual(Array(7).fill("warmup"));
    expect(records.map((r) => r.seq).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(seen).toEqual(records.map((r) => r.seq));
    expect(most).toBe(3);
    expect(plan.warmupFinished).toBe(true);
    const next = plan.next();
    expect(typeof next === "object" && next.phase).toBe("measured"); // the measured phase is untouched
  });

  test("stop() ends it early; those in flight finish", async () => {
    const plan = new RequestPlan({ requests: 0, warmup: 50, repeatRatio: 0, seed: 1 });
    const send = async (req: PlannedRequest) => {
      await Bun.sleep(2);
      return { seq: req.seq, error: null } as RawRecord;
    };
    let done = 0;
    const records = await sendWarmup({
      plan,
      send,
      concurrency: 2,
      signal: new AbortController().signal,
      onRecord: () => done++,
      stop: () => done >= 5,
    });
    // at the 5th completion one more is in flight at most (concurrency 2); it finishes, nothing new is sent
    expect(records.length).toBeGreaterThanOrEqual(5);
    expect(records.length).toBeLessThanOrEqual(6);
    expect(plan.warmupFinished).toBe(false);
  });
});

describe("the reference server's cold start", () => {
  test("the extra falls linearly from --cold-start-ms to 0 at request --cold-start", () => {
    const cfg = { coldStartRequests: 4, coldStartMs: 200 };
    expect([0, 1, 2, 3, 4, 5].map((i) => coldStartExtraMs(cfg, i))).toEqual([200, 150, 100, 50, 0, 0]);
    expect(coldStartExtraMs({ coldStartRequests: 0, coldStartMs: 200 }, 0)).toBe(0);
  });

  test("flags: --cold-start N, --cold-start-ms X; off by default", () => {
    expect(serverOptionsFromStrings({})).toMatchObject({ coldStartRequests: 0, coldStartMs: 200 });
    expect(serverOptionsFromStrings({ coldStartRequests: "20", coldStartMs: "75.5" })).toMatchObject({
      coldStartRequests: 20,
      coldStartMs: 75.5,
    });
    expect(() => serverOptionsFromStrings({ coldStartRequests: "2.5" })).toThrow(UsageError);
    expect(() => serverOptionsFromStrings({ coldStartMs: "-1" })).toThrow(UsageError);
  });

  test("the first requests are slower, then not", async () => {
    const server = await startServer({ decodeStepMs: 1, batchWindowMs: 0, coldStartRequests: 2, coldStartMs: 120 });
    try {
      const times: number[] = [];
      for (let i = 0; i < 4; i++) {
        const t = performance.now();
        await (
          await fetch(`${server.url}/generate`, {
            method: "POST",
            body: JSON.stringify({ prompt: `p${i}`, max_tokens: 2 }),
          })
        ).json();
        times.push(performance.now() - t);
      }
      expect(times[0]).toBeGreaterThanOrEqual(119);
      expect(times[1]).toBeGreaterThanOrEqual(59);
      expect(times[1]).toBeLessThan(times[0]);
      // past the cold start: faster than the last cold request by most of its 60 ms extra
      expect(times[2]).toBeLessThan(times[1] - 30);
      expect(times[3]).toBeLessThan(times[1] - 30);
    } finally {
      await server.stop();
    }
  });
});
