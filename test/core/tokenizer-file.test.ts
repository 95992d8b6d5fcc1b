/**
 * --tokenizer FILE: a model's own Hugging Face tokenizer.json (test/fixtures/tokenizers/mistral-7b,
 * Mistral 7B's Llama-style SentencePiece vocabulary). Counts are held against @huggingface/tokenizers'
 * own encode of the whole text, and against token ids published for Mistral 7B.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { Tokenizer } from "@huggingface/tokenizers";
import { parseRunOptions } from "../../src/core/options.ts";
import {
  countTokens,
  countTokensPaced,
  isTokenizerLoaded,
  loadTokenizer,
  loadTokenizerJson,
  FILE_PIECE_CHARS,
  TokenizerFileError,
  tokenizerFileLabel,
} from "../../src/core/tokenizer.ts";
import { syntheticWorkload } from "../../src/core/workload.ts";
import { usageError } from "./helpers.ts";

const MISTRAL_FILE = `${import.meta.dir}/../fixtures/tokenizers/mistral-7b/tokenizer.json`;
const ID = "mistral-test";
let text = "";
let library: Tokenizer;
/** the library's own count of the whole text, no special tokens */
const whole = (s: string) => library.encode(s, { add_special_tokens: false }).ids.length;
const count = (s: string) => countTokens(s, ID);

/** English prose with punctuation, numbers, a newline or a double space here and there, and a few non-ASCII words */
function prose(words: number, seed: number): string {
  const vocab =
    "The quick brown fox jumps over the lazy dog , . ; tokenizers disagree about llmbench prefill and decode latencies 2026 3.14 naïve café 東京 Überraschung (parenthesis) \"quoted\" it's don't e-mail x86_64 http://example.com/a?b=c".split(
      " ",
    );
  let x = seed;
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    out.push(vocab[x % vocab.length] + (x % 97 === 0 ? "\n" : "") + (x % 89 === 0 ? " " : ""));
  }
  return out.join(" ");
}

beforeAll(async () => {
  text = await Bun.file(MISTRAL_FILE).text();
  library = new Tokenizer(JSON.parse(text), {});
  await loadTokenizerJson(ID, text);
  await loadTokenizer("o200k");
});

describe("a Mistral 7B tokenizer.json", () => {
  test("the ids Mistral 7B is known to give; counted without the BOS token", () => {
    // mistral-tokenizer-js's README: encode("Hello world!") is [1, 22557, 1526, 28808]: <s>, ▁Hello, ▁world, !
    expect(library.encode("Hello world!").ids).toEqual([1, 22557, 1526, 28808]);
    expect(count("Hello world!")).toBe(3);
  });

  test("exact counts of a few strings, the library's own", () => {
    const cases = [
      "",
      "Hello world",
      "Hello, my dog is cute",
      "The quick brown fox jumps over the lazy dog.",
      " leading space",
      "naïve café 東京 🚀",
      "x86_64\ttabs\nand newlines",
      "    indented code();",
    ];
    for (const s of cases) expect([s, count(s)]).toEqual([s, whole(s)]);
    // and they are not o200k's: this vocabulary splits "fox" and "jumps" where o200k does not
    const fox = "The quick brown fox jumps over the lazy dog.";
    expect(count(fox)).toBe(12);
    expect(countTokens(fox, "o200k")).toBe(10);
  });

  test("a long text counted a piece at a time adds up to the library's count of it whole", async () => {
    for (const seed of [1, 2, 3]) {
      const long = prose(3000, seed);
      expect(long.length).toBeGreaterThan(4 * FILE_PIECE_CHARS);
      const n = whole(long);
      expect(count(long)).toBe(n);
      let yields = 0;
      const paced = await countTokensPaced(long, ID, { now: () => 0, until: 1, yieldNow: async () => void yields++ });
      expect(paced).toEqual({ tokens: n, estimated: false });
      // a yield between pieces: the event loop is never held for the whole text
      expect(yields).toBeGreaterThanOrEqual(Math.floor(long.length / FILE_PIECE_CHARS) - 1);
    }
  });

  test("synthetic prompts are built to the exact length without counting each whole prompt", () => {
    let counted = 0;
    const spy = (s: string) => {
      counted += s.length;
      return count(s);
    };
    const wl = syntheticWorkload({ seed: 5, inputTokens: { mean: 1500, stdev: 0 }, prefixTokens: 100, count: spy });
    let chars = 0;
    for (let id = 0; id < 10; id++) {
      const p = wl.prompt(id);
      chars += p.text.length;
      expect(p.tokens).toBe(1500);
      expect(whole(p.text)).toBe(1500);
    }
    // one-token filler words add up (this vocabulary's words are one token after a space, like o200k's): the
    // prompts are filled by words, only their heads are counted, not each prompt again and again
    expect(counted).toBeLessThan(chars / 2);
  });
});

