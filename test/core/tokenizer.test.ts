import { beforeAll, describe, expect, test } from "bun:test";
import {
  countTokens,
  countWhitespaceTokens,
  isTokenizerLoaded,
  isTokenizerName,
  loadTokenizer,
  TOKENIZERS,
} from "../../src/core/tokenizer.ts";

describe("tokenizer: whitespace", () => {
  test("counts maximal runs of non-whitespace characters", () => {
    const cases: [string, number][] = [
      ["", 0],
      ["   \n\t ", 0],
      ["one", 1],
      ["one two three", 3],
      ["  one   two\n\nthree\t", 3],
      ["a,b c.d", 2],
      ["über straße 中文 😀 👨‍👩‍👧", 5],
      ["a\u00A0b\u2028c\u2029d\u3000e\uFEFFf", 6], // NBSP, line/paragraph separators, ideographic space, BOM are whitespace
      ["a\u200Bb", 1], // zero-width space is not whitespace
      ["w0 w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11", 12],
    ];
    for (const [text, n] of cases) {
      expect([text, countTokens(text, "whitespace")]).toEqual([text, n]);
      expect(countWhitespaceTokens(text)).toBe(n);
    }
  });

  test("always loaded", () => {
    expect(isTokenizerLoaded("whitespace")).toBe(true);
  });
});

describe("tokenizer: names", () => {
  test("TOKENIZERS and isTokenizerName", () => {
    expect([...TOKENIZERS]).toEqual(["whitespace", "o200k", "cl100k"]);
    expect(isTokenizerName("o200k")).toBe(true);
    expect(isTokenizerName("gpt2")).toBe(false);
  });
});

describe("tokenizer: BPE (o200k, cl100k)", () => {
  beforeAll(async () => {
    await Promise.all([loadTokenizer("o200k"), loadTokenizer("cl100k")]);
  });

  test("known counts", () => {
    // "tiktoken is great!" is 6 tokens in both (OpenAI cookbook: o200k [83, 8251, 2488, 382, 2212, 0],
    // cl100k [83, 1609, 5963, 374, 2294, 0])
    const cases: [string, number, number][] = [
      ["", 0, 0],
      ["hello world", 2, 2],
      ["tiktoken is great!", 6, 6],
      ["Hello, world!", 4, 4],
    ];
    for (const [text, o200k, cl100k] of cases) {
      expect([text, countTokens(text, "o200k"), countTokens(text, "cl100k")]).toEqual([text, o200k, cl100k]);
    }
  });

  test("special-token strings count as plain text instead of throwing", () => {
    expect(countTokens("<|endoftext|>", "cl100k")).toBeGreaterThan(1);
    expect(countTokens("<|endoftext|>", "o200k")).toBeGreaterThan(1);
  });

  test("loadTokenizer resolves to the counting function, once", async () => {
    const count = await loadTokenizer("o200k");
    expect(count("hello world")).toBe(2);
    expect(await loadTokenizer("o200k")).toBe(count);
    expect(isTokenizerLoaded("o200k")).toBe(true);
  });
});
