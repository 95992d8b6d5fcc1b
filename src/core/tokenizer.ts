/**
 * Counting output tokens on the client, for servers that report no usage (SPEC §4: "the text
 * counted with the selected tokenizer").
 *
 * - "whitespace": the number of maximal runs of non-whitespace characters (JavaScript's `\s`).
 *   The documented rule for the generate API, whose server gives no usage; llmbench's reference
 *   server emits one word per token, so this count is exact against it.
 * - "o200k", "cl100k": OpenAI's BPE encodings (gpt-tokenizer; the ranks ship inside the package,
 *   no network). Special-token strings such as "<|endoftext|>" in the text are counted as plain text.
 *
 * The BPE encodings are large (o200k: 2.4 MB of JS, ~0.6 s to load; cl100k ~0.3 s), so they are
 * loaded on demand with a dynamic import (bundled into the compiled binary all the same):
 * `await loadTokenizer(name)` once, then `countTokens(text, name)` is synchronous.
 */

export const TOKENIZERS = ["whitespace", "o200k", "cl100k"] as const;
export type TokenizerName = (typeof TOKENIZERS)[number];

type Count = (text: string) => number;

export function countWhitespaceTokens(text: string): number {
  let n = 0;
  const re = /\S+/g;
  while (re.exec(text) !== null) n++;
  return n;
}

/** special tokens are plain text here: nothing is disallowed (gpt-tokenizer would throw otherwise) */
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

const loaded: Partial<Record<TokenizerName, Count>> = { whitespace: countWhitespaceTokens };
const loading: Partial<Record<TokenizerName, Promise<Count>>> = {};

async function importBpe(name: Exclude<TokenizerName, "whitespace">): Promise<Count> {
  const mod =
    name === "o200k"
      ? await import("gpt-tokenizer/encoding/o200k_base")
      : await import("gpt-tokenizer/encoding/cl100k_base");
  return (text) => (text === "" ? 0 : mod.countTokens(text, PLAIN_TEXT));
}

export function isTokenizerName(s: string): s is TokenizerName {
  return (TOKENIZERS as readonly string[]).includes(s);
}

/** Whether `countTokens(…, name)` can be called now. */
export function isTokenizerLoaded(name: TokenizerName): boolean {
  return loaded[name] !== undefined;
}

/** Loads a tokenizer's data (once; later calls return at once). Resolves to its counting function. */
export function loadTokenizer(name: TokenizerName): Promise<Count> {
  const ready = loaded[name];
  if (ready !== undefined) return Promise.resolve(ready);
  if (name === "whitespace") return Promise.resolve(countWhitespaceTokens);
  let p = loading[name];
  if (p === undefined) {
    p = importBpe(name).then((count) => {
      loaded[name] = count;
      return count;
    });
    loading[name] = p;
  }
  return p;
}

/**
 * The number of tokens in `text`. "whitespace" always works; a BPE tokenizer must have been
 * loaded first with `await loadTokenizer(name)` (throws otherwise: a programming error).
 */
export function countTokens(text: string, name: TokenizerName): number {
  const count = loaded[name];
  if (count === undefined) {
    if (!isTokenizerName(name)) throw new Error(`unknown tokenizer "${String(name)}" (known: ${TOKENIZERS.join(", ")})`);
    throw new Error(`tokenizer "${name}" is not loaded: call \`await loadTokenizer("${name}")\` before countTokens`);
  }
  return count(text);
}
