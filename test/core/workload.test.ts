import { describe, expect, test } from "bun:test";
import { UsageError } from "../../src/core/errors.ts";
import { countTokens, loadTokenizer } from "../../src/core/tokenizer.ts";
import { fileWorkload, parseLength, parsePromptsFile, syntheticWorkload } from "../../src/core/workload.ts";

await loadTokenizer("o200k");
const ws = (t: string) => countTokens(t, "whitespace");
const bpe = (t: string) => countTokens(t, "o200k");

describe("synthetic prompts", () => {
  test.each([
    ["whitespace", ws, 32],
    ["whitespace", ws, 512],
    ["o200k", bpe, 64],
    ["o200k", bpe, 512],
    ["o200k", bpe, 2048],
  ] as const)("%s: --input-tokens %d is met within 5%% on every prompt", (_, count, target) => {
    const w = syntheticWorkload({ seed: 3, inputTokens: { mean: target, stdev: 0 }, prefixTokens: 0, count });
    for (let id = 0; id < 20; id++) {
      const n = count(w.prompt(id).text);
      expect(Math.abs(n - target) / target).toBeLessThanOrEqual(0.05);
    }
  });

  test("a synthetic prompt carries its own count (not counted again when it is sent): exactly the tokenizer's", () => {
    let calls = 0;
    const counting = (t: string) => {
      calls++;
      return bpe(t);
    };
    const w = syntheticWorkload({ seed: 5, inputTokens: { mean: 300, stdev: 120 }, prefixTokens: 40, count: counting });
    for (let id = 0; id < 40; id++) {
      const item = w.prompt(id);
      expect(item.tokens).toBe(bpe(item.text));
    }
    // words that add up are not counted: only the prompt's head (prefix and tag) is
    const before = calls;
    w.prompt(40);
    expect(calls - before).toBe(1);
  });

  test.each(["whitespace", "o200k", "cl100k"] as const)(
    "%s: every prompt is exactly --input-tokens long, and says so",
    async (name) => {
      await loadTokenizer(name);
      const count = (t: string) => countTokens(t, name);
      for (const prefixTokens of [0, 30]) {
        const w = syntheticWorkload({
          seed: 8,
          inputTokens: { mean: 120, stdev: 40 },
          prefixTokens,
          count,
          salt: "-s",
        });
        const exact = syntheticWorkload({ seed: 8, inputTokens: { mean: 77, stdev: 0 }, prefixTokens, count });
        for (let id = 0; id < 60; id++) {
          const item = w.prompt(id);
          expect(item.tokens).toBe(count(item.text));
          expect(exact.prompt(id).tokens).toBe(77);
          expect(count(exact.prompt(id).text)).toBe(77);
        }
      }
    },
  );

  test("a tokenizer whose words do not add up (one token per 3 characters): each prompt is counted as it is filled, and still meets the length", () => {
    let calls = 0;
    const chars = (t: string) => {
      calls++;
      return Math.ceil(t.length / 3);
    };
    const w = syntheticWorkload({ seed: 2, inputTokens: { mean: 200, stdev: 0 }, prefixTokens: 0, count: chars });
    for (let id = 0; id < 20; id++) {
      const item = w.prompt(id);
      expect(item.tokens).toBe(Math.ceil(item.text.length / 3));
      expect(Math.abs(item.tokens! - 200) / 200).toBeLessThanOrEqual(0.05);
    }
    const before = calls;
    w.prompt(20);
    expect(calls - before).toBeGreaterThan(2); // the head, then the text at each step
  });

  test("the same seed gives the same prompts; another seed, others; ids are distinct", () => {
    const make = (seed: number) =>
      syntheticWorkload({ seed, inputTokens: { mean: 40, stdev: 0 }, prefixTokens: 0, count: ws });
    expect(make(1).prompt(5)).toEqual(make(1).prompt(5));
    expect(make(1).prompt(5).text).not.toBe(make(2).prompt(5).text);
    expect(make(1).prompt(5).text).not.toBe(make(1).prompt(6).text);
  });

  test("a shared prefix: every prompt starts with the same text of the asked length", () => {
    const w = syntheticWorkload({ seed: 9, inputTokens: { mean: 300, stdev: 0 }, prefixTokens: 200, count: ws });
    const a = w.prompt(0).text.split(" ");
    const b = w.prompt(1).text.split(" ");
    expect(a.slice(0, 200)).toEqual(b.slice(0, 200));
    expect(a[201]).not.toBe(b[201]); // the unique tag "[llmbench SEED-ID]" follows the prefix
    expect(a.length).toBe(300);
  });

  test("mean:stdev lengths: seeded, with about that mean and spread, and independent of the order asked", () => {
    const w = syntheticWorkload({ seed: 4, inputTokens: { mean: 200, stdev: 50 }, prefixTokens: 0, count: ws });
    const lengths = Array.from({ length: 400 }, (_, i) => ws(w.prompt(i).text));
    const mean = lengths.reduce((a, x) => a + x, 0) / lengths.length;
    const sd = Math.sqrt(lengths.reduce((a, x) => a + (x - mean) ** 2, 0) / (lengths.length - 1));
    expect(Math.abs(mean - 200)).toBeLessThan(10);
    expect(Math.abs(sd - 50)).toBeLessThan(8);
    const w2 = syntheticWorkload({ seed: 4, inputTokens: { mean: 200, stdev: 50 }, prefixTokens: 0, count: ws });
    expect(w2.prompt(399).text).toBe(w.prompt(399).text);
  });

  test("parseLength", () => {
    expect(parseLength("input-tokens", "512")).toEqual({ mean: 512, stdev: 0 });
    expect(parseLength("input-tokens", "512:128")).toEqual({ mean: 512, stdev: 128 });
    expect(() => parseLength("input-tokens", "0")).toThrow(UsageError);
    expect(() => parseLength("input-tokens", "big")).toThrow("--input-tokens must be a token count or mean:stdev");
  });
});

