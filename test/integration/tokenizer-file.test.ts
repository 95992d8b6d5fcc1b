/**
 * --tokenizer FILE against a real 127.0.0.1 server whose model has a Llama-style vocabulary (the
 * shipped Mistral 7B tokenizer.json): it streams one token per chunk and reports no usage, the case
 * where the client's count is the only count. With the model's own file the output count is the
 * chunk count, and TPOT with it; o200k counts fewer and the report says which count it used.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { runBenchmark } from "../../src/app/run.ts";
import { runSweep } from "../../src/app/sweep.ts";
import { warmServer } from "../../src/app/warm.ts";
import { LlmbenchError } from "../../src/core/errors.ts";
import { deriveRequest } from "../../src/core/metrics.ts";
import { parseWarmOptions } from "../../src/core/options/warm.ts";
import { argv } from "../core/helpers.ts";
import type { ResultDocument } from "../../src/core/result.ts";
import { cli, runOptions, scripted, sseStream } from "./helpers.ts";

const MISTRAL_FILE = `${import.meta.dir}/../fixtures/tokenizers/mistral-7b/tokenizer.json`;
const ANSWER =
  "The quick brown fox jumps over the lazy dog. Tokenizers disagree about llmbench prefill and decode latencies, so count with the model's own vocabulary.";
let chunks: string[] = [];
let label = "";
let peer: ReturnType<typeof scripted>;
let served = 0;
const dir = mkdtempSync(join(tmpdir(), "llmbench-tokfile-"));

beforeAll(async () => {
  const bytes = await Bun.file(MISTRAL_FILE).bytes();
  label = `mistral-7b/tokenizer.json@sha256:${createHash("sha256").update(bytes).digest("hex").slice(0, 12)}`;
  const tok = new Tokenizer(JSON.parse(new TextDecoder().decode(bytes)), {});
  // what a streaming server sends for each token: its text, "▁" as a space, none before the first word
  chunks = tok
    .encode(ANSWER, { add_special_tokens: false })
    .tokens.map((t, i) => (i === 0 ? t.replace(/^▁/, "") : t.replaceAll("▁", " ")));
  expect(chunks.join("")).toBe(ANSWER);
  const events = chunks.map((c) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: c } }] })}\n\n`);
  peer = scripted(() => {
    served++;
    return sseStream([...events, "data: [DONE]\n\n"], 1);
  });
});
afterAll(() => {
  peer.stop();
  rmSync(dir, { recursive: true, force: true });
});

const run = (tokenizer: string) =>
  runBenchmark(
    runOptions(`${peer.url}/v1/chat/completions`, {
      model: "m",
      requests: "4",
      concurrency: "2",
      warmup: "0",
      "repeat-ratio": "0",
      "max-tokens": String(chunks.length),
      "input-tokens": "64",
      tokenizer,
    }),
  );

describe("one token per chunk, no usage", () => {
  test("with the model's tokenizer.json every answer counts as many tokens as it had chunks; the result names the file by its hash", async () => {
    const { doc, records } = await run(MISTRAL_FILE);
    expect(doc.config.tokenizer).toBe(label);
    expect(doc.summary.tokens_source).toBe(label);
    expect(JSON.stringify(doc.config)).not.toContain(MISTRAL_FILE);
    expect(records.length).toBe(4);
    for (const r of records) {
      expect(r.error).toBeNull();
      expect(r.tokenTimes.length).toBe(chunks.length);
      expect(r.outputTokensCounted).toBe(chunks.length);
      // TPOT is the time after the first token over the tokens after it: here, per chunk
      const m = deriveRequest(r);
      expect(m.tpotMs!).toBeCloseTo((r.tEnd! - r.tokenTimes[0]) / (chunks.length - 1), 9);
    }
    expect(doc.summary.tokens.tokens_per_chunk).toBe(1);
    expect(doc.summary.tokens.output).toBe(4 * chunks.length);
    expect(doc.notes.join("\n")).not.toContain("counted fewer output tokens than the stream had chunks");
    // the prompts were built to --input-tokens by the same vocabulary
    for (const r of records) expect(r.promptTokensCounted).toBe(64);
  });

  test("with o200k the count falls short of the chunks, TPOT comes out longer, and the report says which count it used and why", async () => {
    const { doc, records } = await run("o200k");
    expect(doc.summary.tokens_source).toBe("o200k");
    for (const r of records) {
      expect(r.outputTokensCounted).toBeLessThan(chunks.length);
      const m = deriveRequest(r);
      expect(m.tpotMs!).toBeGreaterThan((r.tEnd! - r.tokenTimes[0]) / (chunks.length - 1));
    }
    const perChunk = doc.summary.tokens.tokens_per_chunk!;
    expect(perChunk).toBeLessThan(0.95);
    const note = doc.notes.find((n) => n.includes("counted fewer output tokens than the stream had chunks"));
    expect(note).toBeDefined();
    expect(note).toContain(
      `the o200k tokenizer counted fewer output tokens than the stream had chunks with text (${perChunk.toFixed(2)} tokens per chunk): its count was used`,
    );
    expect(note).toContain("pass --tokenizer with the model's tokenizer.json");
  });

  test("warm loads the file too and records its label", async () => {
    const opts = parseWarmOptions(
      argv({
        endpoint: `${peer.url}/v1/chat/completions`,
        model: "m",
        seed: "1",
        quiet: true,
        requests: "3",
        tokenizer: MISTRAL_FILE,
      }),
      {},
      () => 1,
    );
    const { doc, error } = await warmServer(opts);
    expect(error).toBeNull();
    expect((doc.config as { tokenizer: string }).tokenizer).toBe(label);
  });
});

describe("every way of running loads the file", () => {
  const common = () => [
    "run",
    "--endpoint",
    `${peer.url}/v1/chat/completions`,
    "--model",
    "m",
    "--requests",
    "6",
    "--concurrency",
    "2",
    "--warmup",
    "0",
    "--repeat-ratio",
    "0",
    "--max-tokens",
    String(chunks.length),
    "--seed",
    "3",
    "--quiet",
    "--tokenizer",
    MISTRAL_FILE,
  ];
  const expectChunkCounts = (doc: ResultDocument) => {
    expect(doc.config.tokenizer).toBe(label);
    expect(doc.summary.tokens_source).toBe(label);
    expect(doc.summary.tokens.tokens_per_chunk).toBe(1);
  };

  test("a sweep: every level counts with the file, and the document names it by its label", async () => {
    const { doc } = await runSweep(
      runOptions(`${peer.url}/v1/chat/completions`, {
        model: "m",
        concurrency: "1,2",
        requests: "4",
        warmup: "0",
        "repeat-ratio": "0",
        "max-tokens": String(chunks.length),
        tokenizer: MISTRAL_FILE,
      }),
    );
    expect(doc.config.tokenizer).toBe(label);
    expect(doc.sweep!.levels.length).toBe(2);
    for (const level of doc.sweep!.levels) {
      expect(level.summary.tokens_source).toBe(label);
      expect(level.summary.tokens.tokens_per_chunk).toBe(1);
    }
  });

  test("--workers 2 from source: each worker process reads the file; the merged result counts with it", async () => {
    const out = join(dir, "workers.json");
    const p = Bun.spawn(
      [process.execPath, `${import.meta.dir}/../../src/cli.ts`, ...common(), "--workers", "2", "--output", out],
      { stdout: "pipe", stderr: "pipe" },
    );
    const [code, stderr] = await Promise.all([p.exited, new Response(p.stderr).text()]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const doc = (await Bun.file(out).json()) as ResultDocument;
    expect(doc.config.workers).toBe(2);
    expectChunkCounts(doc);
    for (const r of doc.requests!) expect(r.outputTokensCounted).toBe(chunks.length);
  });

  test("the compiled binary carries the library: run --tokenizer FILE works from dist/llmbench", async () => {
    const out = join(dir, "binary.json");
    const r = await cli([...common(), "--output", out]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expectChunkCounts((await Bun.file(out).json()) as ResultDocument);
    // a bad file: exit 2 and one line with the fix
    const bad = await cli([...common().slice(0, -1), join(dir, "nope.json")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`--tokenizer: cannot read ${join(dir, "nope.json")}: no such file`);
  });
});

describe("a --tokenizer that is not a built-in name nor a usable file", () => {
  const refused = async (tokenizer: string) => {
    const before = served;
    try {
      await run(tokenizer);
    } catch (e) {
      expect(e).toBeInstanceOf(LlmbenchError);
      expect((e as LlmbenchError).exitCode).toBe(2);
      // refused before any request
      expect(served).toBe(before);
      return e as LlmbenchError;
    }
    throw new Error("expected the run to be refused");
  };

  test("a name that is not built in, or a missing file: exit 2, with the built-in names in the fix", async () => {
    const e = await refused("cl100");
    expect(e.message).toBe("--tokenizer cl100: no built-in tokenizer has that name, and there is no such file");
    expect(e.hint).toBe(
      "--tokenizer takes whitespace, o200k, cl100k, or the path of a model's Hugging Face tokenizer.json",
    );
    expect((await refused(join(dir, "missing.json"))).message).toContain("no such file");
    expect((await refused(dir)).message).toContain("it is a directory");
  });

  test("a file that is not a tokenizer.json: exit 2, saying why", async () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, '{"model": ');
    expect((await refused(bad)).message).toStartWith(`--tokenizer ${bad}: not valid JSON`);
    const config = join(dir, "tokenizer_config.json");
    writeFileSync(config, JSON.stringify({ bos_token: "<s>", model_max_length: 4096 }));
    expect((await refused(config)).message).toBe(
      `--tokenizer ${config}: not a Hugging Face tokenizer.json (it has no "model" with a "vocab")`,
    );
  });
});
