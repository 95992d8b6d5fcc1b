/**
 * Prompts: synthetic text of a controlled length (by the run's tokenizer), with an optional shared
 * prefix, or prompts read from a file (JSONL with `prompt` or chat `messages`, or ShareGPT JSON).
 * Seeded: the same seed gives the same workload. Pure.
 */
import { UsageError } from "./errors.ts";
import { jsonObjectLines } from "./jsonl.ts";
import type { ChatMessage } from "./protocols/types.ts";
import { normal } from "./rng.ts";
import { createRng, hashString } from "./rng.ts";

const WORDS = (
  "the of and to in is was for on that with as by at from it an be this which or are have not had but " +
  "system model token latency batch cache server request stream prompt answer benchmark measure queue " +
  "river mountain garden window letter engine signal harbor forest lantern market silver winter summer " +
  "planet ocean station bridge castle valley thunder meadow pencil rocket violin canyon island shadow"
).split(" ");

export interface PromptItem {
  text: string;
  messages?: ChatMessage[];
  /** `text`'s token count by the workload's own counter, when it counted it (synthetic prompts): not counted again */
  tokens?: number;
  /** max_tokens of this prompt's request, where the workload sets it (a trace's output_length); else --max-tokens */
  maxTokens?: number;
  /** of its tokens, how many the workload made reusable (a prefix sent before), when the workload knows */
  reusableTokens?: number;
}

export interface Workload {
  /** where prompts come from, for the result's config ("synthetic" or the file's name) */
  readonly source: string;
  /** how many distinct prompts there are (Infinity for synthetic) */
  readonly size: number;
  /** prompt `id` (stable within a run) */
  prompt(id: number): PromptItem;
  /** tokens every prompt starts with (synthetic --prefix-tokens, as counted); absent or 0: none */
  readonly sharedPrefixTokens?: number;
}

export interface LengthSpec {
  mean: number;
  stdev: number;
}

/** `512` or `512:128` (mean:stdev) */
export function parseLength(name: string, value: string): LengthSpec {
  const m = /^\s*(\d+)\s*(?::\s*(\d+(?:\.\d+)?)\s*)?$/.exec(value);
  if (!m || Number(m[1]) < 1) {
    throw new UsageError(
      `--${name} must be a token count or mean:stdev, got '${value}'`,
      `e.g. --${name} 512 or --${name} 512:128`,
    );
  }
  return { mean: Number(m[1]), stdev: m[2] === undefined ? 0 : Number(m[2]) };
}

type Count = (text: string) => number;

/** `n` filler words drawn with `seed` (the same seed gives the same words, and its first k words are the first k of any longer draw). */
export function words(seed: number, n: number, vocabulary: readonly string[] = WORDS): string[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => vocabulary[rng.int(vocabulary.length)]);
}

const join = (head: string, filler: string[]) =>
  head === "" ? filler.join(" ") : filler.length === 0 ? head : `${head} ${filler.join(" ")}`;

/**
 * `target` tokens of filler after `head`, with the whole text's count, built without counting: every
 * word of `vocabulary` is one token alone and after a space, and the tokenizer cuts before each
 * space-led word (o200k's and cl100k's pre-tokenizers do; whitespace counting trivially), so the
 * text is `count(head) + target` tokens exactly. syntheticWorkload checks that this holds for the
 * run's tokenizer before it relies on it.
 */
function fillByWords(
  seed: number,
  target: number,
  head: string,
  headTokens: number,
  vocabulary: readonly string[],
): { text: string; tokens: number } {
  const n = Math.max(0, target);
  // the text of join(head, words(seed, n, vocabulary)), appended word by word: no array per prompt
  const rng = createRng(seed);
  let text = head;
  for (let i = 0; i < n; i++) text += (text === "" ? "" : " ") + vocabulary[rng.int(vocabulary.length)];
  return { text, tokens: headTokens + n };
}

/**
 * The same for a tokenizer where words do not add up: grown or trimmed a word at a time from a first
 * guess, counting the whole text at each step (a few steps; the head is counted once).
 */