describe("prompts files", () => {
  test("JSONL with prompt and with chat messages; blank lines skipped", () => {
    const items = parsePromptsFile(
      '{"prompt": "one"}\n\n{"messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "two"}]}\r\n',
      "p.jsonl",
    );
    expect(items).toEqual([
      { text: "one" },
      {
        text: "be brief\ntwo",
        messages: [
          { role: "system", content: "be brief" },
          { role: "user", content: "two" },
        ],
      },
    ]);
  });

  test("ShareGPT JSON: the first human turn of each conversation", () => {
    const data = [
      {
        id: "a",
        conversations: [
          { from: "human", value: "hello" },
          { from: "gpt", value: "hi" },
        ],
      },
      { id: "b", conversations: [{ from: "gpt", value: "only a reply" }] },
      {
        id: "c",
        conversations: [
          { from: "system", value: "s" },
          { from: "human", value: "third" },
        ],
      },
    ];
    expect(parsePromptsFile(JSON.stringify(data), "sg.json").map((i) => i.text)).toEqual(["hello", "third"]);
  });

  test.each([
    ['{"prompt": "ok"}\n{"prompt": 5}\n', 'p.jsonl:2: needs a string "prompt"'],
    ['{"prompt": "ok"}\n\n{bad json\n', "p.jsonl:3: not valid JSON"],
    ['{"messages": []}\n', 'p.jsonl:1: "messages" must be a non-empty array'],
    ['{"messages": [{"role": "user"}]}\n', "p.jsonl:1: messages[0] needs string"],
    ["\n\n", "p.jsonl: no prompt found"],
    ['[{"conversations": 3}]', 'p.jsonl: entry 1 has no "conversations" array'],
    ['[{"oops"', "p.jsonl: not valid JSON"],
  ])("rejects a malformed file with where: %j", (text, message) => {
    expect(() => parsePromptsFile(text, "p.jsonl")).toThrow(message);
  });

  test("file order is shuffled with the seed, every prompt used before any comes round again", () => {
    const items = Array.from({ length: 10 }, (_, i) => ({ text: `p${i}` }));
    const w = fileWorkload(items, "f", 5);
    const first = Array.from({ length: 10 }, (_, i) => w.prompt(i).text);
    expect(new Set(first).size).toBe(10);
    expect(first).not.toEqual(items.map((i) => i.text));
    expect(w.prompt(10)).toEqual(w.prompt(0));
    expect(fileWorkload(items, "f", 5).prompt(3)).toEqual(w.prompt(3));
  });
});
