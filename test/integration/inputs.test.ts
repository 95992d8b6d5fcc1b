/**
 * Input files of `compare` and `merge` that must be refused, not trusted (issue 11 §2): files that
 * are not regular files or are too large, crafted documents (deep nesting, a null sweep level),
 * impossible records, and a seeded fuzz over real result files. Every refusal is exit 2 with one
 * message naming the file, never a stack trace; an internal error has its own exit code.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineCommand } from "citty";
import { runCompare } from "../../src/app/compare.ts";
import { runMerge } from "../../src/app/merge.ts";
import { runBenchmark } from "../../src/app/run.ts";
import { runSweep } from "../../src/app/sweep.ts";
import { parseGate, parseThresholds } from "../../src/core/compare/thresholds.ts";
import { EXIT, LlmbenchError } from "../../src/core/errors.ts";
import { createRng, type Rng } from "../../src/core/rng.ts";
import { MAX_INPUT_BYTES, readInputFile } from "../../src/io/files.ts";
import { runCli } from "../../src/main.ts";
import { startServer, type RunningServer } from "../../src/server/index.ts";
import { BIN, runOptions } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "llmbench-inputs-"));
const file = (name: string) => join(dir, name);
let server: RunningServer;
/** real result documents: a streamed run with records, the same without records, a sweep */
const docs: Record<string, any> = {};

beforeAll(async () => {
  server = await startServer({ decodeStepMs: 1, batchWindowMs: 1 });
  const args = { stream: true, requests: "12", concurrency: "2", "max-tokens": "5", warmup: "1", seed: "7" };
  docs.run = (await runBenchmark(runOptions(`${server.url}/generate`, args))).doc;
  docs.norecords = { ...docs.run, requests: null };
  docs.sweep = (await runSweep(runOptions(`${server.url}/generate`, { ...args, concurrency: "1,2" }))).doc;
  // the same run as vLLM's `bench serve --save-result --save-detailed` would have written it
  const ok = docs.run.requests.filter((r: any) => r.phase === "measured" && r.error === null);
  docs.vllm = {
    num_prompts: ok.length,
    request_rate: "inf",
    max_concurrency: 2,
    completed: ok.length,
    failed: 0,
    duration: 1,
    request_throughput: ok.length,
    output_throughput: ok.length * 5,
    mean_ttft_ms: 5,
    median_ttft_ms: 5,
    p99_ttft_ms: 9,
    mean_e2el_ms: 20,
    ttfts: ok.map((r: any) => (r.tokenTimes[0] - r.tSend) / 1000),
    itls: ok.map((r: any) => r.tokenTimes.slice(1).map((t: number, k: number) => (t - r.tokenTimes[k]) / 1000)),
    output_lens: ok.map((r: any) => r.tokenTimes.length),
    input_lens: ok.map((r: any) => r.promptTokensCounted),
    errors: ok.map(() => ""),
  };
  for (const [name, doc] of Object.entries(docs)) writeFileSync(file(`${name}.json`), JSON.stringify(doc));
});
afterAll(() => server.stop());

/** The compiled binary, killed after `ms` (a FIFO read would block forever): code 124 then. */
async function bin(args: string[], ms = 20_000) {
  const proc = Bun.spawn([BIN, ...args], { stdout: "pipe", stderr: "pipe", cwd: dir });
  const timer = setTimeout(() => proc.kill("SIGKILL"), ms);
  const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code: proc.signalCode ? 124 : code, stderr };
}