describe("loading", () => {
  test("the label: the file's name (with its folder for a plain tokenizer.json) and its SHA-256, never the path", () => {
    const sha = createHash("sha256").update("x").digest("hex");
    expect(tokenizerFileLabel("/home/me/models/Llama-2-7b-hf/tokenizer.json", sha)).toBe(
      `Llama-2-7b-hf/tokenizer.json@sha256:${sha.slice(0, 12)}`,
    );
    expect(tokenizerFileLabel("tokenizer.json", sha)).toBe(`tokenizer.json@sha256:${sha.slice(0, 12)}`);
    expect(tokenizerFileLabel("./tokenizer.json", sha)).toBe(`tokenizer.json@sha256:${sha.slice(0, 12)}`);
    expect(tokenizerFileLabel("../tokenizer.json", sha)).toBe(`tokenizer.json@sha256:${sha.slice(0, 12)}`);
    expect(tokenizerFileLabel("/srv/qwen3.json", sha)).toBe(`qwen3.json@sha256:${sha.slice(0, 12)}`);
    expect(tokenizerFileLabel("C:\\models\\mistral\\tokenizer.json", sha)).toBe(
      `mistral/tokenizer.json@sha256:${sha.slice(0, 12)}`,
    );
  });

  test("files that are not a usable tokenizer.json are refused with the reason", async () => {
    const reason = async (json: string) => {
      try {
        await loadTokenizerJson(`bad-${Math.random()}`, json);
      } catch (e) {
        expect(e).toBeInstanceOf(TokenizerFileError);
        return (e as Error).message;
      }
      throw new Error("expected a TokenizerFileError");
    };
    expect(await reason("{not json")).toStartWith("not valid JSON");
    expect(await reason(`{"version": "1.0"}`)).toBe(
      `not a Hugging Face tokenizer.json (it has no "model" with a "vocab")`,
    );
    expect(await reason(`[1, 2]`)).toBe(`not a Hugging Face tokenizer.json (it has no "model" with a "vocab")`);
    expect(await reason(`{"model": {"type": "NoSuchModel", "vocab": {}}}`)).toStartWith("cannot be used: ");
  });

  test("a file that starts with a byte-order mark is the same tokenizer", async () => {
    const id = `bom-${Math.random()}`;
    await loadTokenizerJson(id, `\uFEFF${text}`);
    const sample = "Hello world! Tokenizers count the same with or without a BOM.";
    expect(countTokens(sample, id)).toBe(count(sample));
  });

  test("countTokens before the file is loaded is a programming error that says how to load it", () => {
    expect(isTokenizerLoaded("never-loaded.json")).toBe(false);
    expect(() => countTokens("x", "never-loaded.json")).toThrow("loadTokenizerJson");
  });
});

describe("--tokenizer: a name or a file", () => {
  const parse = (tok: string) =>
    parseRunOptions(
      ["--endpoint", "http://127.0.0.1:1/v1/completions", "--model", "m", "--tokenizer", tok],
      {},
      () => 1,
    );
  test("a built-in name is that tokenizer; anything else is the path of a tokenizer.json", () => {
    expect(parse("o200k")).toMatchObject({ tokenizer: "o200k" });
    expect(parse("o200k").tokenizerFile).toBeUndefined();
    expect(parse("models/llama/tokenizer.json")).toMatchObject({
      tokenizer: "models/llama/tokenizer.json",
      tokenizerFile: "models/llama/tokenizer.json",
    });
    // a file that happens to be called like a built-in: ./ makes it a path
    expect(parse("./o200k")).toMatchObject({ tokenizerFile: "./o200k" });
    expect(usageError(() => parse(" ")).message).toBe("--tokenizer is empty");
  });
});
