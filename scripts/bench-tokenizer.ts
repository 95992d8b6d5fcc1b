/**
 * Token counting time against answer length, for the worst text there is: letters without a space
 * (one pre-token per run), fresh each time (gpt-tokenizer caches merges of pieces it has seen).
 * `npx bun scripts/bench-tokenizer.ts` — prints ms and MB/s per size: the time grows linearly.
 * `--file PATH` adds a Hugging Face tokenizer.json (as `run --tokenizer PATH` loads it), e.g.
 * test/fixtures/tokenizers/mistral-7b/tokenizer.json, and prose (words and spaces) beside the letters.
 */
import {
  countTokens,
  loadTokenizer,
  loadTokenizerJson,
  type TokenizerId,
  type TokenizerName,
} from "../src/core/tokenizer.ts";
import { readTokenizerFile } from "../src/io/tokenizer-file.ts";
import { arg } from "./lib/args.ts";

const names: TokenizerId[] = ["o200k", "cl100k", "whitespace"];
const file = arg("file", "");
if (file !== "") {
  const t = performance.now();
  const { label, text } = await readTokenizerFile(file);
  await loadTokenizerJson(label, text);
  console.log(`${label}: read and built in ${(performance.now() - t).toFixed(0)} ms`);
  names.push(label);
}
const letters = (n: number): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  let s = "";
  for (let i = 0; i < n; i += 65536)
    s += String.fromCharCode(...bytes.subarray(i, i + 65536).map((b) => 97 + (b % 26)));
  return s;
};
/** words of 2–9 letters and a space, fresh each time */
const prose = (n: number): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  let s = "";
  for (let i = 0; i < n; ) {
    const len = 2 + (bytes[i] % 8);
    for (let k = 0; k < len && i < n; k++, i++) s += String.fromCharCode(97 + (bytes[i] % 26));
    s += " ";
    i++;
  }
  return s;
};
for (const name of names) {
  if (name !== names[names.length - 1] || file === "") await loadTokenizer(name as TokenizerName);
  for (const [kind, make] of file === ""
    ? ([["without a space", letters]] as const)
    : ([
        ["without a space", letters],
        ["of prose", prose],
      ] as const)) {
    for (const kb of [64, 128, 256, 512, 1024, 2048]) {
      const text = make(kb * 1024);
      const t = performance.now();
      const tokens = countTokens(text, name);
      const ms = performance.now() - t;
      console.log(
        `${name.padEnd(10)} ${String(kb).padStart(5)} KB ${kind}: ${String(tokens).padStart(8)} tokens in ${ms.toFixed(0).padStart(6)} ms (${(kb / 1024 / (ms / 1000)).toFixed(2)} MB/s)`,
      );
    }
  }
}
