/** `--tokenizer FILE`: a Hugging Face tokenizer.json read from disk (never fetched), and the label it is known by. */
import { existsSync } from "node:fs";
import { UsageError } from "../core/errors.ts";
import { tokenizerFileLabel } from "../core/tokenizer.ts";
import { contentSha256, readInputFile } from "./files.ts";

/** Tokenizer files of real models run to ~10–30 MB (Qwen's 11 MB, Gemma's 33 MB); past this it is not one. */
export const MAX_TOKENIZER_FILE_BYTES = 256 * 1024 * 1024;

export const TOKENIZER_FILE_HINT =
  "--tokenizer takes whitespace, o200k, cl100k, or the path of a model's Hugging Face tokenizer.json";

/** The file's text and its label (base name and SHA-256 of the text as UTF-8, i.e. of the file's bytes). */
export async function readTokenizerFile(path: string): Promise<{ label: string; text: string }> {
  // a bare word that is no file was meant as a name: say so, not just "no such file"
  if (!/[\\/]/.test(path) && !path.toLowerCase().endsWith(".json") && !existsSync(path)) {
    throw new UsageError(
      `--tokenizer ${path}: no built-in tokenizer has that name, and there is no such file`,
      TOKENIZER_FILE_HINT,
    );
  }
  let text: string;
  try {
    text = await readInputFile(path, TOKENIZER_FILE_HINT, MAX_TOKENIZER_FILE_BYTES);
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(`--tokenizer: ${e.message}`, e.hint);
    throw e;
  }
  return { label: tokenizerFileLabel(path, contentSha256(text)), text };
}
