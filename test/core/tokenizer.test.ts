import { beforeAll, describe, expect, test } from "bun:test";
import {
  countingPieces,
  countTokens,
  countTokensPaced,
  countWhitespaceTokens,
  isTokenizerLoaded,
  isTokenizerName,
  loadTokenizer,
  TOKENIZERS,
} from "../../src/core/tokenizer.ts";
import { createRng } from "../../src/core/rng.ts";

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

  test("the same count as /\\S+/g on random mixes of ASCII and Unicode spaces and words (seeded)", () => {
    const rng = createRng(7);
    const alphabet = [
      " ",
      "\t",
      "\n",
      "\r",
      "\v",
      "\f",
      "\u00a0",
      "\u1680",
      "\u2003",
      "\u2028",
      "\u202f",
      "\u3000",
      "\ufeff",
      "\u0085",
      "\u180e",
      "\u200b",
      "a",
      "é",
      "字",
      "😀",
    ];
    for (let k = 0; k < 20_000; k++) {
      let text = "";
      for (let i = rng.int(12); i > 0; i--) text += alphabet[rng.int(alphabet.length)];
      expect([text, countWhitespaceTokens(text)]).toEqual([text, (text.match(/\S+/g) ?? []).length]);
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

describe("counting in pieces (linear time on runs without spaces)", () => {
  beforeAll(async () => {
    await loadTokenizer("o200k");
    await loadTokenizer("cl100k");
  });
  const bpe = (name: "o200k" | "cl100k") => {
    // the whole text handed to gpt-tokenizer at once: the reference for exactness
    const whole = (t: string) =>
      require(`gpt-tokenizer/encoding/${name}_base`).countTokens(t, { disallowedSpecial: new Set() }) as number;
    return whole;
  };
  const prose = Array.from(
    { length: 3000 },
    (_, i) =>
      [
        "The",
        "quick",
        "brown",
        "fox,",
        "jumps",
        "über",
        "日本語の",
        "  two",
        "\n\nline",
        "x.y/z",
        "don't",
        "😀👍",
        "1234567",
        "\t",
      ][i % 14] + (i % 5 === 0 ? "." : ""),
  ).join(" ");

  test("pieces cover the text in order, at most maxPiece long", () => {
    for (const text of [prose, "a".repeat(10_000), " ".repeat(5000), "ab ".repeat(4000)]) {
      const pieces = countingPieces(text, 64, 1000);
      expect(pieces[0][0]).toBe(0);
      expect(pieces[pieces.length - 1][1]).toBe(text.length);
      for (let k = 1; k < pieces.length; k++) expect(pieces[k][0]).toBe(pieces[k - 1][1]);
      for (const [a, b] of pieces) expect(b - a).toBeLessThanOrEqual(1000);
    }
  });

  test("a run without a space is cut every maxRun characters: no piece holds a longer run", () => {
    for (const text of [
      "a".repeat(100_000),
      " ".repeat(20_000),
      "=".repeat(9_999),
      `${"x".repeat(300)} ${"y".repeat(700)}`,
    ]) {
      for (const [a, b] of countingPieces(text, 256, 4096)) {
        const longest = Math.max(
          ...text
            .slice(a, b)
            .split(" ")
            .map((w) => w.length),
        );
        expect(longest).toBeLessThanOrEqual(256);
      }
    }
  });

  test("never between the halves of a surrogate pair", () => {
    const text = "😀".repeat(5000); // 10,000 UTF-16 units, no space
    for (const [a] of countingPieces(text, 7, 100)) {
      const c = text.charCodeAt(a);
      expect(c >= 0xdc00 && c <= 0xdfff).toBe(false);
    }
  });

  test("exact on text whose words are shorter than the run limit, however small the pieces", () => {
    for (const name of ["o200k", "cl100k"] as const) {
      const whole = bpe(name)(prose);
      expect(countTokens(prose, name)).toBe(whole);
      // the same cuts, forced every ~50 characters
      const count = (t: string) => bpe(name)(t);
      const pieces = countingPieces(prose, 256, 50);
      expect(pieces.length).toBeGreaterThan(100);
      expect(pieces.reduce((n, [a, b]) => n + count(prose.slice(a, b)), 0)).toBe(whole);
    }
  });

  test("whitespace counting joins a run that a hard cut split: exact", () => {
    const text = `${"a".repeat(1000)} b ${"c".repeat(600)}`;
    expect(countTokens(text, "whitespace")).toBe(3);
  });

  test("a run without a space: each hard cut moves the count by at most a token", () => {
    // 16 KB of letters without a space: one pre-token, still countable whole for the reference
    let x = 7;
    const text = Array.from({ length: 16_384 }, () =>
      String.fromCharCode(97 + ((x = (x * 48271) % 2147483647) % 26)),
    ).join("");
    const whole = bpe("o200k")(text);
    const cuts = countingPieces(text).length - 1;
    expect(cuts).toBe(Math.ceil(16_384 / 256) - 1);
    expect(Math.abs(countTokens(text, "o200k") - whole)).toBeLessThanOrEqual(cuts);
  });
});

describe("paced counting", () => {
  test("yields between pieces and gives the exact count when time allows", async () => {
    let yields = 0;
    const text = "word ".repeat(5000); // 25,000 chars: several pieces
    const r = await countTokensPaced(text, "whitespace", {
      now: () => 0,
      yieldNow: async () => void yields++,
      until: 1,
    });
    expect(r).toEqual({ tokens: 5000, estimated: false });
    expect(yields).toBe(countingPieces(text).length - 1);
  });

  test("past `until`, the rest is extrapolated from the part counted, and marked estimated", async () => {
    let t = 0;
    const text = "word ".repeat(5000);
    const r = await countTokensPaced(text, "whitespace", {
      now: () => t,
      yieldNow: async () => void (t += 10),
      until: 25,
    });
    // two yields → three pieces counted, then extrapolated at the same tokens per character
    expect(r.estimated).toBe(true);
    expect(r.tokens).toBe(5000);
  });

  test("a short text is counted at once, whatever the time", async () => {
    const r = await countTokensPaced("a b c", "whitespace", { now: () => 1e9, yieldNow: async () => {}, until: 0 });
    expect(r).toEqual({ tokens: 3, estimated: false });
  });
});
