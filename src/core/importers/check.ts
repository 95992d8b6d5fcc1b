/** Small structural checks for documents read from files: each failure names the file and the field. */
import { UsageError } from "../errors.ts";
import { isRecord } from "../guards.ts";

export type Obj = Record<string, unknown>;

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
    if (!isRecord(x)) this.fail(`${path} is not an object`);
    return x;
  }

  num(x: unknown, path: string, { min = -Infinity, integer = false } = {}): number {
    if (!isNum(x) || x < min || (integer && !Number.isInteger(x))) {
      this.fail(
        `${path} is ${typeof x === "number" ? String(x) : (JSON.stringify(x) ?? "missing")}, expected ${integer ? "an integer" : "a number"}${min > -Infinity ? ` ≥ ${min}` : ""}`,
      );
    }
    return x;
  }

  numOrNull(x: unknown, path: string): number | null {
    return x === null ? null : this.num(x, path);
  }

  numbers(x: unknown, path: string, { min = -Infinity } = {}): number[] {
    if (!Array.isArray(x) || !x.every(isNum)) this.fail(`${path} is not a list of numbers`);
    const below = (x as number[]).findIndex((v) => v < min);
    if (below >= 0) this.fail(`${path}[${below}] is ${(x as number[])[below]}, expected a number ≥ ${min}`);
    return x as number[];
  }
}

/**
 * How deeply a value nests objects and arrays (a number or string: 0), counted with a stack of its
 * own, never by recursion: a crafted document 100,000 levels deep is measured, not a stack overflow.
 * Stops counting once past `limit`.
 */
export function nestingDepth(x: unknown, limit: number = Infinity): number {
  return scanJson(x, limit).depth;
}

/**
 * One walk over a parsed document: how deeply it nests (stopping once past `limit`), and whether it
 * holds a number JSON cannot write (`1e400` parses as Infinity): the schema's "number" admits it.
 */
export function scanJson(x: unknown, limit: number = Infinity): { depth: number; nonFinite: boolean } {
  let deepest = 0;
  let nonFinite = typeof x === "number" && !Number.isFinite(x);
  const stack: Array<[unknown, number]> = [[x, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (depth > deepest) {
      deepest = depth;
      if (deepest > limit) return { depth: deepest, nonFinite };
    }
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
      else if (typeof child === "number" && !Number.isFinite(child)) nonFinite = true;
    }
  }
  return { depth: deepest, nonFinite };
}

/** The path (`requests[2].tEnd`) of the first number that is not finite, depth first in document order. */
export function nonFinitePath(x: unknown, at = ""): string | null {
  if (typeof x === "number") return Number.isFinite(x) ? null : at;
  if (typeof x !== "object" || x === null) return null;
  // only called on a document scanJson found one in: its depth is bounded by MAX_NESTING
  for (const [k, v] of Object.entries(x)) {
    const found = nonFinitePath(v, Array.isArray(x) ? `${at}[${k}]` : at === "" ? k : `${at}.${k}`);
    if (found !== null) return found;
  }
  return null;
}

/**
 * The deepest nesting a result file may have. An llmbench result nests 8 levels (a sweep level's
 * record's token times); 64 leaves room for an `--extra-body` of any sensible shape.
 */
export const MAX_NESTING = 64;

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
