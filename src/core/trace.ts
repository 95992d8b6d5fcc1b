/**
 * Trace replay: a JSONL trace of timed requests (Mooncake's FAST'25 format, or Alibaba Bailian's) →
 * the requests to send, each at its time, with a prompt of its length whose blocks of text are shared
 * exactly where the trace's `hash_ids` are (README "Trace replay"). Pure: the file's text comes in,
 * the tokenizer comes in as a count.
 *
 * Mooncake: `{"timestamp": ms, "input_length": n, "output_length": n, "hash_ids": [..]}`, one hash id
 * per 512 prompt tokens. Bailian: the same fields plus `chat_id`, `parent_chat_id`, `type`, `turn`;
 * `timestamp` in seconds, one hash id per 16 tokens. A line with `chat_id` is Bailian's.
 */
import { UsageError } from "./errors.ts";
import { jsonObjectLines } from "./jsonl.ts";
import { fillerVocabulary, words, type PromptItem } from "./workload.ts";
import { hashString } from "./rng.ts";

export type TraceFormat = "mooncake" | "bailian";

/** Tokens one hash id stands for, as each format defines it. */
export const TRACE_BLOCK_TOKENS: Record<TraceFormat, number> = { mooncake: 512, bailian: 16 };

export interface TraceEntry {
  /** line of the file (1-based), for messages */
  line: number;
  /** when it is due, in ms after the trace's first request */
  atMs: number;
  inputLength: number;
  outputLength: number;
  hashIds: number[];
}

export interface Trace {
  format: TraceFormat;
  /** in the order they are due (the file's order where times tie) */
  entries: TraceEntry[];
}

const EXAMPLE = `{"timestamp": 0, "input_length": 1024, "output_length": 64, "hash_ids": [0, 1]}`;

/**
 * The longest prompt and answer a trace line may ask for: past any model's context (the longest are
 * ~10M tokens); a larger number is a damaged file, and building its prompt would exhaust memory.
 */
export const MAX_TRACE_TOKENS = 10_000_000;
/** The latest a request may be due, in ms from the trace's start (a year): past it a wait cannot be set. */
export const MAX_TRACE_MS = 365 * 24 * 3600 * 1000;

const isCount = (v: unknown, min: number): v is number =>
  typeof v === "number" && Number.isInteger(v) && v >= min && v <= MAX_TRACE_TOKENS;

/**
 * Parse a trace file: one JSON object a line (blank lines skipped). Every error names the line and
 * says what the line should hold. Times are made relative to the earliest request, which leaves at
 * once; entries are put in the order they are due.
 */
