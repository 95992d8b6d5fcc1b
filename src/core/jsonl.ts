/** JSONL input files (prompts, sessions, traces): one JSON object a line, read once, every error naming its line. */
import { UsageError } from "./errors.ts";

/** A line's text as an error quotes it: at most `n` characters. */
export const clip = (line: string, n = 80): string => (line.length > n ? `${line.slice(0, n)}…` : line);

export interface JsonLine {
  value: Record<string, unknown>;
  /** 1-based */
  line: number;
  /** `file:line`, for the error that names it */
  where: string;
}

/** Each non-blank line of `text` as a JSON object; a line that is not one is a UsageError naming it, with `fix`. */
export function* jsonObjectLines(text: string, source: string, fix: string): Generator<JsonLine> {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === "") continue;
    const where = `${source}:${i + 1}`;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      throw new UsageError(`${where}: not valid JSON: ${clip(raw)}`, fix);
    }
    if (typeof v !== "object" || v === null || Array.isArray(v))
      throw new UsageError(`${where}: not a JSON object: ${clip(raw)}`, fix);
    yield { value: v as Record<string, unknown>, line: i + 1, where };
  }
}
