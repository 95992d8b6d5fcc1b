/** The compiled binary, as a user runs it: help, exit codes, the result file and its schema, Ctrl-C, secrets. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Ajv2020 from "ajv/dist/2020.js";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import schema from "../../schema/result.schema.json" with { type: "json" };
import { BIN, cli, scripted, serveBinary, until } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "llmbench-cli-"));
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);

let server: Awaited<ReturnType<typeof serveBinary>>;
beforeAll(async () => {
  server = await serveBinary(["--decode-step-ms", "1"]);
});
afterAll(async () => {
  server.proc.kill("SIGTERM");
  expect(await server.proc.exited).toBe(0); // clean shutdown on SIGTERM
});

describe("the compiled binary", () => {
  test("--help lists the commands; run --help lists the options with defaults", async () => {
    const root = await cli(["--help"]);
    expect(root.code).toBe(0);
    for (const c of ["run", "serve"]) expect(root.stdout).toContain(c);
    const run = await cli(["run", "--help"]);
    expect(run.code).toBe(0);
    for (const o of [
      "--endpoint",
      "--requests",
      "--concurrency",
      "--max-tokens",
      "--repeat-ratio",
      "--warmup",
      "--output",
      "--seed",
      "--timeout",
      "--json",
      "--quiet",
    ]) {
      expect(run.stdout).toContain(o);
    }
    expect((await cli(["--version"])).stdout).toMatch(/^llmbench \d+\.\d+\.\d+ \(/);
  });

  test("a real run: report on stdout, result file valid against the schema, exit 0", async () => {
    const out = join(dir, "r.json");
    const r = await cli([
      "run",
      "--endpoint",
      `${server.url}/generate`,
      "--requests",
      "12",
      "--concurrency",
      "3",
      "--max-tokens",
      "8",
      "--repeat-ratio",
      "0.5",
      "--seed",
      "7",
      "--output",
      out,
    ]);
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("TTFT (first byte)");
    expect(r.stdout).toContain("among repeated prompts 100.0% (6 of 6 answered)");
    const doc = JSON.parse(readFileSync(out, "utf8"));
    expect(validate(doc)).toBe(true);
    expect(doc.config.seed).toBe(7);
    expect(doc.requests.length).toBe(12 + 5);
    expect(doc.summary.cache.repeat_hit_rate).toBe(1);
  });

  test("--json prints a schema-valid document on stdout, and only that", async () => {
    const r = await cli([
      "run",
      "--endpoint",
      `${server.url}/generate`,
      "--stream",
      "-n",
      "5",
      "--warmup",
      "0",
      "--max-tokens",
      "4",
      "--json",
      "--no-records",
    ]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(validate(doc)).toBe(true);
    expect(doc.requests).toBeNull();
    expect(doc.summary.ttft_kind).toBe("token");
  });

  test("open-loop, timed, SLO-checked runs and sweeps write schema-valid documents too", async () => {
    const timed = await cli([
      "run",
      "--endpoint",
      `${server.url}/generate`,
      "--rate",
      "50",
      "--duration",
      "1s",
      "--ramp-up",
      "200ms",
      "--slo",
      "ttft_p99=10s",
      "--max-tokens",
      "4",
      "--stream",
      "--json",
    ]);
    expect(timed.code).toBe(0);
    const doc = JSON.parse(timed.stdout);
    expect(validate(doc)).toBe(true);
    expect(doc.config.requests).toBeNull();
    expect(doc.requests.some((r: { phase: string }) => r.phase === "rampup")).toBe(true);
    const sweep = await cli([
      "run",
      "--endpoint",
      `${server.url}/generate`,
      "--concurrency",
      "1,2",
      "-n",
      "6",
      "--warmup",
      "0",
      "--max-tokens",
      "4",
      "--json",
    ]);
    expect(sweep.code).toBe(0);
    const sdoc = JSON.parse(sweep.stdout);
    expect(validate(sdoc)).toBe(true);
    expect(sdoc.sweep.levels.length).toBe(2);
  });

  test.each([
    [["run", "--requets", "5"], "did you mean '--requests'?"],
    [["run", "--requests", "-3"], "--requests must be ≥ 1"],
    [["run", "--repeat-ratio", "2"], "--repeat-ratio must be ≥ 0 and ≤ 1"],
    [["run", "--endpoint", "htp//x"], "--endpoint is not a valid URL"],
    [["run", "--concurrency", "many"], "--concurrency must be an integer"],
    [["serve", "--port", "-1"], "--port"],
    [["nosuchcommand"], "error"],
  ])("bad usage %j exits 2 with a one-line error and the fix", async (args, text) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(text);
    expect(r.stderr).not.toContain("    at "); // no stack trace
  });

  test("connection refused exits 3, says the server is not running and how to start one, keeps the result", async () => {
    const peer = scripted(() => new Response(""));
    const url = peer.url;
    peer.stop();
    const out = join(dir, "refused.json");
    const r = await cli(["run", "--endpoint", `${url}/generate`, "--output", out]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("connection refused");
    expect(r.stderr).toContain("llmbench serve");
    const doc = JSON.parse(readFileSync(out, "utf8"));
    expect(validate(doc)).toBe(true);
    expect(doc.complete).toBe(false);
  });

  test("past Bun's 256-request cap, the binary re-executes itself with the cap raised: the server sees every request in flight", async () => {
    const big = await serveBinary(["--decode-step-ms", "20", "--max-batch-size", "1024", "--cache-size", "0"]);
    try {
      const r = await cli([
        "run",
        "--endpoint",
        `${big.url}/generate`,
        "-n",
        "300",
        "-c",
        "300",
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
      const stats = (await (await fetch(`${big.url}/stats`)).json()) as { max_in_flight: number };
      expect(stats.max_in_flight).toBe(300);
    } finally {
      big.proc.kill("SIGTERM");
      await big.proc.exited;
    }
  });

  test("a host that does not resolve exits 3 and says so", async () => {
    const r = await cli([
      "run",
      "--endpoint",
      "http://no-such-host.invalid/generate",
      "-n",
      "3",
      "--warmup",
      "0",
      "--timeout",
      "5",
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("host not found");
    expect(r.stderr).toContain("check the host name in --endpoint");
  });

  test("an unknown path needs --api", async () => {
    const r = await cli(["run", "--endpoint", `${server.url}/infer`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--api");
  });

  test("Ctrl-C writes the partial result marked incomplete and exits 130", async () => {
    let answered = 0;
    const peer = scripted(async () => {
      await Bun.sleep(150);
      answered++;
      return Response.json({ text: " a b c", cached: false });
    });
    const out = join(dir, "partial.json");
    try {
      const proc = Bun.spawn(
        [BIN, "run", "--endpoint", `${peer.url}/generate`, "-n", "1000", "-c", "2", "--warmup", "0", "--output", out],
        { stdout: "pipe", stderr: "pipe" },
      );
      await until(() => answered >= 4, "four answers from the server"); // an observed event, not a sleep
      proc.kill("SIGINT");
      expect(await proc.exited).toBe(130);
      expect(existsSync(out)).toBe(true);
      const doc = JSON.parse(readFileSync(out, "utf8"));
      expect(validate(doc)).toBe(true);
      expect(doc.complete).toBe(false);
      expect(doc.summary.requests.succeeded).toBeGreaterThan(0);
      expect(doc.summary.requests.sent).toBeLessThan(1000);
    } finally {
      peer.stop();
    }
  });

  test("the API key never appears in the result, the report, a log line or an error", async () => {
    const canary = "sk-canary-7f3e9a0b1c";
    const seen: string[] = [];
    const peer = scripted((req) => {
      seen.push(req.headers.get("authorization") ?? "");
      return new Response(`denied for ${req.headers.get("x-echo") ?? ""}`, { status: 401 });
    });
    const out = join(dir, "secret.json");
    try {
      const viaEnv = await cli(
        ["run", "--endpoint", `${peer.url}/generate`, "-n", "3", "--warmup", "0", "--output", out, "--json"],
        { env: { LLMBENCH_API_KEY: canary } },
      );
      expect(seen[0]).toBe(`Bearer ${canary}`); // it was sent
      expect(viaEnv.code).toBe(3);
      const viaFlag = await cli([
        "run",
        "--endpoint",
        `${peer.url}/generate`,
        "-n",
        "3",
        "--warmup",
        "0",
        "--api-key",
        canary,
      ]);
      for (const text of [viaEnv.stdout, viaEnv.stderr, viaFlag.stdout, viaFlag.stderr, readFileSync(out, "utf8")]) {
        expect(text).not.toContain(canary);
      }
    } finally {
      peer.stop();
    }
  });
});