export function parseTrace(text: string, source: string): Trace {
  const entries: Array<TraceEntry & { timestamp: number }> = [];
  let format: TraceFormat | undefined;
  let formatLine = 0;
  for (const { value: o, line, where } of jsonObjectLines(text, source, `one JSON object a line, e.g. ${EXAMPLE}`)) {
    const lineFormat: TraceFormat = "chat_id" in o ? "bailian" : "mooncake";
    if (format === undefined) {
      format = lineFormat;
      formatLine = line;
    } else if (format !== lineFormat) {
      throw new UsageError(
        `${where}: a ${lineFormat === "bailian" ? "Bailian line (it has chat_id)" : "Mooncake line (no chat_id)"} in a ${format} trace (line ${formatLine} set the format)`,
        `one format a file: Bailian lines have chat_id and timestamps in seconds, Mooncake lines have neither`,
      );
    }
    const unit = format === "bailian" ? "seconds" : "ms";
    const scale = format === "bailian" ? 1000 : 1;
    if (
      typeof o.timestamp !== "number" ||
      !Number.isFinite(o.timestamp) ||
      o.timestamp < 0 ||
      o.timestamp * scale > MAX_TRACE_MS
    ) {
      throw new UsageError(
        `${where}: "timestamp" must be a number from 0 to ${MAX_TRACE_MS / scale} (${unit} from the trace's start, a year at most), got ${JSON.stringify(o.timestamp) ?? "nothing"}`,
        `e.g. ${EXAMPLE}`,
      );
    }
    if (!isCount(o.input_length, 1))
      throw new UsageError(
        `${where}: "input_length" must be an integer from 1 to ${MAX_TRACE_TOKENS.toLocaleString("en-US")} (prompt tokens), got ${JSON.stringify(o.input_length) ?? "nothing"}`,
        `e.g. ${EXAMPLE}`,
      );
    if (!isCount(o.output_length, 1))
      throw new UsageError(
        `${where}: "output_length" must be an integer from 1 to ${MAX_TRACE_TOKENS.toLocaleString("en-US")} (tokens to generate), got ${JSON.stringify(o.output_length) ?? "nothing"}`,
        `e.g. ${EXAMPLE}`,
      );
    const ids = o.hash_ids ?? [];
    if (!Array.isArray(ids))
      throw new UsageError(
        `${where}: "hash_ids" must be an array of integers, got ${JSON.stringify(ids)}`,
        `e.g. ${EXAMPLE}, or leave hash_ids out (no block shared)`,
      );
    // past 2^53 two ids can parse to one number and would share a block the trace kept apart
    const bad = ids.findIndex((id) => typeof id !== "number" || !Number.isSafeInteger(id) || id < 0);
    if (bad >= 0)
      throw new UsageError(
        `${where}: hash_ids[${bad}] must be an integer from 0 to 2^53 − 1, got ${JSON.stringify(ids[bad])}`,
        `e.g. ${EXAMPLE}`,
      );
    const timestamp = format === "bailian" ? o.timestamp * 1000 : o.timestamp;
    entries.push({
      line,
      timestamp,
      atMs: 0,
      inputLength: o.input_length,
      outputLength: o.output_length,
      hashIds: ids as number[],
    });
  }
  if (format === undefined)
    throw new UsageError(`${source}: no request in the trace`, `one JSON object a line, e.g. ${EXAMPLE}`);
  // stable: requests due at the same time keep the file's order
  entries.sort((a, b) => a.timestamp - b.timestamp);
  const start = entries[0].timestamp;
  return { format, entries: entries.map(({ timestamp, ...e }) => ({ ...e, atMs: timestamp - start })) };
}

/**
 * Refuse hash_ids that cover more than the prompt: with `blockTokens` per id, a prompt of
 * `input_length` tokens has room for ceil(input_length / blockTokens) ids. More says the trace was
 * written with a smaller block than `--block-tokens` (Bailian's 16, say, read as Mooncake's 512).
 */
export function checkBlocks(trace: Trace, blockTokens: number, source: string): void {
  const bad = trace.entries.find((e) => e.hashIds.length > Math.ceil(e.inputLength / blockTokens));
  if (!bad) return;
  // the largest block that leaves every line room for its ids: ceil(L / B) ≥ n ⟺ B < L / (n − 1)
  const fits = Math.min(
    ...trace.entries
      .filter((e) => e.hashIds.length > 1)
      .map((e) => Math.ceil(e.inputLength / (e.hashIds.length - 1)) - 1),
  );
  throw new UsageError(
    `${source}:${bad.line}: ${bad.hashIds.length} hash_ids for input_length ${bad.inputLength}, but --block-tokens ${blockTokens} leaves room for ${Math.ceil(bad.inputLength / blockTokens)}`,
    `give the block size the trace was written with (Mooncake: 512, Bailian: 16): at most --block-tokens ${Math.max(1, fits)} fits every line`,
  );
}

/** Tokens of each of a prompt's blocks: full blocks, the last one cut to the prompt's length. */
export function blockSizes(inputLength: number, blocks: number, blockTokens: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < blocks; i++) {
    const take = Math.min(blockTokens, inputLength - i * blockTokens);
    if (take <= 0) break;
    out.push(take);
  }
  return out;
}

interface Node {
  /** most tokens of this block an earlier request sent (after the same blocks before it) */
  tokens: number;
  children: Map<number, Node>;
}

/**
 * The prompt tokens of each entry that an earlier entry sent before it, as a prefix: its leading
 * blocks whose ids, in the same order from the start, an earlier request had (what a prefix cache
 * with room enough can reuse). A block an earlier request sent cut shorter counts for what was sent,
 * and ends the reusable prefix. Blocks are keyed by their path from the start, as vLLM's and SGLang's
 * caches key them: Mooncake's and Bailian's ids are hashes of the prefix already, so this is the
 * same as "the id appeared before" for them.
 */
