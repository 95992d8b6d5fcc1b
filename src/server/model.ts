/** The simulated model's text: deterministic words, one word per token, chosen by a hash of (prompt, index). */
import { createRng, hashString } from "../core/rng.ts";

/** 64 plain ASCII words; every token is `" " + WORD`, so counting words counts tokens. */
export const VOCABULARY = [
  "the",
  "model",
  "token",
  "river",
  "stone",
  "light",
  "quick",
  "green",
  "cloud",
  "paper",
  "north",
  "table",
  "seven",
  "music",
  "ocean",
  "bread",
  "tiger",
  "plain",
  "signal",
  "garden",
  "window",
  "silver",
  "engine",
  "forest",
  "planet",
  "market",
  "winter",
  "bridge",
  "number",
  "yellow",
  "castle",
  "letter",
  "mirror",
  "orange",
  "pocket",
  "rocket",
  "shadow",
  "summer",
  "ticket",
  "velvet",
  "anchor",
  "basket",
  "candle",
  "dragon",
  "falcon",
  "harbor",
  "island",
  "jacket",
  "kettle",
  "ladder",
  "meadow",
  "needle",
  "oyster",
  "pencil",
  "quartz",
  "ribbon",
  "saddle",
  "tunnel",
  "umbrella",
  "valley",
  "wagon",
  "yarn",
  "zebra",
  "echo",
] as const;

/** Prompt tokens as the simulator counts them: whitespace-separated words, at least 1. */
export function countPromptTokens(prompt: string): number {
  let n = 0;
  for (const w of prompt.split(/\s+/)) if (w !== "") n++;
  return Math.max(1, n);
}

/** A seed for one prompt's answer; pass it to `tokenText`. */
export function answerSeed(prompt: string): number {
  return hashString(prompt);
}

/** Token `index` (0-based) of the answer whose seed is `seed`: `" " + WORD`. */
export function tokenText(seed: number, index: number): string {
  const rng = createRng((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  rng.next();
  return " " + VOCABULARY[rng.int(VOCABULARY.length)];
}

/** The whole answer: exactly `maxTokens` tokens. */
export function answerText(prompt: string, maxTokens: number): string {
  const seed = answerSeed(prompt);
  let s = "";
  for (let i = 0; i < maxTokens; i++) s += tokenText(seed, i);
  return s;
}
