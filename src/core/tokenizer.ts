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
 *
 * - A model's own Hugging Face `tokenizer.json` (`--tokenizer FILE`): the app reads the file and hands
 *   its text to `loadTokenizerJson(id, json)`, which builds it with @huggingface/tokenizers (pure JS,
 *   no network; itself imported only then) under `id`, the file's label (`tokenizerFileLabel`: its
 *   name and a hash of its contents). Counted without special tokens (no BOS). Pieces add up for the
 *   families measured: byte-level BPE (Qwen, Llama 3) counts a piece " world" as it is ("Ġworld"), as
 *   o200k does; a SentencePiece tokenizer (Mistral 7B, Llama 2: a `Prepend "▁"` normalizer) adds the
 *   space back itself, so the piece is counted without its leading space. Which rule holds
 *   (`CutRule`) is found on probe texts when the file is loaded; a tokenizer for which neither holds
 *   is counted whole. Pieces are shorter (FILE_PIECE_CHARS): these count slower than o200k.
 */

export const TOKENIZERS = ["whitespace", "o200k", "cl100k"] as const;
export type TokenizerName = (typeof TOKENIZERS)[number];
/** a built-in name, or the label a tokenizer.json was loaded under (loadTokenizerJson) */
export type TokenizerId = TokenizerName | (string & {});

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

const loaded = new Map<TokenizerId, Count>([["whitespace", countWhitespaceTokens]]);
const loading = new Map<TokenizerId, Promise<Count>>();
/**
 * How a piece that starts at a cut (a space after a non-space) is counted: "keep" as it is, "drop"
 * without its leading space (the tokenizer puts one back), null: pieces do not add up, count whole.
 */
type CutRule = "keep" | "drop" | null;
/** by tokenizer: the built-ins have none ("keep") */
const cutRules = new Map<TokenizerId, CutRule>();
const ruleOf = (id: TokenizerId): CutRule => (cutRules.has(id) ? cutRules.get(id)! : "keep");
const pieceChars = (id: TokenizerId): number => (cutRules.has(id) ? FILE_PIECE_CHARS : MAX_PIECE_CHARS);

/** Longest stretch counted without a cut: BPE on it costs O(MAX_RUN_CHARS²), once per MAX_RUN_CHARS characters. */
export const MAX_RUN_CHARS = 256;
/** Longest piece handed to the tokenizer at once (a few ms of work): the paced count yields between pieces. */
export const MAX_PIECE_CHARS = 4096;
/**
 * The same for a tokenizer.json: @huggingface/tokenizers counts Mistral 7B's vocabulary (no
 * pre-tokenizer: BPE over the whole piece) at ~3–4 µs a character, o200k's 0.2–0.5, so a piece of
 * 4096 characters held the event loop ~10–25 ms; at 1024, ~3 ms, for the same total.
 */
export const FILE_PIECE_CHARS = 1024;

const WS = /\s/;

/**
 * Where to cut `text` for counting: [start, end) pieces of at most `maxPiece` characters, cut before
 * a space that follows a non-space, or (a "hard" cut) after `maxRun` characters without one.
 * Never between the two halves of a surrogate pair.
 */
