/** The simulator's prefix cache, pure: which blocks hit, the one-token cap, LRU eviction order. */
import { describe, expect, test } from "bun:test";
import { maxCachedTokens, PrefixCache, promptWords } from "../../src/server/prefix-cache.ts";

/** `n` distinct words named after `tag`: block boundaries are visible in the test. */
const words = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag}${i}`);

describe("which blocks hit", () => {
  test("two prompts sharing k full blocks: the second reports k × block cached", () => {
    const B = 4;
    for (const k of [0, 1, 2, 3]) {
      const c = new PrefixCache(B, 100);
      const shared = words("s", k * B);
      expect(c.admit([...shared, ...words("a", 9)]).cachedTokens).toBe(0);
      const second = c.admit([...shared, ...words("b", 9)]);
      expect(second).toEqual({ cachedTokens: k * B, blocks: k + 2, hitBlocks: k });
    }
  });

  test("a shared run of tokens that does not start the prompt never hits", () => {
    const c = new PrefixCache(4, 100);
    const tail = words("t", 12);
    c.admit([...words("x", 4), ...tail]);
    expect(c.admit([...words("y", 4), ...tail]).cachedTokens).toBe(0);
    // the same words shifted by one token: no block lines up
    expect(c.admit(["z", ...words("x", 4), ...tail]).cachedTokens).toBe(0);
    expect(c.counters).toEqual({ queried_tokens: 16 + 16 + 17, hit_tokens: 0, evicted_blocks: 0 });
  });

  test("a partial block is never cached, and one token is always left to compute", () => {
    const c = new PrefixCache(4, 100);
    // 7 tokens: one full block cached, 3 tokens of a partial block not
    c.admit(words("p", 7));
    expect(c.size).toBe(1);
    expect(c.admit(words("p", 7)).cachedTokens).toBe(4);
    // 8 tokens, the first block cached; the second block now stored
    expect(c.admit(words("p", 8)).cachedTokens).toBe(4);
    // wholly cached and ending on a block boundary: one block less (vLLM's num_tokens − 1 cap)
    expect(c.admit(words("p", 8)).cachedTokens).toBe(4);
    expect(c.admit(words("p", 9)).cachedTokens).toBe(8);
    expect([1, 3, 4, 5, 8, 9, 17].map((n) => maxCachedTokens(n, 4))).toEqual([0, 0, 0, 4, 4, 8, 16]);
  });

  test("words are whitespace-separated, however the prompt spaces them", () => {
    expect(promptWords("  a\tb\n\nc  d ")).toEqual(["a", "b", "c", "d"]);
    const c = new PrefixCache(2, 10);
    c.admit(promptWords("a b c d e"));
    expect(c.admit(promptWords("a\nb   c\td x")).cachedTokens).toBe(4);
  });
});

describe("LRU", () => {
  test("eviction takes the least recently used block, and never the prompt's own", () => {
    const c = new PrefixCache(4, 2);
    const a = words("a", 9); // blocks A0 A1
    const b = words("b", 5); // block B0
    c.admit(a); // LRU → MRU: A1 A0 (tails first: the head is most recent)
    expect(c.size).toBe(2);
    c.admit(b); // B0 in, A1 out: A0 B0
    expect(c.counters.evicted_blocks).toBe(1);
    expect(c.admit(a).cachedTokens).toBe(4); // A0 hits, A1 was evicted; then B0 out: A1 A0
    expect(c.counters.evicted_blocks).toBe(2);
    expect(c.admit(b).cachedTokens).toBe(0); // B0 was evicted; A1 out: A0 B0
    expect(c.admit(a).cachedTokens).toBe(4); // A0 still there
    expect(c.counters).toEqual({ queried_tokens: 9 + 5 + 9 + 5 + 9, hit_tokens: 8, evicted_blocks: 4 });
  });

  test("a hit refreshes its blocks", () => {
    const c = new PrefixCache(2, 2);
    c.admit(["a", "a", "x"]); // A
    c.admit(["b", "b", "x"]); // A B
    expect(c.admit(["a", "a", "y"]).cachedTokens).toBe(2); // B A
    c.admit(["c", "c", "x"]); // A C: B, the least recently used, goes
    expect(c.admit(["a", "a", "z"]).cachedTokens).toBe(2);
    expect(c.admit(["b", "b", "z"]).cachedTokens).toBe(0);
  });

  test("a prompt longer than the cache keeps its head blocks", () => {
    const c = new PrefixCache(2, 3);
    const p = words("p", 11); // 5 full blocks, 3 kept: the first three
    c.admit(p);
    expect(c.size).toBe(3);
    expect(c.admit(p).cachedTokens).toBe(6);
  });
});

test("a finished sequence's blocks, prompt and answer together, are stored without counting a lookup", () => {
  const c = new PrefixCache(4, 100);
  const user = words("u", 10);
  const answer = words("a", 6);
  expect(c.admit(user).cachedTokens).toBe(0);
  expect(c.size).toBe(2);
  c.store([...user, ...answer]); // 16 tokens: 4 blocks, 2 of them new
  expect(c.size).toBe(4);
  expect(c.counters).toEqual({ queried_tokens: 10, hit_tokens: 0, evicted_blocks: 0 });
  // the next turn carries the history: all 4 blocks hit
  expect(c.admit([...user, ...answer, ...words("v", 3)]).cachedTokens).toBe(16);
  const without = new PrefixCache(4, 100);
  without.admit(user);
  expect(without.admit([...user, ...answer, ...words("v", 3)]).cachedTokens).toBe(8);
});

test("bad sizes are refused", () => {
  expect(() => new PrefixCache(0, 1)).toThrow(RangeError);
  expect(() => new PrefixCache(1.5, 1)).toThrow(RangeError);
  expect(() => new PrefixCache(4, -1)).toThrow(RangeError);
});
