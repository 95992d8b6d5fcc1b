import { describe, expect, test } from "bun:test";
import { UsageError } from "../../src/core/errors.ts";
import { countTokens, loadTokenizer } from "../../src/core/tokenizer.ts";
import {
  blockSizes,
  checkBlocks,
  parseTrace,
  reusableTokens,
  tracePrompts,
  type TraceEntry,
} from "../../src/core/trace.ts";

await loadTokenizer("o200k");
const ws = (t: string) => countTokens(t, "whitespace");
const bpe = (t: string) => countTokens(t, "o200k");

const line = (o: Record<string, unknown>) => JSON.stringify(o);
const entry = (inputLength: number, hashIds: number[], atMs = 0): TraceEntry => ({
  line: 0,
  atMs,
  inputLength,
  outputLength: 1,
  hashIds,
});

describe("parseTrace", () => {
  test("Mooncake lines: ms from the earliest request, in the order due (ties keep the file's order)", () => {
    const text = [
      line({ timestamp: 1500, input_length: 10, output_length: 3, hash_ids: [1] }),
      "",
      line({ timestamp: 1000, input_length: 20, output_length: 4, hash_ids: [0, 1] }),
      line({ timestamp: 1500, input_length: 30, output_length: 5 }),
    ].join("\n");
    const t = parseTrace(text, "t.jsonl");
    expect(t.format).toBe("mooncake");
    expect(t.entries).toEqual([
      { line: 3, atMs: 0, inputLength: 20, outputLength: 4, hashIds: [0, 1] },
      { line: 1, atMs: 500, inputLength: 10, outputLength: 3, hashIds: [1] },
      { line: 4, atMs: 500, inputLength: 30, outputLength: 5, hashIds: [] },
    ]);
  });

  test("Bailian lines (chat_id): timestamps in seconds, the other fields ignored", () => {
    const text = [
      line({
        chat_id: 159,
        parent_chat_id: -1,
        timestamp: 61.114,
        input_length: 521,
        output_length: 132,
        type: "text",
        turn: 1,
        hash_ids: [7, 8],
      }),
      line({
        chat_id: 160,
        parent_chat_id: 159,
        timestamp: 62.5,
        input_length: 400,
        output_length: 80,
        type: "text",
        turn: 2,
      }),
    ].join("\r\n");
    const t = parseTrace(text, "b.jsonl");
    expect(t.format).toBe("bailian");
    expect(t.entries.map((e) => e.atMs)).toEqual([0, 62.5 * 1000 - 61.114 * 1000]);
    expect(t.entries[0].hashIds).toEqual([7, 8]);
  });

  test.each([
    ["{nope", "t.jsonl:2: not valid JSON: {nope"],
    ["[1, 2]", "t.jsonl:2: not a JSON object"],
    [
      line({ input_length: 5, output_length: 1 }),
      `t.jsonl:2: "timestamp" must be a number from 0 to 31536000000 (ms from the trace's start, a year at most), got nothing`,
    ],
    [line({ timestamp: -1, input_length: 5, output_length: 1 }), `t.jsonl:2: "timestamp" must be a number from 0`],
    [
      line({ timestamp: 1e12, input_length: 5, output_length: 1 }),
      `t.jsonl:2: "timestamp" must be a number from 0 to 31536000000`,
    ],
    [
      line({ timestamp: 0, input_length: 0, output_length: 1 }),
      `t.jsonl:2: "input_length" must be an integer from 1 to 10,000,000 (prompt tokens), got 0`,
    ],
    [line({ timestamp: 0, input_length: 2.5, output_length: 1 }), `"input_length" must be an integer from 1`],
    [
      line({ timestamp: 0, input_length: 1e20, output_length: 1 }),
      `t.jsonl:2: "input_length" must be an integer from 1 to 10,000,000 (prompt tokens), got 100000000000000000000`,
    ],
    [
      line({ timestamp: 0, input_length: 5, output_length: "9" }),
      `t.jsonl:2: "output_length" must be an integer from 1 to 10,000,000 (tokens to generate), got "9"`,
    ],
    [
      line({ timestamp: 0, input_length: 5, output_length: 1, hash_ids: 3 }),
      `t.jsonl:2: "hash_ids" must be an array of integers, got 3`,
    ],
    [
      line({ timestamp: 0, input_length: 5, output_length: 1, hash_ids: [1, "a"] }),
      `t.jsonl:2: hash_ids[1] must be an integer from 0 to 2^53 − 1, got "a"`,
    ],
    [
      '{"timestamp": 0, "input_length": 5, "output_length": 1, "hash_ids": [9007199254740993]}',
      "t.jsonl:2: hash_ids[0] must be an integer from 0 to 2^53 − 1, got 9007199254740992",
    ],
    [
      line({ timestamp: 0, input_length: 5, output_length: 1, hash_ids: [-1] }),
      "t.jsonl:2: hash_ids[0] must be an integer from 0 to 2^53 − 1, got -1",
    ],
    [
      line({ chat_id: 1, timestamp: 0, input_length: 5, output_length: 1 }),
      "t.jsonl:2: a Bailian line (it has chat_id) in a mooncake trace (line 1 set the format)",
    ],
  ])("a bad line names its number and the fix: %s", (bad, message) => {
    const text = `${line({ timestamp: 0, input_length: 5, output_length: 1 })}\n${bad}\n`;
    let err: unknown;
    try {
      parseTrace(text, "t.jsonl");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toContain(message);
    expect((err as UsageError).message).not.toContain("\n");
    expect((err as UsageError).hint).toBeTruthy();
  });

  test("an empty file is refused", () => {
    expect(() => parseTrace("\n\n", "e.jsonl")).toThrow("e.jsonl: no request in the trace");
  });

  test("more hash_ids than the prompt has room for at --block-tokens: refused, naming the line and a block size that fits", () => {
    const t = parseTrace(
      [
        line({ timestamp: 0, input_length: 1024, output_length: 1, hash_ids: [0, 1] }),
        line({ timestamp: 1, input_length: 100, output_length: 1, hash_ids: [0, 1, 2, 3, 4, 5, 6] }),
      ].join("\n"),
      "t.jsonl",
    );
    expect(() => checkBlocks(t, 16, "t.jsonl")).not.toThrow();
    expect(() => checkBlocks(t, 17, "t.jsonl")).toThrow(
      "t.jsonl:2: 7 hash_ids for input_length 100, but --block-tokens 17 leaves room for 6",
    );
    expect(() => checkBlocks(t, 512, "t.jsonl")).toThrow(
      "t.jsonl:2: 7 hash_ids for input_length 100, but --block-tokens 512 leaves room for 1",
    );
    try {
      checkBlocks(t, 512, "t.jsonl");
    } catch (e) {
      // ceil(100 / 16) = 7 ids fit, ceil(100 / 17) = 6 do not; line 1 (2 ids for 1024) allows up to 1023
      expect((e as UsageError).hint).toContain("at most --block-tokens 16 fits every line");
    }
  });
});

describe("blocks and reusable tokens", () => {
  test("blockSizes: full blocks, the last cut to the prompt; ids past the prompt get nothing", () => {
    expect(blockSizes(1000, 2, 512)).toEqual([512, 488]);
    expect(blockSizes(1024, 2, 512)).toEqual([512, 512]);
    expect(blockSizes(1200, 2, 512)).toEqual([512, 512]);
    expect(blockSizes(10, 3, 4)).toEqual([4, 4, 2]);
  });

  test("the leading blocks an earlier request sent, in order from the start", () => {
    const B = 4;
    const got = reusableTokens(
      [
        entry(10, [1, 2, 3]), // first: nothing before it → 0
        entry(12, [1, 2, 9]), // 1, 2 seen → 8
        entry(16, [1, 2, 3, 4]), // 1, 2 full; 3 was sent with 2 tokens only → 4 + 4 + 2, then the prefix ends
        entry(8, [5, 1]), // 5 new → 0 (1 after 5 is another prefix)
        entry(4, [2]), // 2 at the start was never sent at the start → 0
        entry(12, [1, 2, 3]), // 3 has been sent in full (request 3) → 12
        entry(20, [1, 2]), // ids cover 8 tokens; its own words after them are new → 8
        entry(6, [5, 1]), // 5 full (4), then 1-after-5 was sent with 4 → 4 + 2
      ],
      B,
    );
    expect(got).toEqual([0, 8, 10, 0, 0, 12, 8, 6]);
  });
});

describe("tracePrompts", () => {
  const text = [
    line({ timestamp: 0, input_length: 40, output_length: 7, hash_ids: [10, 11, 12] }),
    line({ timestamp: 250, input_length: 37, output_length: 3, hash_ids: [10, 11, 13] }),
    line({ timestamp: 400, input_length: 50, output_length: 9, hash_ids: [20] }),
    line({ timestamp: 900, input_length: 16, output_length: 1, hash_ids: [10] }),
  ].join("\n");
  const trace = parseTrace(text, "t.jsonl");

  test.each([
    ["whitespace", ws],
    ["o200k", bpe],
  ] as const)(
    "%s: every prompt is exactly input_length tokens, max_tokens is output_length, and it says so",
    (_, count) => {
      const p = tracePrompts(trace, { seed: 4, blockTokens: 16, count });
      expect(p.size).toBe(4);
      for (let i = 0; i < p.size; i++) {
        const r = p.request(i);
        expect(count(r.text)).toBe(trace.entries[i].inputLength);
        expect(r.tokens).toBe(trace.entries[i].inputLength);
        expect(r.maxTokens).toBe(trace.entries[i].outputLength);
        expect(r.atMs).toBe(trace.entries[i].atMs);
      }
      expect([0, 1, 2, 3].map((i) => p.request(i).reusableTokens)).toEqual([0, 32, 0, 16]);
    },
  );

  test("a shared hash id is the same text wherever it appears; the seed changes it; other ids differ", () => {
    const p = tracePrompts(trace, { seed: 4, blockTokens: 16, count: ws });
    const w = (i: number) => p.request(i).text.split(" ");
    // ids 10, 11 lead requests 0 and 1: their first 32 words are the same; block 12 vs 13 differ
    expect(w(1).slice(0, 32)).toEqual(w(0).slice(0, 32));
    expect(w(1).slice(32)).not.toEqual(w(0).slice(32, 37));
    expect(w(3)).toEqual(w(0).slice(0, 16));
    expect(w(2).slice(0, 16)).not.toEqual(w(0).slice(0, 16));
    // a block past its ids: the prompt's own words (50 tokens, one id of 16)
    expect(w(2)).toHaveLength(50);
    const other = tracePrompts(trace, { seed: 5, blockTokens: 16, count: ws });
    expect(other.request(0).text).not.toBe(p.request(0).text);
    expect(tracePrompts(trace, { seed: 4, blockTokens: 16, count: ws }).request(1).text).toBe(p.request(1).text);
  });

  test("the last block cut short is the start of the same block in full", () => {
    const p = tracePrompts(trace, { seed: 9, blockTokens: 16, count: ws });
    // request 1: 37 tokens = 16 + 16 + 5 of block 13; request 0: 40 = 16 + 16 + 8 of block 12
    expect(p.request(1).text.split(" ")).toHaveLength(37);
    const t = parseTrace(
      [
        line({ timestamp: 0, input_length: 20, output_length: 1, hash_ids: [1, 2] }),
        line({ timestamp: 1, input_length: 32, output_length: 1, hash_ids: [1, 2] }),
      ].join("\n"),
      "t",
    );
    const q = tracePrompts(t, { seed: 9, blockTokens: 16, count: ws });
    expect(q.request(1).text.startsWith(q.request(0).text)).toBe(true);
    expect(q.request(1).reusableTokens).toBe(20);
  });

  test("a tokenizer whose filler words do not add up: cut by counting, never past input_length", () => {
    // four characters a token: words of the filler are not one token each
    const chars = (t: string) => Math.ceil(t.length / 4);
    const p = tracePrompts(trace, { seed: 4, blockTokens: 16, count: chars });
    for (let i = 0; i < p.size; i++) {
      const r = p.request(i);
      expect(r.tokens).toBe(chars(r.text));
      expect(r.tokens).toBeLessThanOrEqual(trace.entries[i].inputLength);
      expect(r.tokens).toBeGreaterThanOrEqual(trace.entries[i].inputLength - 2);
    }
  });
});

describe("the shipped trace", () => {
  test("examples/traces/synthetic.jsonl is what scripts/gen-trace.ts makes from its seed, and parses", async () => {
    const { TRACE_PATH, traceText } = await import("../../scripts/gen-trace.ts");
    const text = await Bun.file(TRACE_PATH).text();
    expect(text).toBe(traceText());
    const t = parseTrace(text, TRACE_PATH);
    expect(t.entries).toHaveLength(300);
    expect(() => checkBlocks(t, 512, TRACE_PATH)).not.toThrow();
    // what it is for: shared prefixes (system prompts, conversations) and bursts
    const reusable = reusableTokens(t.entries, 512);
    const share = reusable.reduce((a, b) => a + b, 0) / t.entries.reduce((a, e) => a + e.inputLength, 0);
    expect(share).toBeGreaterThan(0.3);
    expect(reusable.filter((r) => r === 0).length).toBeGreaterThan(10);
  });
});