function fillByCounting(
  seed: number,
  target: number,
  count: Count,
  head: string,
  headTokens: number,
): { text: string; tokens: number } {
  if (target <= 0) return { text: head, tokens: headTokens };
  const pool = words(seed, target * 2 + 8);
  let n = Math.min(target, pool.length);
  const text = (k: number) => join(head, pool.slice(0, k));
  let counted = { n: -1, tokens: 0 };
  for (let step = 0; step < 64; step++) {
    counted = { n, tokens: count(text(n)) };
    const have = counted.tokens - headTokens;
    if (have === target || n <= 0 || n >= pool.length) break;
    n += have < target ? Math.max(1, Math.floor((target - have) / 2)) : -Math.max(1, Math.floor((have - target) / 2));
  }
  const final = Math.max(0, n);
  const full = text(final);
  return { text: full, tokens: counted.n === final ? counted.tokens : count(full) };
}

export interface SyntheticConfig {
  seed: number;
  inputTokens: LengthSpec;
  /** tokens of text every prompt starts with (part of inputTokens) */
  prefixTokens: number;
  count: Count;
  /** part of every tag: keeps the levels of a sweep apart (same lengths, no prompt shared) */
  salt?: string;
}

/**
 * Synthetic prompts: [shared prefix] + a unique tag `[llmbench SEED-ID]` + filler, `inputTokens`
 * long in all (by the run's tokenizer). The tag keeps prompts distinct within and across seeds, so a
 * run is never served from an earlier run's cache by accident.
 */
export function syntheticWorkload(cfg: SyntheticConfig): Workload {
  const { vocabulary, additive } = fillerVocabulary(cfg.count);
  const fill = (seed: number, target: number, head: string): { text: string; tokens: number } => {
    const headTokens = head === "" ? 0 : cfg.count(head);
    return additive
      ? fillByWords(seed, target - headTokens, head, headTokens, vocabulary)
      : fillByCounting(seed, target - headTokens, cfg.count, head, headTokens);
  };
  const prefixFill =
    cfg.prefixTokens > 0 ? fill(hashString(`prefix:${cfg.seed}`), cfg.prefixTokens, "") : { text: "", tokens: 0 };
  const prefix = prefixFill.text;
  const lengths = createRng(hashString(`lengths:${cfg.seed}`));
  // 4 bytes a prompt (a Map took ~60: 1M requests held 60 MB of lengths, see README "Long runs")
  let lengthOf = new Uint32Array(1024);
  let drawn = 0;
  const length = (id: number) => {
    // lengths are drawn in id order so they do not depend on the order prompts are asked for
    while (drawn <= id) {
      const x =
        cfg.inputTokens.stdev > 0
          ? cfg.inputTokens.mean + cfg.inputTokens.stdev * normal(lengths)
          : cfg.inputTokens.mean;
      if (drawn === lengthOf.length) {
        const grown = new Uint32Array(lengthOf.length * 2);
        grown.set(lengthOf);
        lengthOf = grown;
      }
      lengthOf[drawn++] = Math.min(0xffffffff, Math.max(1, Math.round(x)));
    }
    return lengthOf[id];
  };
  return {
    source: "synthetic",
    size: Number.POSITIVE_INFINITY,
    sharedPrefixTokens: prefixFill.tokens,
    prompt(id) {
      const head = join(prefix, [`[llmbench ${cfg.seed}${cfg.salt ?? ""}-${id}]`]);
      return fill(hashString(`${cfg.seed}:${id}`), length(id), head);
    },
  };
}

/**
 * The filler words that are one token by this tokenizer, alone and after a space (all of them, for
 * the usual ones), and whether they add up: a text of n of them is then n tokens, without counting.
 */
export function fillerVocabulary(count: Count): { vocabulary: readonly string[]; additive: boolean } {
  // filler words that are one token by this tokenizer, alone and after a space (all of them, for the usual ones);
  // "w w", not " w": a SentencePiece tokenizer (Mistral 7B, Llama 2) counts a leading space as a token of its own
  const vocabulary = WORDS.filter((w) => count(w) === 1 && count(`${w} ${w}`) === 2);
  return {
    vocabulary: vocabulary.length > 0 ? vocabulary : WORDS,
    additive: vocabulary.length >= 16 && addsUp(vocabulary, count),
  };
}

