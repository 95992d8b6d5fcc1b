/** Small structural checks for documents read from files: each failure names the file and the field. */
import { UsageError } from "../errors.ts";

export type Obj = Record<string, unknown>;

export const isObj = (x: unknown): x is Obj => typeof x === "object" && x !== null && !Array.isArray(x);
export const isNum = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);

export class Checker {
  constructor(
    readonly source: string,
    readonly what: string,
    readonly hint: string,
  ) {}

  fail(why: string): never {
    throw new UsageError(`${this.source} is a damaged ${this.what}: ${why}`, this.hint);
  }

  obj(x: unknown, path: string): Obj {
    if (!isObj(x)) this.fail(`${path} is not an object`);
    return x;
  }

  num(x: unknown, path: string, { min = -Infinity, integer = false } = {}): number {
    if (!isNum(x) || x < min || (integer && !Number.isInteger(x))) {
      this.fail(`${path} is ${JSON.stringify(x) ?? "missing"}, expected ${integer ? "an integer" : "a number"}${min > -Infinity ? ` ≥ ${min}` : ""}`);
    }
    return x;
  }

  numOrNull(x: unknown, path: string): number | null {
    return x === null ? null : this.num(x, path);
  }

  numbers(x: unknown, path: string): number[] {
    if (!Array.isArray(x) || !x.every(isNum)) this.fail(`${path} is not a list of numbers`);
    return x as number[];
  }
}

/**
 * Whether a text that failed to parse as JSON looks cut short: it opens an object or array (or a
 * string) that it never closes.
 */
export function looksTruncated(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") depth--;
  }
  return inString || depth > 0;
}