/** A refusal as main.ts prints it: exit 2, the error line names the file, then only the fix; no stack. */
function expectRefused(r: { code: number; stderr: string }, name: string, says: string) {
  expect(r.code).toBe(EXIT.usage);
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines[0]).toStartWith("llmbench: error: ");
  expect(lines[0]).toContain(name);
  expect(lines[0]).toContain(says);
  expect(lines.slice(1).every((l) => l.startsWith("  fix: "))).toBe(true);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe("files that are not regular files, or too large", () => {
  test("a symlink to /dev/zero, a FIFO, a folder and a 3 GiB (sparse) file: exit 2 at once, naming the file", async () => {
    symlinkSync("/dev/zero", file("zero.json"));
    execFileSync("mkfifo", [file("fifo.json")]);
    writeFileSync(file("huge.json"), "");
    truncateSync(file("huge.json"), 3 * 2 ** 30); // no disk used: only its size says 3 GiB
    for (const cmd of ["compare", "merge"]) {
      expectRefused(await bin([cmd, "run.json", "zero.json"]), "zero.json", "a character device, not a regular file");
      expectRefused(await bin([cmd, "run.json", "fifo.json"]), "fifo.json", "a FIFO (named pipe), not a regular file");
      expectRefused(await bin([cmd, "run.json", "."]), "cannot read .", "a directory");
      expectRefused(
        await bin([cmd, "run.json", "huge.json"]),
        "huge.json",
        "3 GiB, more than the 2 GiB an input file may have",
      );
    }
  });

  test("run and warm --prompts refuse a device and a FIFO the same way (they once read /dev/zero into 16 GB, or blocked forever)", async () => {
    symlinkSync("/dev/zero", file("zero.jsonl"));
    execFileSync("mkfifo", [file("fifo.jsonl")]);
    for (const cmd of ["run", "warm"]) {
      for (const [name, says] of [
        ["zero.jsonl", "a character device, not a regular file"],
        ["fifo.jsonl", "a FIFO (named pipe), not a regular file"],
      ]) {
        expectRefused(
          await bin([cmd, "--endpoint", `${server.url}/generate`, "--prompts", name, "-n", "2", "--quiet"]),
          name,
          says,
        );
      }
    }
  });

  test("the cap counts bytes read, not only the size stat gives: a file at the cap is read, one byte more is refused", async () => {
    writeFileSync(file("cap.json"), "x".repeat(100));
    expect(await readInputFile(file("cap.json"), "hint", 100)).toBe("x".repeat(100));
    const refused = await readInputFile(file("cap.json"), "hint", 99).catch((e) => e);
    expect(refused).toBeInstanceOf(LlmbenchError);
    expect(refused.message).toContain("more than the 99 B an input file may have");
    // the default cap holds the longest string the engine can build (a larger file could never be parsed)
    expect(MAX_INPUT_BYTES).toBe(2 ** 31 - 1);
  });
});

/** `doc` with the value at `path` replaced by `value` (written into the JSON text, so any depth fits). */
function withValue(doc: unknown, path: Array<string | number>, raw: string): string {
  const marker = "__llmbench_marker__";
  const copy = structuredClone(doc) as any;
  let at = copy;
  for (const k of path.slice(0, -1)) at = at[k];
  at[path[path.length - 1]] = marker;
  return JSON.stringify(copy).replace(`"${marker}"`, raw);
}

describe("crafted files", () => {
  test("a value nested 100,000 levels deep in config, and a sweep with a null level: exit 2, no stack trace", async () => {
    writeFileSync(
      file("deep.json"),
      withValue(docs.run, ["config", "extra_body"], `${"[".repeat(100_000)}1${"]".repeat(100_000)}`),
    );
    writeFileSync(file("null-level.json"), withValue(docs.sweep, ["sweep", "levels", 0], "null"));
    for (const cmd of ["compare", "merge"]) {
      expectRefused(await bin([cmd, "run.json", "deep.json"]), "deep.json", "nests values more than 64 levels deep");
    }
    expectRefused(
      await bin(["compare", "sweep.json", "null-level.json"]),
      "null-level.json",
      "sweep.levels[0] is null, expected an object",
    );
    expectRefused(
      await bin(["merge", "sweep.json", "null-level.json", "--allow-mismatch"]),
      "null-level.json",
      "sweep.levels[0] is null, expected an object",
    );
  });

  test("records with negative times are refused (they once compared as 'improved', exit 0)", async () => {
    const doc = structuredClone(docs.run);
    for (const r of doc.requests) r.tEnd = r.tSend - 490;
    writeFileSync(file("negative.json"), JSON.stringify(doc));
    for (const cmd of ["compare", "merge"])
      expectRefused(
        await bin([cmd, "run.json", "negative.json"]),
        "negative.json",
        "requests[0] is impossible: tEnd -",
      );
  });

  test("an internal error (a bug) exits 70, not 1, with its stack and a line asking for a report", async () => {
    const root = defineCommand({
      meta: { name: "llmbench" },
      subCommands: { boom: defineCommand({ run: () => (null as any).level }) },
    });
    const written: string[] = [];
    const write = process.stderr.write;
    const before = process.exitCode;
    process.stderr.write = ((s: string) => written.push(String(s)) > 0) as typeof process.stderr.write;
    try {
      await runCli(root, ["boom"]);
    } finally {
      process.stderr.write = write;
    }
    const code = process.exitCode;
    process.exitCode = before ?? 0; // undefined would leave 70 behind: bun test exits with it
    expect(code).toBe(EXIT.internal);
    expect(EXIT.internal).toBe(70);
    const text = written.join("");
    expect(text).toContain("llmbench: internal error: TypeError");
    expect(text).toMatch(/\n\s+at /); // the stack, for the report
    expect(text).toContain("please report it");
  });
});