/**
 * Whether words of `vocabulary` add up, one token each, after a head like a prompt's (a shared
 * prefix, then the tag): checked on a few texts against the tokenizer itself, once per workload.
 */
function addsUp(vocabulary: readonly string[], count: Count): boolean {
  return [0, 1, 2].every((i) => {
    const head = join(i === 2 ? join("", words(7, 5, vocabulary)) : "", [`[llmbench ${i}-${i * 977}]`]);
    const filler = words(i + 11, 40, vocabulary);
    return count(join(head, filler)) === count(head) + filler.length && count(filler.join(" ")) === filler.length;
  });
}

/** Prompts from a file, in an order shuffled with the seed; past the end they wrap around. */
export function fileWorkload(items: readonly PromptItem[], source: string, seed: number): Workload {
  const order = items.map((_, i) => i);
  const rng = createRng(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return { source, size: items.length, prompt: (id) => items[order[id % order.length]] };
}

const flatten = (messages: ChatMessage[]) => messages.map((m) => m.content).join("\n");

function asMessages(v: unknown, where: string): ChatMessage[] {
  if (!Array.isArray(v) || v.length === 0)
    throw new UsageError(
      `${where}: "messages" must be a non-empty array`,
      `write {"messages": [{"role": "user", "content": "..."}]}`,
    );
  return v.map((m, i) => {
    if (typeof m?.content !== "string" || typeof m?.role !== "string") {
      throw new UsageError(
        `${where}: messages[${i}] needs string "role" and "content"`,
        `write {"role": "user", "content": "..."}`,
      );
    }
    return { role: m.role, content: m.content };
  });
}

/** ShareGPT: [{conversations: [{from: "human"|"gpt", value}]}] — the first human turn is the prompt. */
function parseShareGpt(data: unknown[], source: string): PromptItem[] {
  const items: PromptItem[] = [];
  data.forEach((entry, i) => {
    const turns = (entry as { conversations?: unknown })?.conversations;
    if (!Array.isArray(turns))
      throw new UsageError(
        `${source}: entry ${i + 1} has no "conversations" array`,
        `ShareGPT files are [{"conversations": [{"from": "human", "value": "..."}]}]`,
      );
    const first = turns.find(
      (t) => (t as { from?: string })?.from === "human" || (t as { from?: string })?.from === "user",
    ) as { value?: unknown } | undefined;
    if (first && typeof first.value === "string" && first.value !== "")
      items.push({ text: first.value, messages: [{ role: "user", content: first.value }] });
  });
  return items;
}

/**
 * Parse a prompts file: JSONL, one object a line with a string `prompt` or chat `messages`
 * (blank lines skipped), or a JSON array in ShareGPT's layout. Errors name the line.
 */
export function parsePromptsFile(text: string, source: string): PromptItem[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith("[")) {
    let data: unknown;
    try {
      data = JSON.parse(trimmed);
    } catch (e) {
      throw new UsageError(
        `${source}: not valid JSON (${(e as Error).message})`,
        `a JSON prompts file is ShareGPT's layout: [{"conversations": [...]}]`,
      );
    }
    const items = parseShareGpt(data as unknown[], source);
    if (items.length === 0) throw new UsageError(`${source}: no prompt found`, `each entry needs a human turn`);
    return items;
  }
  const items: PromptItem[] = [];
  for (const { value: o, where } of jsonObjectLines(
    text,
    source,
    `one JSON object a line: {"prompt": "..."} or {"messages": [...]}`,
  )) {
    if (typeof o.prompt === "string") {
      items.push({ text: o.prompt });
    } else if (o.messages !== undefined) {
      const messages = asMessages(o.messages, where);
      items.push({ text: flatten(messages), messages });
    } else {
      throw new UsageError(
        `${where}: needs a string "prompt" or a "messages" array`,
        `one JSON object a line: {"prompt": "..."} or {"messages": [...]}`,
      );
    }
  }
  if (items.length === 0)
    throw new UsageError(`${source}: no prompt found`, `one JSON object a line: {"prompt": "..."}`);
  return items;
}
