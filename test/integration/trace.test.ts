/** run --trace against real servers on 127.0.0.1: bad files refused before a request, pacing, prompts, and a prefix cache. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBenchmark } from "../../src/app/run.ts";
import { withTrace } from "../../src/app/trace.ts";
import { parseTrace } from "../../src/core/trace.ts";
import { renderReport } from "../../src/render/report.ts";
import { startServer } from "../../src/server/index.ts";
import { runOptions, sseStream } from "./helpers.ts";

const CLI = join(import.meta.dir, "../../src/cli.ts");
const dir = mkdtempSync(join(tmpdir(), "llmbench-trace-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function llmbench(args: string[]) {
  const proc = Bun.spawn([process.execPath, CLI, ...args], { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}

const line = (o: Record<string, unknown>) => JSON.stringify(o);

describe("run --trace: a bad trace file", () => {
  test.each([
    [
      "not JSON on line 3",
      [line({ timestamp: 0, input_length: 8, output_length: 2 }), "", "{oops"],
      "t.jsonl:3: not valid JSON: {oops",
    ],
    [
      "a missing field on line 2",
      [line({ timestamp: 0, input_length: 8, output_length: 2 }), line({ timestamp: 5, output_length: 2 })],
      `t.jsonl:2: "input_length" must be an integer from 1 to 10,000,000 (prompt tokens), got nothing`,
    ],
    [
      "more hash_ids than --block-tokens leaves room for",
      [line({ timestamp: 0, input_length: 100, output_length: 2, hash_ids: [1, 2, 3] })],
      "t.jsonl:1: 3 hash_ids for input_length 100, but --block-tokens 512 leaves room for 1",
    ],
  ])("%s: one line naming the line, exit 2, before any request", async (_, lines, message) => {
    let requests = 0;
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => {
        requests++;
        return new Response("{}");
      },
    });
    try {
      const file = join(dir, "t.jsonl");
      writeFileSync(file, lines.join("\n"));
      const r = await llmbench([
        "run",
        "--endpoint",
        `http://127.0.0.1:${server.port}/v1/completions`,
        "--model",
        "m",
        "--trace",
        file,
        "--quiet",
      ]);
      expect(r.code).toBe(2);
      const errors = r.stderr
        .trim()
        .split("\n")
        .filter((l) => l.trim() !== "");
      expect(errors[0]).toContain(`${file.slice(0, -"t.jsonl".length)}${message}`);
      // the message and its hint; no stack
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(errors.length).toBeLessThanOrEqual(2);
      expect(requests).toBe(0);
    } finally {
      server.stop(true);
    }
  });

  test("a file that is not there: exit 2, naming it", async () => {
    const r = await llmbench([
      "run",
      "--endpoint",
      "http://127.0.0.1:9/v1/completions",
      "--model",
      "m",
      "--trace",
      join(dir, "nope.jsonl"),
      "--quiet",
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("nope.jsonl: no such file");
  });
});

describe("run --trace: the file read before the run", () => {
  const file = join(dir, "read.jsonl");
  const bailian = join(dir, "bailian.jsonl");
  writeFileSync(
    file,
    [0, 40, 10, 30]
      .map((t, i) => line({ timestamp: t, input_length: 600 + i, output_length: 5 + i, hash_ids: [i, i + 10] }))
      .join("\n"),
  );
  writeFileSync(
    bailian,
    [
      line({ chat_id: 1, parent_chat_id: -1, timestamp: 2.5, input_length: 40, output_length: 3, hash_ids: [1, 2, 3] }),
    ].join("\n"),
  );
  const opts = (args: Record<string, string>) =>
    runOptions("http://127.0.0.1:9/v1/completions", { model: "m", ...args });

  test("every request by default; the first N with --requests, in the order due; the format's block size unless given", async () => {
    const all = await withTrace(opts({ trace: file }));
    expect(all.requests).toBe(4);
    expect(all.trace?.loaded?.blockTokens).toBe(512);
    const first = await withTrace(opts({ trace: file, requests: "2" }));
    expect(first.requests).toBe(2);
    expect(first.trace?.loaded?.trace.entries.map((e) => e.line)).toEqual([1, 3]);
    const b = await withTrace(opts({ trace: bailian }));
    expect(b.trace?.loaded).toMatchObject({ blockTokens: 16, trace: { format: "bailian" } });
    expect((await withTrace(opts({ trace: file, duration: "2s" }))).requests).toBeUndefined();
  });

  test("more --requests than the trace has, or hash_ids that do not fit --block-tokens: exit 2 with the fix", async () => {
    await expect(withTrace(opts({ trace: file, requests: "5" }))).rejects.toThrow(
      `--requests 5, but ${file} has 4 requests`,
    );
    // Bailian's 3 ids of 16 tokens read as 512-token blocks: 40 tokens leave room for 1
    await expect(withTrace(opts({ trace: bailian, "block-tokens": "512" }))).rejects.toThrow(
      `${bailian}:1: 3 hash_ids for input_length 40, but --block-tokens 512 leaves room for 1`,
    );
  });
});

describe("run --trace: replay", () => {
  test("each request leaves at its timestamp ÷ --trace-speed, with its own length, max_tokens and shared blocks; lateness is reported", async () => {
    const trace = [
      { timestamp: 1000, input_length: 40, output_length: 3, hash_ids: [1, 2, 3] },
      { timestamp: 1000, input_length: 37, output_length: 5, hash_ids: [1, 2, 4] },
      { timestamp: 1120, input_length: 20, output_length: 2, hash_ids: [5] },
      { timestamp: 1300, input_length: 48, output_length: 4, hash_ids: [1, 2, 3] },
      { timestamp: 1300, input_length: 16, output_length: 1, hash_ids: [5] },
    ];
    const file = join(dir, "paced.jsonl");
    writeFileSync(file, trace.map(line).join("\n"));
    const bodies: Array<{ prompt: string; max_tokens: number; ignore_eos?: boolean }> = [];
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req) {
        const body = (await req.json()) as { prompt: string; max_tokens: number; ignore_eos?: boolean };
        bodies.push(body);
        return sseStream(
          [
            `data: {"choices":[{"index":0,"text":" a"}]}\n\n`,
            `data: {"choices":[{"index":0,"text":" b","finish_reason":"length"}],"usage":{"prompt_tokens":${body.prompt.split(" ").length},"completion_tokens":2}}\n\n`,
            "data: [DONE]\n\n",
          ],
          1,
        );
      },
    });
    try {
      const opts = await withTrace(
        runOptions(`http://127.0.0.1:${server.port}/v1/completions`, {
          model: "m",
          trace: file,
          "trace-speed": "2",
          "block-tokens": "16",
          tokenizer: "whitespace",
        }),
      );
      expect(opts.requests).toBe(5);
      const { doc, records } = await runBenchmark(opts);
      expect(doc.summary.requests).toMatchObject({ sent: 5, succeeded: 5 });
      // due times: the trace's gaps halved, exactly; nothing leaves before it is due
      const t0 = records[0].tSched!;
      expect(records.map((r) => Math.round((r.tSched! - t0) * 1e6) / 1e6)).toEqual([0, 0, 60, 150, 150]);
      for (const r of records) expect(r.tSend).toBeGreaterThanOrEqual(r.tSched!);
      expect(records.map((r) => r.promptTokensCounted)).toEqual([40, 37, 20, 48, 16]);
      expect(records.map((r) => r.reusableTokens)).toEqual([0, 32, 0, 40, 16]);
      // the server saw each request's own length and max_tokens (ignore_eos: output_length is honoured)
      const seen = trace.map((t) => bodies.find((b) => b.max_tokens === t.output_length)!);
      expect(seen.map((b) => b.prompt.split(" ").length)).toEqual([40, 37, 20, 48, 16]);
      expect(seen.every((b) => b.ignore_eos === true)).toBe(true);
      const w = seen.map((b) => b.prompt.split(" "));
      expect(w[1].slice(0, 32)).toEqual(w[0].slice(0, 32));
      expect(w[1].slice(32)).not.toEqual(w[0].slice(32, 37));
      expect(w[3].slice(0, 40)).toEqual(w[0]);
      expect(w[4]).toEqual(w[2].slice(0, 16));
      expect(w[2].slice(0, 16)).not.toEqual(w[0].slice(0, 16));
      // lateness against the trace: send lag, with its p99, in the result and the report
      expect(doc.summary.send_lag_ms?.count).toBe(5);
      expect(doc.summary.send_lag_ms?.p99).toBeGreaterThanOrEqual(0);
      expect(renderReport(doc)).toContain("send lag");
      // the file named by its contents too: compare tells traces apart by them
      const sha256 = new Bun.CryptoHasher("sha256").update(readFileSync(file)).digest("hex");
      expect(doc.config.trace).toEqual({ file, speed: 2, block_tokens: 16, format: "mooncake", sha256 });
    } finally {
      server.stop(true);
    }
  });

  test("--duration replays the requests due within it; --warmup sends synthetic prompts first, which share nothing with the trace", async () => {
    const file = join(dir, "timed.jsonl");
    writeFileSync(
      file,
      [0, 100, 3000].map((t) => line({ timestamp: t, input_length: 8, output_length: 2, hash_ids: [0] })).join("\n"),
    );
    const prompts: string[] = [];
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req) {
        prompts.push(((await req.json()) as { prompt: string }).prompt);
        return Response.json({
          choices: [{ index: 0, text: " a b", finish_reason: "length" }],
          usage: { prompt_tokens: 8, completion_tokens: 2 },
        });
      },
    });
    try {
      const { doc, records } = await runBenchmark(
        runOptions(`http://127.0.0.1:${server.port}/v1/completions`, {
          model: "m",
          trace: file,
          duration: "1s",
          warmup: "2",
          "block-tokens": "8",
          tokenizer: "whitespace",
          "no-stream": true,
        }),
      );
      expect(records.map((r) => r.phase)).toEqual(["warmup", "warmup", "measured", "measured"]);
      expect(doc.summary.requests.sent).toBe(2);
      // the two replayed requests are block 0 alone: the second's 8 tokens were all sent before
      expect(records.filter((r) => r.phase === "measured").map((r) => r.reusableTokens)).toEqual([0, 8]);
      expect(prompts[2]).toBe(prompts[3]);
      // warm-up: synthetic prompts with their tag, none of the trace's text
      expect(prompts[0]).toContain("[llmbench 1-0]");
      expect(prompts[0].includes(prompts[2])).toBe(false);
    } finally {
      server.stop(true);
    }
  });

  test("--concurrency caps a replay: requests due together wait for a slot, and the note says the cap held them back", async () => {
    const file = join(dir, "burst.jsonl");
    writeFileSync(file, [0, 0, 0, 0].map((t) => line({ timestamp: t, input_length: 8, output_length: 2 })).join("\n"));
    let inFlight = 0;
    let most = 0;
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch() {
        most = Math.max(most, ++inFlight);
        await Bun.sleep(80);
        inFlight--;
        return Response.json({
          choices: [{ index: 0, text: " a b", finish_reason: "length" }],
          usage: { prompt_tokens: 8, completion_tokens: 2 },
        });
      },
    });
    try {
      const { doc, records } = await runBenchmark(
        runOptions(`http://127.0.0.1:${server.port}/v1/completions`, {
          model: "m",
          trace: file,
          concurrency: "1",
          "no-stream": true,
        }),
      );
      expect(most).toBe(1);
      // all four were due at once: the k-th waited for k answers of at least 80 ms each
      const lags = records.map((r) => r.tSend - r.tSched!).sort((a, b) => a - b);
      lags.forEach((lag, k) => expect(lag).toBeGreaterThanOrEqual(k * 80 - 1));
      expect(
        doc.notes.some((n) => n.startsWith("the replay fell behind the trace") && n.includes("--concurrency 1 cap")),
      ).toBe(true);
    } finally {
      server.stop(true);
    }
  });

  test("the shipped trace against serve --prefix-cache: the cached share is within 2 points of what its hash_ids imply for the cache's size", async () => {
    const path = join(import.meta.dir, "../../examples/traces/synthetic.jsonl");
    const entries = parseTrace(readFileSync(path, "utf8"), path).entries;
    const SERVER_BLOCK = 16;
    const TRACE_BLOCK = 512;
    const CAPACITY = 2000; // server blocks: ~62 of the trace's 512-token blocks, far fewer than it has
    // the expectation, simulated here: the server's blocks of 16 words keyed by their prefix (the trace's
    // ids up to their block, and the place in it), LRU, one token always left to compute. `events`: each
    // request's arrival (lookup, then its prompt's blocks stored) and, where given, its finish (the
    // server stores the prompt's and the answer's blocks then; the answer's are the request's own)
    const prompt = entries.reduce((a, e) => a + e.inputLength, 0);
    const keysOf = (i: number) =>
      Array.from({ length: Math.floor(entries[i].inputLength / SERVER_BLOCK) }, (_, j) => {
        const b = Math.floor((j * SERVER_BLOCK) / TRACE_BLOCK);
        return b < entries[i].hashIds.length ? `${entries[i].hashIds.slice(0, b + 1).join(",")}#${j}` : `own${i}#${j}`;
      });
    const simulate = (events: ReadonlyArray<{ i: number; answer?: number }>) => {
      const lru = new Map<string, true>();
      const store = (keys: string[]) => {
        for (let j = keys.length - 1; j >= 0; j--) {
          lru.delete(keys[j]);
          lru.set(keys[j], true);
        }
        for (const k of lru.keys()) {
          if (lru.size <= CAPACITY) break;
          lru.delete(k);
        }
      };
      let cached = 0;
      for (const { i, answer } of events) {
        const keys = keysOf(i);
        if (answer !== undefined) {
          const all = Math.floor((entries[i].inputLength + answer) / SERVER_BLOCK);
          store([...keys, ...Array.from({ length: all - keys.length }, (_, j) => `answer${i}#${j}`)]);
          continue;
        }
        let hit = 0;
        while (hit < keys.length && lru.has(keys[hit])) hit++;
        cached += Math.min(hit, Math.floor((entries[i].inputLength - 1) / SERVER_BLOCK)) * SERVER_BLOCK;
        store(keys);
      }
      return cached / prompt;
    };
    // what the trace implies for this cache: its requests in the trace's order, each prompt looked up and
    // stored, then its answer's blocks (output_length tokens, all the server generates) stored after it
    const expected = simulate(entries.flatMap((e, i) => [{ i }, { i, answer: e.outputLength }]));

    const server = await startServer({
      prefixCache: true,
      prefixBlockTokens: SERVER_BLOCK,
      prefixCacheBlocks: CAPACITY,
      cacheSize: 0,
      prefillMsPerToken: 0,
      decodeStepMs: 0.5,
      batchWindowMs: 0,
    });
    try {
      const opts = await withTrace(runOptions(`${server.url}/v1/completions`, { trace: path, "trace-speed": "20" }));
      const { doc, records } = await runBenchmark(opts);
      expect(doc.summary.requests).toMatchObject({ sent: entries.length, succeeded: entries.length });
      // the run's own figures: the cached share the server reported, beside the share the trace offered
      const pc = doc.summary.prefix_cache!;
      expect(pc.prompt_tokens).toBe(prompt);
      expect(pc.reported).toBe(entries.length);
      const reported = pc.cached_share!;
      const offered = pc.reusable_share!;
      // what the server counted itself, and what the client read: the same tokens
      expect(server.stats().prefix_hit_tokens).toBe(pc.cached_tokens);
      expect(server.stats().prefix_evicted_blocks).toBeGreaterThan(0);
      expect(Math.abs(reported - expected)).toBeLessThanOrEqual(0.02);
      // the same LRU in the order this run's requests were sent and finished (the server stores answers at the
      // finish, while later requests arrive): what is left is only events a moment apart, seen in either order
      const measured = records.filter((r) => r.phase === "measured");
      const events = measured
        .flatMap((r, i) => [
          { t: r.tSend, i },
          { t: r.tEnd!, i, answer: r.usage!.completionTokens! },
        ])
        .sort((a, b) => a.t - b.t);
      const timed = simulate(events);
      expect(Math.abs(reported - timed)).toBeLessThanOrEqual(0.02);
      // the workload offered more than a cache this small could keep; with room enough it would have kept it
      expect(pc.reusable_tokens).toBe(records.reduce((a, r) => a + (r.reusableTokens ?? 0), 0));
      expect(offered).toBeGreaterThan(expected + 0.05);
      expect(doc.summary.send_lag_ms?.count).toBe(entries.length);
      expect(renderReport(doc)).toMatch(/send lag\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+/);
      console.log(
        `trace replay: offered ${(offered * 100).toFixed(1)}% reusable, expected ${(expected * 100).toFixed(2)}% cached at ${CAPACITY} blocks (${(timed * 100).toFixed(2)}% in this run's order, answers stored), server reported ${(reported * 100).toFixed(2)}%; send lag p99 ${doc.summary.send_lag_ms?.p99.toFixed(2)} ms`,
      );
    } finally {
      await server.stop();
    }
  }, 60_000);

  test("with room for every block, the server caches exactly the tokens the trace offered as reusable", async () => {
    const path = join(import.meta.dir, "../../examples/traces/synthetic.jsonl");
    const server = await startServer({
      prefixCache: true,
      prefixBlockTokens: 16,
      prefixCacheBlocks: 1_000_000,
      cacheSize: 0,
      prefillMsPerToken: 0,
      decodeStepMs: 0.5,
      batchWindowMs: 0,
    });
    try {
      const { doc } = await runBenchmark(
        await withTrace(runOptions(`${server.url}/generate`, { trace: path, "trace-speed": "20", requests: "120" })),
      );
      const pc = doc.summary.prefix_cache!;
      expect(doc.summary.requests.succeeded).toBe(120);
      // the shipped trace's shared blocks are whole 512-token blocks, 32 of the server's each, and every
      // prompt ends in a block of its own: the reusable prefix is exactly what a big enough cache serves
      expect(pc.reusable_tokens).toBeGreaterThan(0);
      expect(pc.cached_tokens).toBe(pc.reusable_tokens);
      expect(server.stats().prefix_evicted_blocks).toBe(0);
    } finally {
      await server.stop();
    }
  }, 60_000);
});
