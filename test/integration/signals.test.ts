/** SIGTERM and SIGHUP do what Ctrl-C does: stop sending, write the partial result, say so, exit 128 + the signal's number. */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runRepeated } from "../../src/app/runs.ts";
import { runSweep } from "../../src/app/sweep.ts";
import { LlmbenchError } from "../../src/core/errors.ts";
import { startServer } from "../../src/server/index.ts";
import { BIN, runOptions, scripted, until } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "llmbench-signals-"));

/** A generate server answering after 50 ms that counts the answers it gave. */
function slowPeer() {
  let answered = 0;
  const peer = scripted(async () => {
    await Bun.sleep(50);
    answered++;
    return Response.json({ text: " a b c", cached: false });
  });
  return { ...peer, answered: () => answered };
}

async function stopped(proc: ReturnType<typeof Bun.spawn>) {
  const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr as ReadableStream).text()]);
  return { code, stderr };
}

describe("signals", () => {
  test.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const)("run: %s writes the partial result, says so, exits %d", async (signal, exit) => {
    const peer = slowPeer();
    const out = join(dir, `run-${signal}.json`);
    try {
      const proc = Bun.spawn(
        [BIN, "run", "--endpoint", `${peer.url}/generate`, "-n", "1000", "-c", "2", "--warmup", "0", "--output", out],
        { stdout: "ignore", stderr: "pipe" },
      );
      await until(() => peer.answered() >= 4, "four answers");
      proc.kill(signal);
      const { code, stderr } = await stopped(proc);
      expect(code).toBe(exit);
      expect(stderr).toContain(`interrupted by ${signal}`);
      const doc = JSON.parse(readFileSync(out, "utf8"));
      expect(doc.complete).toBe(false);
      expect(doc.summary.requests.succeeded).toBeGreaterThan(0);
      expect(doc.summary.requests.sent).toBeLessThan(1000);
    } finally {
      peer.stop();
    }
  });

  // a real terminal that goes away: `script` runs the binary on a pseudo-terminal; killing `script` closes it, and the kernel hangs up
  const hasScript = Bun.spawnSync(["sh", "-c", "command -v script"]).exitCode === 0;
  test.skipIf(!hasScript)(
    "run on a terminal that closes (a real SIGHUP from the kernel) still writes the partial result",
    async () => {
      const peer = slowPeer();
      const out = join(dir, "hangup.json");
      try {
        const term = Bun.spawn(
          [
            "script",
            "-qfc",
            `${BIN} run --endpoint ${peer.url}/generate -n 1000 -c 2 --warmup 0 --output ${out}`,
            "/dev/null",
          ],
          { stdout: "ignore", stderr: "ignore" },
        );
        await until(() => peer.answered() >= 4, "four answers");
        term.kill("SIGKILL");
        await until(() => existsSync(out), "the result file");
        const doc = JSON.parse(readFileSync(out, "utf8"));
        expect(doc.complete).toBe(false);
        expect(doc.summary.requests.succeeded).toBeGreaterThan(0);
      } finally {
        peer.stop();
      }
    },
  );

  test("a sweep stopped by SIGTERM keeps the level it was measuring and exits 143", async () => {
    const peer = slowPeer();
    const out = join(dir, "sweep.json");
    try {
      const proc = Bun.spawn(
        [
          BIN,
          "run",
          "--endpoint",
          `${peer.url}/generate`,
          "--concurrency",
          "1,2",
          "-n",
          "1000",
          "--warmup",
          "0",
          "--output",
          out,
        ],
        { stdout: "ignore", stderr: "pipe" },
      );
      await until(() => peer.answered() >= 3, "three answers");
      proc.kill("SIGTERM");
      const { code } = await stopped(proc);
      expect(code).toBe(143);
      const doc = JSON.parse(readFileSync(out, "utf8"));
      expect(doc.complete).toBe(false);
      expect(doc.sweep.levels.length).toBe(1);
      expect(doc.sweep.levels[0].complete).toBe(false);
    } finally {
      peer.stop();
    }
  });

  test("warm: SIGTERM writes the document marked incomplete and exits 143", async () => {
    const peer = slowPeer();
    const out = join(dir, "warm.json");
    try {
      const proc = Bun.spawn(
        [BIN, "warm", "--endpoint", `${peer.url}/generate`, "--requests", "1000", "--output", out],
        { stdout: "ignore", stderr: "pipe" },
      );
      await until(() => peer.answered() >= 3, "three answers");
      proc.kill("SIGTERM");
      const { code, stderr } = await stopped(proc);
      expect(code).toBe(143);
      expect(stderr).toContain("interrupted by SIGTERM");
      const doc = JSON.parse(readFileSync(out, "utf8"));
      expect(doc.complete).toBe(false);
      expect(doc.requests.succeeded).toBeGreaterThan(0);
    } finally {
      peer.stop();
    }
  });

  test("past 256 in flight (re-executed): SIGTERM to the parent alone reaches the child; the parent exits with its 143", async () => {
    const server = await startServer({ decodeStepMs: 20, maxBatchSize: 1024, cacheSize: 0 });
    const out = join(dir, "big.json");
    try {
      const proc = Bun.spawn(
        [
          BIN,
          "run",
          "--endpoint",
          `${server.url}/generate`,
          "-n",
          "5000",
          "-c",
          "300",
          "--warmup",
          "0",
          "--max-tokens",
          "20",
          "--output",
          out,
        ],
        { stdout: "ignore", stderr: "pipe" },
      );
      await until(() => server.stats().max_in_flight >= 300, "300 requests in flight on the server");
      proc.kill("SIGTERM");
      const { code } = await stopped(proc);
      expect(code).toBe(143);
      expect(existsSync(out)).toBe(true);
      const doc = JSON.parse(readFileSync(out, "utf8"));
      expect(doc.complete).toBe(false);
      // every request the server saw is in the result (a busy machine may not finish one within the grace period)
      expect(doc.summary.requests.sent).toBe(server.stats().requests);
    } finally {
      await server.stop();
    }
  });
});

describe("stopped before anything was measured: the signal's own exit code, decided where the stop is seen", () => {
  for (const [signal, code] of [
    ["SIGTERM", 143],
    ["SIGHUP", 129],
    ["SIGINT", 130],
  ] as const) {
    test(`${signal} before a sweep's first level, and before the first of --runs: exit ${code}`, async () => {
      const interrupt = new AbortController();
      interrupt.abort(signal); // as app/command.ts aborts it: with the StopSignal as the reason
      // no request is sent: the endpoint is never asked
      const sweep = await runSweep(runOptions("http://127.0.0.1:9/generate", { concurrency: "1,2", requests: "2" }), {
        interrupt: interrupt.signal,
      }).catch((e: LlmbenchError) => e);
      const runs = await runRepeated(runOptions("http://127.0.0.1:9/generate", { runs: "2", requests: "2" }), {
        interrupt: interrupt.signal,
      }).catch((e: LlmbenchError) => e);
      for (const err of [sweep, runs]) {
        expect(err).toBeInstanceOf(LlmbenchError);
        expect((err as LlmbenchError).exitCode).toBe(code);
      }
    });
  }
});
