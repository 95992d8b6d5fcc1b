/** Edge cases found in review, each against a real server: what a user would lose or be shown wrongly. */
import { describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { concludeRun } from "../../src/app/conclusion.ts";
import { runBenchmark } from "../../src/app/run.ts";
import { startServer } from "../../src/server/index.ts";
import { BIN, runOptions, scripted, sseStream, cli, until } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "llmbench-edges-"));

describe("what is shown", () => {
  test("--json through a pipe is whole even when the run exits 3 (no output cut at 64 KiB)", async () => {
    const peer = scripted(() => new Response("x".repeat(300), { status: 500 }));
    try {
      const r = await cli([
        "run",
        "--endpoint",
        `${peer.url}/generate`,
        "-n",
        "400",
        "-c",
        "8",
        "--warmup",
        "0",
        "--json",
      ]);
      expect(r.code).toBe(3);
      expect(r.stdout.length).toBeGreaterThan(65_536);
      expect(JSON.parse(r.stdout).summary.requests.failed).toBe(400);
    } finally {
      peer.stop();
    }
  });

  test("credentials in the endpoint never reach a message; the model lookup goes to …/v1/models", async () => {
    const seen: string[] = [];
    const peer = scripted((req) => {
      seen.push(new URL(req.url).pathname + new URL(req.url).search);
      return new Response("no", { status: 404 });
    });
    try {
      const r = await cli([
        "run",
        "--endpoint",
        `http://bob:hunter2@${peer.url.slice(7)}/v1/chat/completions?api_key=SECRET`,
        "-n",
        "1",
      ]);
      expect(r.code).toBe(2);
      expect(seen[0]).toBe("/v1/models?api_key=SECRET");
      expect(r.stderr).toContain("/v1/models?api_key=REDACTED");
      for (const secret of ["hunter2", "SECRET"]) expect(r.stdout + r.stderr).not.toContain(secret);
      const h = await cli(["run", "--header", "Authorization Bearer sk-live-123", "-n", "1"]);
      expect(h.code).toBe(2);
      expect(h.stderr).not.toContain("sk-live-123");
    } finally {
      peer.stop();
    }
  });

  test("an event stream labelled application/json is still measured as a stream", async () => {
    const peer = scripted(() => {
      const res = sseStream(
        [`data: {"text":" a"}\n\n`, `data: {"text":" b"}\n\n`, `data: {"done":true,"cached":false}\n\n`],
        5,
      );
      res.headers.set("content-type", "application/json");
      return res;
    });
    try {
      const { doc } = await runBenchmark(
        runOptions(`${peer.url}/generate`, { stream: true, requests: "3", warmup: "0", "repeat-ratio": "0" }),
      );
      expect(doc.summary.ttft_kind).toBe("token");
      expect(doc.summary.itl_ms!.count).toBe(3);
    } finally {
      peer.stop();
    }
  });
});

