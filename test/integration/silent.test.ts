/** A server that accepts connections and never answers: give up after the first wave, say so, exit 3; a status line off a terminal. */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createServer, type Socket } from "node:net";
import { concludeRun } from "../../src/app/conclusion.ts";
import { runBenchmark } from "../../src/app/run.ts";
import { runRepeated } from "../../src/app/runs.ts";
import { runSweep } from "../../src/app/sweep.ts";
import { cli, runOptions, scripted } from "./helpers.ts";

/** Accepts every connection, reads the request, never writes a byte. Counts the requests it received (their request lines). */
async function silentServer() {
  const sockets = new Set<Socket>();
  let requests = 0;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("data", (chunk) => {
      requests += String(chunk).match(/^POST \S+ HTTP\/1\.1\r$/gm)?.length ?? 0;
    });
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    stop: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

// one server a test: an aborted request's bytes may reach the server after the client has moved on
let silent: Awaited<ReturnType<typeof silentServer>>;
beforeEach(async () => {
  silent = await silentServer();
});
afterEach(() => silent.stop());

describe("a server that accepts and never answers", () => {
  test("the run gives up once the first wave (its concurrency) has timed out: exit 3, a clear message, the result kept", async () => {
    const lines: string[] = [];
    const out = await runBenchmark(
      runOptions(`${silent.url}/generate`, { requests: "50", concurrency: "4", warmup: "0", timeout: "0.3" }),
      {
        onStatus: (l) => lines.push(l),
        statusEveryMs: 50,
      },
    );
    const seen = silent.requests();
    expect(out.gaveUp).toEqual({ wave: 4, started: 0, timeoutS: 0.3 });
    expect(out.doc.complete).toBe(false);
    expect(out.doc.summary.requests.succeeded).toBe(0);
    expect(out.doc.summary.errors.timeout).toBe(4);
    // the wave, plus at most one refill for each of its timeouts but the last (aborted at once)
    expect(seen).toBeLessThanOrEqual(2 * 4 - 1);
    expect(out.doc.summary.requests.sent).toBeGreaterThanOrEqual(seen); // every request the server saw is in the result
    const conclusion = concludeRun(out);
    expect(conclusion.exitCode).toBe(3);
    expect(conclusion.error!.message).toContain("answered none of the first 4 requests within --timeout 0.3 s");
    // off a terminal, a status line now and then shows the run is alive
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toMatch(/^status at \d+ s: \[ ?0\/50\].*, 4 in flight$/);
  });

  test("a server that streams a first token and never finishes: the give-up says it began answering, not that it answered none", async () => {
    const peer = scripted(
      () =>
        new Response(
          new ReadableStream({
            start(c) {
              c.enqueue(new TextEncoder().encode('data: {"text": "a"}\n\n')); // and never the done marker, never the end
            },
          }),
          { headers: { "content-type": "text/event-stream" } },
        ),
    );
    try {
      const out = await runBenchmark(
        runOptions(`${peer.url}/generate`, {
          requests: "20",
          concurrency: "3",
          warmup: "0",
          timeout: "0.3",
          stream: true,
        }),
      );
      expect(out.gaveUp).toEqual({ wave: 3, started: 3, timeoutS: 0.3 });
      const error = concludeRun(out).error!;
      expect(error.message).toContain(
        "the server began answering 3 of the first 3 requests but finished none within --timeout 0.3 s",
      );
      expect(error.message).not.toContain("answered none");
      expect(error.hint).toContain("ends its answers");
    } finally {
      peer.stop();
    }
  });

  test("with a warm-up, the warm-up's wave decides, and nothing measured is sent", async () => {
    const lines: string[] = [];
    const out = await runBenchmark(
      runOptions(`${silent.url}/generate`, { requests: "50", concurrency: "4", warmup: "2", timeout: "0.3" }),
      {
        onStatus: (l) => lines.push(l),
        statusEveryMs: 50,
      },
    );
    expect(out.gaveUp).toEqual({ wave: 2, started: 0, timeoutS: 0.3 });
    expect(silent.requests()).toBeLessThanOrEqual(3);
    expect(out.records.filter((r) => r.phase === "measured")).toEqual([]);
    // off a terminal, status lines show the warm-up (the only phase this run reached), never more of it than was sent
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      const m = /^status at \d+ s: warm-up (\d)\/2 finished, (\d) in flight$/.exec(line);
      expect(m).not.toBeNull();
      expect(Number(m![1]) + Number(m![2])).toBeLessThanOrEqual(2);
    }
  });

  test("open loop: the wave is what left before the first timeout; a 60 s run gives up after about one --timeout", async () => {
    const out = await runBenchmark(
      runOptions(`${silent.url}/generate`, { rate: "20", duration: "60s", warmup: "0", timeout: "0.3" }),
    );
    expect(out.gaveUp).toBeDefined();
    const firstEnd = Math.min(...out.records.map((r) => r.tEnd ?? Infinity));
    const wave = out.records.filter((r) => r.tSend < firstEnd);
    expect(out.gaveUp!.wave).toBe(wave.length);
    expect(wave.every((r) => r.error?.class === "timeout")).toBe(true);
    // a later request may time out too before the give-up reaches it (on a busy machine its timer
    // comes due with the wave's last): every timeout is one whose own --timeout had passed
    const timeouts = out.records.filter((r) => r.error?.class === "timeout");
    expect(out.doc.summary.errors.timeout).toBe(timeouts.length);
    expect(timeouts.length).toBeGreaterThanOrEqual(wave.length);
    for (const r of timeouts) expect(r.tEnd! - r.tSend).toBeGreaterThanOrEqual(300 - 1);
    expect(concludeRun(out).exitCode).toBe(3);
  });

  test("a sweep stops at the level that gave up", async () => {
    const out = await runSweep(
      runOptions(`${silent.url}/generate`, { concurrency: "1,2,4", requests: "10", warmup: "0", timeout: "0.3" }),
    );
    expect(out.doc.sweep!.levels.length).toBe(1);
    expect(out.doc.sweep!.stop_reason).toContain("answered none of the first 1 requests");
    expect(concludeRun(out).exitCode).toBe(3);
  });

  test("run --runs N stops at the run that gave up and says so (exit 3)", async () => {
    const out = await runRepeated(
      runOptions(`${silent.url}/generate`, {
        runs: "3",
        requests: "10",
        concurrency: "2",
        warmup: "0",
        timeout: "0.3",
      }),
    );
    expect(out.gaveUp).toEqual({ wave: 2, started: 0, timeoutS: 0.3 });
    expect(out.doc.runs).toHaveLength(1);
    expect(out.doc.complete).toBe(false);
    // the first run's wave and at most one refill for its first timeout: no second run was sent
    expect(silent.requests()).toBeLessThanOrEqual(3);
    const conclusion = concludeRun(out);
    expect(conclusion.exitCode).toBe(3);
    expect(conclusion.error!.message).toContain("answered none of the first 2 requests within --timeout 0.3 s");
  });

  test("the binary exits 3 with the give-up message and writes the incomplete result", async () => {
    const r = await cli([
      "run",
      "--endpoint",
      `${silent.url}/generate`,
      "-n",
      "50",
      "-c",
      "3",
      "--warmup",
      "0",
      "--timeout",
      "0.5",
      "--json",
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("answered none of the first 3 requests within --timeout 0.5 s");
    expect(r.stderr).toContain("fix:");
    const doc = JSON.parse(r.stdout);
    expect(doc.complete).toBe(false);
    expect(doc.summary.errors.timeout).toBe(3);
  });
});

describe("a server that fails every request", () => {
  test("keeps the run's concurrency to the end and never repeats a failed prompt", async () => {
    let inFlight = 0;
    const arrivals: number[] = [];
    const prompts: string[] = [];
    const peer = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req) {
        prompts.push(((await req.json()) as { prompt: string }).prompt);
        arrivals.push(++inFlight);
        await Bun.sleep(30);
        inFlight--;
        return new Response("overloaded", { status: 503 });
      },
    });
    try {
      const out = await runBenchmark(
        runOptions(`http://127.0.0.1:${peer.port}/generate`, {
          requests: "40",
          concurrency: "4",
          warmup: "0",
          "repeat-ratio": "0.5",
        }),
      );
      expect(out.doc.summary.requests.failed).toBe(40);
      expect(prompts.length).toBe(40);
      expect(new Set(prompts).size).toBe(40); // no prompt sent twice: a failed prompt is never repeated
      expect(out.doc.summary.cache.repeats_sent).toBe(0);
      // the last ten requests (where the repeats were due) still found the others in flight
      expect(Math.max(...arrivals.slice(-10))).toBe(4);
    } finally {
      peer.stop(true);
    }
  });
});