/** Every place in a document: the path of each value (lists of records are sampled, not walked whole). */
function paths(x: unknown, rng: Rng, at: Array<string | number> = [], out: Array<Array<string | number>> = []) {
  out.push(at);
  if (Array.isArray(x)) {
    const picks = x.length <= 3 ? x.map((_, i) => i) : [0, x.length - 1, rng.int(x.length)];
    for (const i of new Set(picks)) paths(x[i], rng, [...at, i], out);
  } else if (typeof x === "object" && x !== null) {
    for (const [k, v] of Object.entries(x)) paths(v, rng, [...at, k], out);
  }
  return out;
}

/** What a crafted or damaged file may hold where a value was. */
const REPLACEMENTS: Array<(v: unknown, rng: Rng) => string | undefined> = [
  () => undefined, // deleted
  () => "null",
  () => '"text"',
  () => "true",
  () => "[]",
  () => "{}",
  () => "-1",
  () => "0",
  () => "1e308",
  () => "-1e308",
  () => "1e400", // parses as Infinity
  () => "0.5",
  () => "[null]",
  () => '{"count": 1}',
  () => `${"[".repeat(70)}1${"]".repeat(70)}`,
  (v) => (typeof v === "number" ? String(-v - 1) : Array.isArray(v) ? "[1, -5, 3]" : JSON.stringify([v])),
  (v) => (typeof v === "number" ? JSON.stringify(String(v)) : typeof v === "string" ? "42" : "7"),
];

function mutate(doc: unknown, rng: Rng): { text: string; what: string } {
  let out: unknown = doc;
  let text = "";
  const steps: string[] = [];
  // one to three mutations on top of each other
  for (let m = 0, n = 1 + rng.int(3); m < n; m++) {
    const all = paths(out, rng).filter((p) => p.length > 0);
    const path = all[rng.int(all.length)];
    const r = rng.int(REPLACEMENTS.length);
    let parent: any = out;
    for (const k of path.slice(0, -1)) parent = parent[k];
    const raw = REPLACEMENTS[r](parent[path[path.length - 1]], rng);
    steps.push(`${path.join(".")} ← ${raw === undefined ? "(deleted)" : raw.slice(0, 20)}`);
    if (raw === undefined) {
      const copy = structuredClone(out) as any;
      let at = copy;
      for (const k of path.slice(0, -1)) at = at[k];
      if (Array.isArray(at)) at.splice(path[path.length - 1] as number, 1);
      else delete at[path[path.length - 1]];
      text = JSON.stringify(copy);
    } else text = withValue(out, path, raw);
    out = JSON.parse(text);
  }
  return { text, what: steps.join("; ") };
}

describe("fuzz: mutated real result files", () => {
  test("compare and merge either work or refuse with a one-line error (exit 2): never a crash", async () => {
    const rng = createRng(Number(process.env.LLMBENCH_FUZZ_SEED ?? 20261130));
    const settings = { thresholds: parseThresholds([]), gate: parseGate(undefined), alpha: 0.05, gateOnRatios: false };
    const crashes: string[] = [];
    const outcomes = { worked: 0, refused: 0 };
    const check = async (what: string, f: () => Promise<unknown>) => {
      try {
        await f();
        outcomes.worked++;
      } catch (err) {
        if (err instanceof LlmbenchError && err.exitCode === EXIT.usage && !/\n\s+at /.test(err.message))
          outcomes.refused++;
        else crashes.push(`${what}: ${(err as Error)?.stack?.split("\n").slice(0, 3).join(" | ") ?? err}`);
      }
    };
    // every unmutated file compares with itself: the mutations start from files that are read
    for (const name of ["run", "norecords", "sweep", "vllm"]) {
      const good = file(`${name}.json`);
      // without records there are no samples to judge: the gate cannot decide (exit 2), it does not crash
      expect(
        (
          await runCompare({
            base: [good],
            cand: [good],
            settings,
            allowMismatch: false,
            format: "json",
            hideUnchanged: false,
          })
        ).exitCode,
      ).toBe(name === "norecords" ? EXIT.usage : EXIT.ok);
    }
    for (let i = 0, n = Number(process.env.LLMBENCH_FUZZ_RUNS ?? 600); i < n; i++) {
      const name = (["run", "norecords", "sweep", "vllm"] as const)[i % 4];
      const { text, what } = mutate(docs[name], rng);
      const mutated = file(`fuzz-${i}.json`);
      writeFileSync(mutated, text);
      const good = file(`${name}.json`);
      await check(`compare ${name} [${what}]`, () =>
        runCompare({
          base: [good],
          cand: [mutated],
          settings,
          allowMismatch: true,
          format: "json",
          hideUnchanged: false,
        }).then((o) => JSON.parse(o.output)),
      );
      await check(`merge ${name} [${what}]`, () => runMerge([good, mutated], true).then((d) => JSON.stringify(d)));
    }
    expect(crashes).toEqual([]);
    // the mutations reach past the first check: some files still compare, most are refused
    expect(outcomes.worked).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(outcomes.worked / 4);
  }, 120_000);
});
