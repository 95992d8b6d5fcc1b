import { describe, expect, test } from "bun:test";
import { parseRunOptions, publicConfig } from "../../src/core/options.ts";
import { argv, usageError } from "./helpers.ts";

const parse = (args: Record<string, string | boolean>) =>
  parseRunOptions(argv({ endpoint: "http://127.0.0.1:1/v1/completions", model: "m", ...args }), {}, () => 7);

describe("run --trace: options", () => {
  test("what a trace sets: every request of it, no warm-up, no repeats, uncapped, ignore_eos; speed and block size", () => {
    const o = parse({ trace: "t.jsonl" });
    expect(o.trace).toEqual({ file: "t.jsonl", speed: 1, blockTokens: undefined });
    expect([o.requests, o.warmup, o.repeatRatio, o.concurrency, o.ignoreEos, o.rate]).toEqual([
      undefined,
      0,
      0,
      Number.POSITIVE_INFINITY,
      true,
      undefined,
    ]);
    const p = parse({
      trace: "t.jsonl",
      "trace-speed": "2.5",
      "block-tokens": "16",
      requests: "20",
      warmup: "3",
      concurrency: "8",
      "ignore-eos": false,
      "latency-from": "due",
    });
    expect(p.trace).toEqual({ file: "t.jsonl", speed: 2.5, blockTokens: 16 });
    expect([p.requests, p.warmup, p.concurrency, p.ignoreEos, p.latencyFrom]).toEqual([20, 3, 8, false, "due"]);
    expect(publicConfig(p).trace).toEqual({ file: "t.jsonl", speed: 2.5, block_tokens: 16, format: null });
    expect(publicConfig(parse({})).trace).toBeUndefined();
  });

  test.each([
    [{ rate: "5" }, "--trace and --rate: the trace says when each request leaves"],
    [{ burstiness: "0.5" }, "--trace and --burstiness"],
    [{ "ramp-up": "5s" }, "--trace and --ramp-up"],
    [{ "input-tokens": "100" }, "--trace and --input-tokens: each prompt is the trace's input_length long"],
    [{ "prefix-tokens": "10" }, "--trace and --prefix-tokens"],
    [{ "repeat-ratio": "0" }, "--trace and --repeat-ratio: the trace's hash_ids say what prompts share"],
    [{ "max-tokens": "10" }, "--trace and --max-tokens: each request asks for the trace's output_length"],
    [{ workers: "2" }, "--trace and --workers"],
    [{ shard: "0/2", seed: "1" }, "--trace and --shard"],
    [{ concurrency: "1,2,4" }, "--trace and a --concurrency sweep"],
    [{ sessions: "s.jsonl" }, "--trace and --sessions"],
    [{ turns: "3" }, "--trace and --turns"],
    [{ "trace-speed": "0" }, "--trace-speed must be > 0"],
    [{ "block-tokens": "0" }, "--block-tokens must be ≥ 1"],
  ])("refused with --trace: %o", (extra, message) => {
    const e = usageError(() => parse({ trace: "t.jsonl", ...(extra as Record<string, string>) }));
    expect(e.message).toContain(message);
    expect(e.hint).toBeTruthy();
  });

  test("--prompts with --trace is refused; --trace-speed and --block-tokens need --trace", () => {
    expect(usageError(() => parse({ trace: "t.jsonl", prompts: "p.jsonl" })).message).toContain(
      "--trace and --prompts",
    );
    expect(usageError(() => parse({ "trace-speed": "2" })).message).toBe("--trace-speed belongs to trace replay");
    expect(usageError(() => parse({ "block-tokens": "16" })).message).toBe("--block-tokens belongs to trace replay");
  });
});
