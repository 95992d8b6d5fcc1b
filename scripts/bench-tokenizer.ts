/**
 * Token counting time against answer length, for the worst text there is: letters without a space
 * (one pre-token per run), fresh each time (gpt-tokenizer caches merges of pieces it has seen).
 * `npx bun scripts/bench-tokenizer.ts` — prints ms and MB/s per size: the time grows linearly.
 */
import { countTokens, loadTokenizer, type TokenizerName } from "../src/core/tokenizer.ts";

const names: TokenizerName[] = ["o200k", "cl100k", "whitespace"];
const letters = (n: number): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  let s = "";
  for (let i = 0; i < n; i += 65536) s += String.fromCharCode(...bytes.subarray(i, i + 65536).map((b) => 97 + (b % 26)));
  return s;
};
for (const name of names) {
  await loadTokenizer(name);
  for (const kb of [64, 128, 256, 512, 1024, 2048]) {
    const text = letters(kb * 1024);
    const t = performance.now();
    const tokens = countTokens(text, name);
    const ms = performance.now() - t;
    console.log(`${name.padEnd(10)} ${String(kb).padStart(5)} KB without a space: ${String(tokens).padStart(8)} tokens in ${ms.toFixed(0).padStart(6)} ms (${(kb / 1024 / (ms / 1000)).toFixed(2)} MB/s)`);
  }
}