describe("what is kept", () => {
  test("an unwritable --output is refused before the run, not after it", async () => {
    const t0 = performance.now();
    const r = await cli([
      "run",
      "--endpoint",
      "http://127.0.0.1:9/generate",
      "--output",
      join(dir, "missing", "r.json"),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("does not exist");
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  test("Ctrl-C during the warm-up is an interruption (130), not an unusable endpoint", async () => {
    let received = 0;
    const interrupt = new AbortController();
    const peer = scripted(async () => {
      // both warm-up requests have reached the server: the run is in its warm-up
      if (++received === 2) interrupt.abort();
      await Bun.sleep(2000);
      return Response.json({ text: " a", cached: false });
    });
    try {
      const out = await runBenchmark(runOptions(`${peer.url}/generate`, { requests: "5", warmup: "2" }), {
        interrupt: interrupt.signal,
        graceMs: 100,
      });
      expect(concludeRun(out).exitCode).toBe(130);
    } finally {
      peer.stop();
    }
  });

  test("Ctrl-C at a low rate does not wait for the next arrival", async () => {
    const server = await startServer({ decodeStepMs: 1 });
    const interrupt = new AbortController();
    try {
      let abortedAt = 0;
      // interrupt once the run is under way (its first status line), whenever that is
      const onStatus = () => {
        if (abortedAt) return;
        abortedAt = performance.now();
        interrupt.abort();
      };
      const out = await runBenchmark(
        runOptions(`${server.url}/generate`, { rate: "0.2", duration: "60s", warmup: "0" }),
        { interrupt: interrupt.signal, onStatus, statusEveryMs: 50 },
      );
      expect(abortedAt).toBeGreaterThan(0);
      expect(performance.now() - abortedAt).toBeLessThan(3000); // the next arrival was ~5 s away on average
      expect(out.interrupted).toBe(true);
    } finally {
      await server.stop();
    }
  });

  test("Ctrl-C from a terminal above 256 in flight (parent and re-executed child both see it) still writes the result", async () => {
    const server = await startServer({ decodeStepMs: 20, maxBatchSize: 1024, cacheSize: 0 });
    const out = join(dir, "big.json");
    try {
      // its own process group, as a shell gives a job: a signal to the group reaches parent and child
      const child = spawn(
        BIN,
        [
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
        { detached: true, stdio: "ignore" },
      );
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      await until(() => server.stats().max_in_flight >= 300, "300 requests in flight on the server");
      process.kill(-child.pid!, "SIGINT");
      expect(await exited).toBe(130);
      expect(existsSync(out)).toBe(true);
      const doc = JSON.parse(readFileSync(out, "utf8"));
      expect(doc.complete).toBe(false);
      expect(doc.summary.requests.sent).toBeGreaterThan(0);
    } finally {
      await server.stop();
    }
  });

  test("a concurrency sweep re-executes for its top level, not its first", async () => {
    const server = await startServer({ decodeStepMs: 20, maxBatchSize: 1024, cacheSize: 0 });
    try {
      const r = await cli([
        "run",
        "--endpoint",
        `${server.url}/generate`,
        "--concurrency",
        "1,300",
        "--duration",
        "1s",
        "--max-tokens",
        "5",
        "--stream",
        "--warmup",
        "0",
        "--repeat-ratio",
        "0",
        "--quiet",
      ]);
      expect(r.code).toBe(0);
      expect(server.stats().max_in_flight).toBe(300);
    } finally {
      await server.stop();
    }
  });
});

describe("what is said", () => {
  test("a server that goes away mid-run stops the run: exit 3, and what was measured is kept", async () => {
    let n = 0;
    const peer = scripted(async () => {
      if (++n === 8) setTimeout(() => peer.stop(), 0); // the server dies after answering 8
      await Bun.sleep(5);
      return Response.json({ text: " a b", cached: false });
    });
    const out = await runBenchmark(
      runOptions(`${peer.url}/generate`, { requests: "500", concurrency: "2", warmup: "0", "repeat-ratio": "0" }),
    );
    expect(out.unreachable).toBe(true);
    expect(out.doc.complete).toBe(false);
    expect(out.doc.summary.requests.succeeded).toBeGreaterThanOrEqual(6);
    expect(out.doc.summary.requests.sent).toBeLessThan(50);
    const conclusion = concludeRun(out);
    expect(conclusion.exitCode).toBe(3);
    expect(conclusion.error!.message).toContain("stopped accepting connections");
  });

  test("401 everywhere points at the API key; 5xx at the server's logs", async () => {
    for (const [status, hint] of [
      [401, "--api-key"],
      [503, "check its logs"],
    ] as const) {
      const peer = scripted(() => new Response("nope", { status }));
      try {
        const r = await cli(["run", "--endpoint", `${peer.url}/generate`, "-n", "3", "--warmup", "0"]);
        expect(r.code).toBe(3);
        expect(r.stderr).toContain(hint);
      } finally {
        peer.stop();
      }
    }
  });

  test("usage slips a person makes: an unknown command, `help run`, a folder as --output, a host to serve on that does not resolve", async () => {
    const typo = await cli(["runn"]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("did you mean 'llmbench run'?");
    const help = await cli(["help", "run"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--repeat-ratio");
    expect(help.stdout).not.toContain("\x1b["); // no colour codes through a pipe
    const folder = await cli(["run", "--output", dir]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain("it is a folder");
    const host = await cli(["serve", "--port", "0", "--host", "nosuchhost.invalid"]);
    expect(host.code).toBe(2);
    expect(host.stderr).toContain("cannot listen on nosuchhost.invalid");
    expect(host.stderr).not.toContain("internal error");
  });
});