export function reusableTokens(entries: readonly TraceEntry[], blockTokens: number): number[] {
  const root: Node = { tokens: 0, children: new Map() };
  return entries.map((e) => {
    let node = root;
    let reusable = 0;
    let prefix = true;
    for (const [i, take] of blockSizes(e.inputLength, e.hashIds.length, blockTokens).entries()) {
      let child = node.children.get(e.hashIds[i]);
      if (prefix) {
        const had = Math.min(child?.tokens ?? 0, take);
        reusable += had;
        if (had < take) prefix = false;
      }
      if (!child) {
        child = { tokens: 0, children: new Map() };
        node.children.set(e.hashIds[i], child);
      }
      child.tokens = Math.max(child.tokens, take);
      node = child;
    }
    return reusable;
  });
}

export interface TraceRequest extends PromptItem {
  /** when it is due, in ms after the first one (before --trace-speed) */
  atMs: number;
  /** max_tokens: the trace's output_length */
  maxTokens: number;
  /** prompt tokens an earlier request of the trace sent before it, as a prefix */
  reusableTokens: number;
  /** line of the trace file */
  line: number;
}

export interface TracePromptsConfig {
  seed: number;
  blockTokens: number;
  /** the run's tokenizer */
  count: (text: string) => number;
  /** mixed into every block's text: a run of --runs N after the first shares no block with the runs before */
  salt?: string;
}

/**
 * The trace's requests. Each hash id is a block of `blockTokens` filler words drawn with the id and
 * the seed, so the same id gives the same text wherever it appears; a prompt is its blocks in order,
 * the last cut so that the prompt has `input_length` tokens, and words of its own (drawn with its
 * index) after them when its ids cover less than that. With the usual tokenizers a filler word is
 * one token, so the text is built without counting; with others it is cut by counting.
 */
export function tracePrompts(
  trace: Trace,
  cfg: TracePromptsConfig,
): { size: number; request(i: number): TraceRequest } {
  const { vocabulary, additive } = fillerVocabulary(cfg.count);
  const reusable = reusableTokens(trace.entries, cfg.blockTokens);
  const blockSeed = (id: number) => hashString(`trace-block:${cfg.seed}${cfg.salt ?? ""}:${id}`);
  /** the prompt's words: its blocks, then its own words, `n` in all */
  const promptWords = (i: number, n: number): string[] => {
    const e = trace.entries[i];
    const out: string[] = [];
    for (const [b, take] of blockSizes(n, e.hashIds.length, cfg.blockTokens).entries()) {
      for (const w of words(blockSeed(e.hashIds[b]), take, vocabulary)) out.push(w);
    }
    if (out.length < n)
      for (const w of words(hashString(`trace-own:${cfg.seed}${cfg.salt ?? ""}:${i}`), n - out.length, vocabulary))
        out.push(w);
    return out;
  };
  return {
    size: trace.entries.length,
    request(i) {
      const e = trace.entries[i];
      const common = { atMs: e.atMs, maxTokens: e.outputLength, line: e.line };
      if (additive)
        return {
          ...common,
          text: promptWords(i, e.inputLength).join(" "),
          tokens: e.inputLength,
          reusableTokens: reusable[i],
        };
      // a tokenizer whose filler words do not add up: the most words that count to input_length at most
      const pool = promptWords(i, e.inputLength * 2 + 8);
      const textOf = (k: number) => pool.slice(0, k).join(" ");
      let lo = 0;
      let hi = pool.length;
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (cfg.count(textOf(mid)) <= e.inputLength) lo = mid;
        else hi = mid - 1;
      }
      const text = textOf(lo);
      const reusableWords = Math.min(reusable[i], lo);
      return {
        ...common,
        text,
        tokens: cfg.count(text),
        reusableTokens: reusableWords === 0 ? 0 : cfg.count(textOf(reusableWords)),
      };
    },
  };
}
