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
 * BPE merging is quadratic in the length of one pre-token (gpt-tokenizer's bytePairMerge scans every
 * pair for the lowest rank once per merge): 'a' × 128 KB without a space, one pre-token, took 39 s.
 * So text is counted in pieces (`countingPieces`): cut before a space that follows a non-space (always
 * a pre-token boundary of o200k's and cl100k's split patterns, so the count is exact), and inside a run
 * of more than MAX_RUN_CHARS characters without such a space (no word is that long; each such cut may
 * change the count by a token or so). Time is then linear in the length of the text.
 *
 * The BPE encodings are large (o200k: 2.4 MB of JS, ~0.6 s to load; cl100k ~0.3 s), so they are
 * loaded on demand with a dynamic import (bundled into the compiled binary all the same):
 * `await loadTokenizer(name)` once, then `countTokens(text, name)` is synchronous.
 */

export const TOKENIZERS = ["whitespace", "o200k", "cl100k"] as const;
export type TokenizerName = (typeof TOKENIZERS)[number];

type Count = (text: string) => number;

/** JavaScript's `\s` beyond ASCII (Unicode spaces, line separators, BOM), tested only for code units past 127 */
const WIDE_SPACE = /\s/;

export function countWhitespaceTokens(text: string): number {
  // a scan of char codes, not a /\S+/g loop: that allocates a match per word (9% of the client's CPU per
  // request against a static server, in a profile)
  let n = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const space = c <= 32 ? c === 32 || (c >= 9 && c <= 13) : c > 127 && WIDE_SPACE.test(text[i]);
    if (!space && !inWord) n++;
    inWord = !space;
  }
  return n;
}

/** special tokens are plain text here: nothing is disallowed (gpt-tokenizer would throw otherwise) */
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

const loaded: Partial<Record<TokenizerName, Count>> = { whitespace: countWhitespaceTokens };
const loading: Partial<Record<TokenizerName, Promise<Count>>> = {};

/** Longest stretch counted without a cut: BPE on it costs O(MAX_RUN_CHARS²), once per MAX_RUN_CHARS characters. */
export const MAX_RUN_CHARS = 256;
/** Longest piece handed to the tokenizer at once (a few ms of work): the paced count yields between pieces. */
export const MAX_PIECE_CHARS = 4096;

const WS = /\s/;

/**
 * Where to cut `text` for counting: [start, end) pieces of at most `maxPiece` characters, cut before
 * a space that follows a non-space, or (a "hard" cut) after `maxRun` characters without one.
 * Never between the two halves of a surrogate pair.
 */
export function countingPieces(text: string, maxRun = MAX_RUN_CHARS, maxPiece = MAX_PIECE_CHARS): Array<[number, number]> {
  return [...iterPieces(text, maxRun, maxPiece)];
}

/** The same pieces, found as they are taken: a paced count of a long text never scans it whole in one go. */
function* iterPieces(text: string, maxRun = MAX_RUN_CHARS, maxPiece = MAX_PIECE_CHARS): Generator<[number, number]> {
  const n = text.length;
  let start = 0;
  let segStart = 0;
  let lastCut = 0;
  for (let i = 1; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 && !WS.test(text[i - 1])) {
      lastCut = segStart = i;
    } else if (i - segStart >= maxRun && !(c >= 0xdc00 && c <= 0xdfff)) {
      // a hard cut always ends the piece: inside one piece the tokenizer would see the run whole again
      yield [start, i];
      start = lastCut = segStart = i;
      continue;
    }
    if (i - start >= maxPiece && lastCut > start) {
      yield [start, lastCut];
      start = lastCut;
    }
  }
  if (n > 0) yield [start, n];
}

/** `count` applied piece by piece; the whitespace rule joins a run of non-space that a hard cut split. */
function countPieces(text: string, pieces: Iterable<[number, number]>, count: Count, joinRuns: boolean): number {
  let total = 0;
  for (const [a, b] of pieces) {
    total += count(text.slice(a, b));
    if (joinRuns && a > 0 && !WS.test(text[a - 1]) && !WS.test(text[a])) total--;
  }
  return total;
}

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
  const count = loadedCount(name);
  if (text.length <= MAX_RUN_CHARS) return count(text);
  return countPieces(text, iterPieces(text), count, name === "whitespace");
}

function loadedCount(name: TokenizerName): Count {
  const count = loaded[name];
  if (count === undefined) {
    if (!isTokenizerName(name)) throw new Error(`unknown tokenizer "${String(name)}" (known: ${TOKENIZERS.join(", ")})`);
    throw new Error(`tokenizer "${name}" is not loaded: call \`await loadTokenizer("${name}")\` before countTokens`);
  }
  return count;
}

export interface PacedCount {
  tokens: number;
  /** the time ran out: `tokens` is extrapolated from the characters counted by then */
  estimated: boolean;
}

export interface Pacing {
  now: () => number;
  /** lets timers and other requests run (e.g. a setImmediate) */
  yieldNow: () => Promise<void>;
  /** stop counting at this time (on `now`'s clock) and extrapolate; at least one piece is always counted */
  until: number;
}

/**
 * `countTokens`, a piece at a time with a yield between pieces, so that a long text never blocks the
 * event loop for more than one piece; past `until`, the rest is extrapolated at the rate of the part
 * counted (tokens per character) and the count is marked estimated.
 */
export async function countTokensPaced(text: string, name: TokenizerName, pacing: Pacing): Promise<PacedCount> {
  const count = loadedCount(name);
  if (text.length <= MAX_PIECE_CHARS) return { tokens: countTokens(text, name), estimated: false };
  let tokens = 0;
  let chars = 0;
  for (const piece of iterPieces(text)) {
    if (chars > 0) {
      await pacing.yieldNow();
      if (pacing.now() >= pacing.until) {
        return { tokens: Math.round((tokens * text.length) / chars), estimated: true };
      }
    }
    tokens += countPieces(text, [piece], count, name === "whitespace");
    chars = piece[1];
  }
  return { tokens, estimated: false };
}