export function countingPieces(
  text: string,
  maxRun = MAX_RUN_CHARS,
  maxPiece = MAX_PIECE_CHARS,
): Array<[number, number]> {
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

/**
 * `count` applied piece by piece; the whitespace rule joins a run of non-space that a hard cut split;
 * with rule "drop", a piece after the first that starts with a space is counted without it.
 */
function countPieces(
  text: string,
  pieces: Iterable<[number, number]>,
  count: Count,
  joinRuns: boolean,
  rule: CutRule = "keep",
): number {
  let total = 0;
  for (const [a, b] of pieces) {
    const drop = rule === "drop" && a > 0 && text.charCodeAt(a) === 32;
    total += count(text.slice(drop ? a + 1 : a, b));
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

/** Whether `countTokens(…, id)` can be called now. */
export function isTokenizerLoaded(id: TokenizerId): boolean {
  return loaded.has(id);
}

/** Loads a built-in tokenizer's data (once; later calls return at once). Resolves to its counting function. */
export function loadTokenizer(name: TokenizerName): Promise<Count> {
  const ready = loaded.get(name);
  if (ready !== undefined) return Promise.resolve(ready);
  if (!isTokenizerName(name))
    return Promise.reject(
      new Error(`tokenizer "${String(name)}" is not built in: a tokenizer.json is loaded with loadTokenizerJson`),
    );
  if (name === "whitespace") return Promise.resolve(countWhitespaceTokens);
  let p = loading.get(name);
  if (p === undefined) {
    p = importBpe(name).then((count) => {
      loaded.set(name, count);
      return count;
    });
    loading.set(name, p);
  }
  return p;
}

/**
 * What a tokenizer file is called in results and reports: its base name — with its folder's name
 * when the file is a plain "tokenizer.json", as in a model's folder — and the first 12 hex digits of
 * the SHA-256 of its bytes, e.g. "Mistral-7B-v0.1/tokenizer.json@sha256:fc4f0bd70b37". Never the rest
 * of a local path. Two runs counted alike when their hashes are equal, wherever the file sat.
 */
export function tokenizerFileLabel(path: string, sha256Hex: string): string {
  const parts = path.split(/[\\/]/).filter((p) => p !== "" && p !== ".");
  const base = parts.pop() ?? path;
  const dir = parts.pop();
  const name = base === "tokenizer.json" && dir !== undefined && dir !== ".." ? `${dir}/${base}` : base;
  return `${name}@sha256:${sha256Hex.slice(0, 12)}`;
}

/** Whether two tokenizer labels name files with the same contents (equal hashes), whatever their names. */
export function sameTokenizerFile(a: string, b: string): boolean {
  const hash = (s: string) => /@sha256:([0-9a-f]{12})$/.exec(s)?.[1];
  return hash(a) !== undefined && hash(a) === hash(b);
}

/** A tokenizer.json that cannot be used: the message says why (the caller names the file). */
export class TokenizerFileError extends Error {}

/** Probe texts for the rule of a cut before a space: [left, right] halves of "left right". */
const CUT_PROBES: Array<[string, string]> = [
  ["Hello", " world"],
  ["the", " river"],
  ["[llmbench 42-7]", " the"],
  ["x", " y"],
  ["2026", " 11"],
  ["café", " 東京"],
  ["end.", " Next"],
];

/**
 * Builds a Hugging Face tokenizer from the text of its tokenizer.json and makes it countable as `id`
 * (once per id; later calls return at once). Throws TokenizerFileError for a file that is not JSON,
 * not a tokenizer.json, or of a kind @huggingface/tokenizers cannot run.
 */
export function loadTokenizerJson(id: TokenizerId, jsonText: string): Promise<Count> {
  const ready = loaded.get(id);
  if (ready !== undefined) return Promise.resolve(ready);
  let p = loading.get(id);
  if (p === undefined) {
    p = buildFromJson(jsonText).then((count) => {
      cutRules.set(id, cutRule(count));
      loaded.set(id, count);
      return count;
    });
    // a failed load may be retried (with a fixed file)
    p.catch(() => loading.delete(id));
    loading.set(id, p);
  }
  return p;
}

async function buildFromJson(jsonText: string): Promise<Count> {
  let json: unknown;
  try {
    // a byte-order mark (an editor's on Windows) is not part of the JSON; the label still hashes the file as it is
    json = JSON.parse(jsonText.charCodeAt(0) === 0xfeff ? jsonText.slice(1) : jsonText);
  } catch (e) {
    throw new TokenizerFileError(`not valid JSON (${(e as Error).message})`);
  }
  const model = (json as { model?: { type?: unknown; vocab?: unknown } } | null)?.model;
  if (
    typeof json !== "object" ||
    json === null ||
    Array.isArray(json) ||
    typeof model !== "object" ||
    model === null ||
    model.vocab === undefined
  ) {
    throw new TokenizerFileError(`not a Hugging Face tokenizer.json (it has no "model" with a "vocab")`);
  }
  const { Tokenizer } = await import("@huggingface/tokenizers");
  let tok: InstanceType<typeof Tokenizer>;
  try {
    tok = new Tokenizer(json, {});
    tok.encode("Hello world", { add_special_tokens: false });
  } catch (e) {
    throw new TokenizerFileError(`cannot be used: ${(e as Error).message}`);
  }
  return (text) => (text === "" ? 0 : tok.encode(text, { add_special_tokens: false }).ids.length);
}

/** The rule under which every probe adds up ("keep" first), or null. */
function cutRule(count: Count): CutRule {
  if (CUT_PROBES.every(([a, b]) => count(a) + count(b) === count(a + b))) return "keep";
  if (CUT_PROBES.every(([a, b]) => count(a) + count(b.slice(1)) === count(a + b))) return "drop";
  return null;
}

/**
 * The number of tokens in `text`. "whitespace" always works; a BPE tokenizer must have been
 * loaded first with `await loadTokenizer(name)`, a tokenizer.json with `loadTokenizerJson(id, …)`
 * (throws otherwise: a programming error).
 */
export function countTokens(text: string, name: TokenizerId): number {
  const count = loadedCount(name);
  const rule = ruleOf(name);
  if (text.length <= MAX_RUN_CHARS || rule === null) return count(text);
  return countPieces(text, iterPieces(text, MAX_RUN_CHARS, pieceChars(name)), count, name === "whitespace", rule);
}

function loadedCount(name: TokenizerId): Count {
  const count = loaded.get(name);
  if (count === undefined) {
    if (!isTokenizerName(name))
      throw new Error(
        `tokenizer "${String(name)}" is not loaded: a tokenizer.json is loaded with loadTokenizerJson (built in: ${TOKENIZERS.join(", ")})`,
      );
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

/** A text short enough that its paced count would be one piece, no yield: `countTokens` it at once. */
export function countsAtOnce(text: string, name: TokenizerId): boolean {
  return text.length <= pieceChars(name);
}

/**
 * `countTokens`, a piece at a time with a yield between pieces, so that a long text never blocks the
 * event loop for more than one piece; past `until`, the rest is extrapolated at the rate of the part
 * counted (tokens per character) and the count is marked estimated. A tokenizer.json whose pieces do
 * not add up (no cut rule) is still counted in pieces, never whole on this thread: its count is then
 * marked estimated (each cut may move it by a token).
 */
export async function countTokensPaced(text: string, name: TokenizerId, pacing: Pacing): Promise<PacedCount> {
  const count = loadedCount(name);
  const exact = ruleOf(name);
  const rule = exact ?? "keep";
  if (countsAtOnce(text, name)) return { tokens: countTokens(text, name), estimated: false };
  let tokens = 0;
  let chars = 0;
  for (const piece of iterPieces(text, MAX_RUN_CHARS, pieceChars(name))) {
    if (chars > 0) {
      await pacing.yieldNow();
      if (pacing.now() >= pacing.until) {
        return { tokens: Math.round((tokens * text.length) / chars), estimated: true };
      }
    }
    tokens += countPieces(text, [piece], count, name === "whitespace", rule);
    chars = piece[1];
  }
  return { tokens, estimated: exact === null };
}
