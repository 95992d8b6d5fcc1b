/**
 * Automatic prefix caching, the way vLLM does it (docs: "Automatic Prefix Caching"), for `serve --prefix-cache`.
 *
 * - A prompt's tokens (the simulator's tokens: whitespace-separated words) are cut into blocks of
 *   `blockTokens`; only full blocks are cached, a partial last block never is.
 * - A block's key is a hash of its tokens and of the key of the block before it, so a block is found
 *   only when everything before it matched too: a shared *prefix* hits, the same words later in a
 *   prompt do not. A stored block also keeps its parent key and its text, and a lookup compares them,
 *   so a hash collision is a miss, never a wrong hit.
 * - The hit is the longest run of leading blocks found, capped so that at least one prompt token is
 *   left to compute (vLLM's `num_tokens - 1` cap: a prompt that ends on a block boundary and is wholly
 *   cached reports one block less). `cachedTokens = hitBlocks × blockTokens`.
 * - After the lookup every full block of the prompt is stored or touched, last block first, so the
 *   first block ends most recently used and eviction takes the tails of prompts before their heads
 *   (vLLM frees a request's blocks in reverse order for the same reason). Eviction is LRU down to
 *   `capacityBlocks`, done after the prompt's own blocks are in, so a prompt never evicts its own hit.
 *
 * - When a request finishes, the blocks of its prompt and answer together are stored (`store`), as
 *   vLLM keeps the blocks of generated tokens: a conversation's next turn, which carries the answer
 *   in its history, finds it cached.
 *
 * Pure: no clock, no I/O. The server looks a prompt up when the request arrives, in arrival order.
 */
import { hashString } from "../core/rng.ts";

interface Block {
  parent: string;
  text: string;
}

/** Counters since start (the server serves them in /stats). */
export interface PrefixCacheCounters {
  /** prompt tokens looked up */
  queried_tokens: number;
  /** of those, found cached */
  hit_tokens: number;
  /** blocks dropped to stay within capacity */
  evicted_blocks: number;
}

export interface PrefixLookup {
  /** prompt tokens found in the cache (a multiple of the block size) */
  cachedTokens: number;
  /** full blocks of the prompt */
  blocks: number;
  /** of those, the leading ones that hit */
  hitBlocks: number;
}

/** The key of a block whose parent key is `parent` and whose tokens, joined by one space, are `text`. */
function blockKey(parent: string, text: string): string {
  // two 32-bit FNV-1a hashes over different framings: 64 bits of key, verified on lookup anyway
  const a = hashString(`${parent}\u0000${text}`);
  const b = hashString(`${text}\u0001${parent}\u0002${text.length}`);
  return `${a.toString(36)}.${b.toString(36)}`;
}

/** Whitespace-separated words: the simulator's tokens (the same count as countPromptTokens, without its floor of 1). */
export function promptWords(prompt: string): string[] {
  return prompt.split(/\s+/).filter((w) => w !== "");
}

/** How many tokens of a `promptTokens`-token prompt can hit at most with blocks of `blockTokens`: full blocks, one token left to compute. */
export function maxCachedTokens(promptTokens: number, blockTokens: number): number {
  return promptTokens < 1 ? 0 : Math.floor((promptTokens - 1) / blockTokens) * blockTokens;
}

export class PrefixCache {
  /** key → block, in LRU order (first = least recently used) */
  readonly #blocks = new Map<string, Block>();
  readonly counters: PrefixCacheCounters = { queried_tokens: 0, hit_tokens: 0, evicted_blocks: 0 };

  constructor(
    readonly blockTokens: number,
    readonly capacityBlocks: number,
  ) {
    if (!Number.isInteger(blockTokens) || blockTokens < 1)
      throw new RangeError(`blockTokens must be an integer ≥ 1, got ${blockTokens}`);
    if (!Number.isInteger(capacityBlocks) || capacityBlocks < 0)
      throw new RangeError(`capacityBlocks must be an integer ≥ 0, got ${capacityBlocks}`);
  }

  /** Blocks held now. */
  get size(): number {
    return this.#blocks.size;
  }

  /** The keys and texts of the full blocks of `tokens`, in order. */
  #blocksOf(tokens: readonly string[]): { keys: string[]; texts: string[] } {
    const b = this.blockTokens;
    const n = Math.floor(tokens.length / b);
    const keys: string[] = [];
    const texts: string[] = [];
    let parent = "";
    for (let i = 0; i < n; i++) {
      const text = tokens.slice(i * b, (i + 1) * b).join(" ");
      const key = blockKey(parent, text);
      keys.push(key);
      texts.push(text);
      parent = key;
    }
    return { keys, texts };
  }

  /** Stores (or refreshes) the blocks, last first, then evicts the least recently used down to capacity. */
  #store(keys: readonly string[], texts: readonly string[]): void {
    if (this.capacityBlocks <= 0) return;
    for (let i = keys.length - 1; i >= 0; i--) {
      this.#blocks.delete(keys[i]);
      this.#blocks.set(keys[i], { parent: i === 0 ? "" : keys[i - 1], text: texts[i] });
    }
    while (this.#blocks.size > this.capacityBlocks) {
      this.#blocks.delete(this.#blocks.keys().next().value as string);
      this.counters.evicted_blocks++;
    }
  }

  /**
   * Stores the full blocks of a finished sequence, prompt and generated tokens together (vLLM caches
   * the blocks of generated tokens too: the next turn of a conversation finds the answer cached).
   * Counts no lookup.
   */
  store(tokens: readonly string[]): void {
    const { keys, texts } = this.#blocksOf(tokens);
    this.#store(keys, texts);
  }

  /** Looks `tokens` up (the longest cached prefix of whole blocks), then stores the prompt's full blocks. */
  admit(tokens: readonly string[]): PrefixLookup {
    const b = this.blockTokens;
    const { keys, texts } = this.#blocksOf(tokens);
    const n = keys.length;
    const maxHit = maxCachedTokens(tokens.length, b) / b;
    let hitBlocks = 0;
    while (hitBlocks < maxHit) {
      const found = this.#blocks.get(keys[hitBlocks]);
      if (
        found === undefined ||
        found.text !== texts[hitBlocks] ||
        found.parent !== (hitBlocks === 0 ? "" : keys[hitBlocks - 1])
      )
        break;
      hitBlocks++;
    }
    const cachedTokens = hitBlocks * b;
    this.counters.queried_tokens += tokens.length;
    this.counters.hit_tokens += cachedTokens;

    this.#store(keys, texts);
    return { cachedTokens, blocks: n, hitBlocks };
  }

  clear(): void {
    this.#blocks.clear();
  }
}
