/**
 * Values from the command line → numbers, durations, sizes, URLs and headers: one parser of each for
 * every command (`serve` included). Each failure is a UsageError naming the flag and the fix.
 */
import { UsageError } from "../errors.ts";

export interface NumberRule {
  min?: number;
  max?: number;
  integer?: boolean;
  /** min itself is refused (`--timeout` > 0) */
  exclusiveMin?: boolean;
}

/**
 * A number in plain decimal notation (`5`, `2.5`, `.5`, `-3`); `1e3`, `0x10`, `Infinity` and ` 5 `
 * with inner junk are refused everywhere, by every command: Number() would take them all.
 * `example` is what the hint offers (the flag's default).
 */
export function parseNumber(name: string, value: string, rule: NumberRule = {}, example: string | number = 1): number {
  const n = /^[+-]?(\d+\.?\d*|\.\d+)$/.test(value.trim()) ? Number(value) : Number.NaN;
  const what = rule.integer ? "an integer" : "a number";
  if (value.trim() === "" || !Number.isFinite(n) || (rule.integer && !Number.isInteger(n))) {
    throw new UsageError(
      `--${name} must be ${what}, got '${value}'`,
      `use ${what} ${range(rule)}, e.g. --${name} ${example}`,
    );
  }
  return checkRange(name, n, rule, example, value);
}

/** `≥ 1`, `≥ 0 and ≤ 1`, `> 0` */
function range({ min = 0, max = Number.POSITIVE_INFINITY, exclusiveMin = false }: NumberRule): string {
  return `${exclusiveMin ? ">" : "≥"} ${min}${Number.isFinite(max) ? ` and ≤ ${max}` : ""}`;
}

/** A number already parsed (the reference server's options given in code) held to the same rule and message. */
export function checkRange(
  name: string,
  n: number,
  rule: NumberRule,
  example: string | number,
  shown: string = String(n),
): number {
  const { min = 0, max = Number.POSITIVE_INFINITY, exclusiveMin = false, integer = false } = rule;
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)))
    throw new UsageError(
      `--${name} must be ${integer ? "an integer" : "a number"}, got ${shown}`,
      `e.g. --${name} ${example}`,
    );
  if (n < min || n > max || (exclusiveMin && n === min))
    throw new UsageError(`--${name} must be ${range(rule)}, got ${shown}`, `e.g. --${name} ${example}`);
  return n;
}

/** `200ms`, `1.5s`, `2m`, or a bare number in `bareUnit`; undefined when it is none of these. */
export function parseTimeMs(value: string, bareUnit: "ms" | "s"): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m)?\s*$/.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? bareUnit;
  return unit === "ms" ? n : unit === "s" ? n * 1000 : n * 60_000;
}

/** `60s`, `500ms`, `2m`, or a bare number of seconds, in ms. */
export function parseDuration(name: string, value: string, allowZero: boolean): number {
  const ms = parseTimeMs(value, "s");
  if (ms === undefined)
    throw new UsageError(`--${name} must be a duration like 30s, 500ms or 2m, got '${value}'`, `e.g. --${name} 30s`);
  if (ms < 0 || (!allowZero && ms === 0))
    throw new UsageError(`--${name} must be ${allowZero ? "≥ 0" : "> 0"}, got '${value}'`, `e.g. --${name} 30s`);
  return ms;
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

/** A size in bytes: a number with an optional binary unit (B, KiB, MiB, GiB; K/KB, M/MB, G/GB mean the same); at least 1 KiB. */
export function parseSize(name: string, value: string, example = "4MiB"): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  const unit = m ? SIZE_UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined)
    throw new UsageError(
      `--${name} must be a size such as 64MiB or 512KiB, got '${value}'`,
      `e.g. --${name} ${example}`,
    );
  const bytes = Math.floor(Number(m[1]) * unit);
  if (bytes < 1024)
    throw new UsageError(`--${name} must be at least 1KiB, got '${value}'`, `e.g. --${name} ${example}`);
  return bytes;
}

/**
 * Sweep levels: `1,2,4,8`, or a range `1..64x2` (multiply by 2 from 1 up to 64) or `10..50+10`
 * (add 10). A single value gives one level.
 */
export function parseLevels(name: string, value: string, integer: boolean): number[] {
  const hint = `e.g. --${name} 1,2,4,8 or --${name} 1..64x2 (doubling) or --${name} 10..50+10`;
  const range = /^\s*(\d+(?:\.\d+)?)\s*\.\.\s*(\d+(?:\.\d+)?)\s*(?:([x+])\s*(\d+(?:\.\d+)?))?\s*$/.exec(value);
  let levels: number[];
  if (range) {
    const [from, to, op, stepText] = [Number(range[1]), Number(range[2]), range[3] ?? "x", range[4] ?? "2"];
    const step = Number(stepText);
    if (from <= 0 || to < from || (op === "x" && step <= 1) || (op === "+" && step <= 0)) {
      throw new UsageError(`--${name} range '${value}' does not rise from a positive start`, hint);
    }
    levels = [];
    for (let x = from; x <= to * (1 + 1e-9); x = op === "x" ? x * step : x + step)
      levels.push(Number(x.toPrecision(12)));
  } else {
    levels = value
      .split(",")
      .map((part) => parseNumber(name, part.trim(), integer ? { min: 1, integer } : { min: 0, exclusiveMin: true }));
  }
  if (integer && levels.some((x) => !Number.isInteger(x)))
    throw new UsageError(`--${name} levels must be whole numbers, got '${value}'`, hint);
  if (levels.length > 64)
    throw new UsageError(`--${name} '${value}' makes ${levels.length} levels`, `64 at most; ${hint}`);
  return levels;
}

/** Query parameters whose values are secrets: redacted wherever a URL is shown or saved. */
const SECRET_PARAM = /key|token|secret|password|auth/i;

/** A URL without user:password, for reports and result files. */
export function redactUrl(url: URL): string {
  const u = new URL(url.href);
  u.username = "";
  u.password = "";
  for (const key of [...u.searchParams.keys()]) {
    if (SECRET_PARAM.test(key)) u.searchParams.set(key, "REDACTED");
  }
  return u.href;
}

export function parseUrl(name: string, value: string): URL {
  // what messages quote: never the credentials, even of a URL that does not parse
  const shown = redactUrlText(value);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(
      `--${name} is not a valid URL: '${shown}'`,
      `write a full URL, e.g. --${name} http://localhost:8000/generate`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    const guess = value.includes("://") ? "http://localhost:8000/generate" : `http://${shown}`;
    throw new UsageError(`--${name} must be an http:// or https:// URL, got '${shown}'`, `e.g. --${name} ${guess}`);
  }
  return url;
}

/**
 * `redactUrl` for text that may not parse as a URL (a bad port, no scheme): a URL with a host goes
 * through `redactUrl`; other text has the user info before the authority's last "@" shown as `***`,
 * and secret-looking query values `REDACTED`. (`user:pw@host` parses, as scheme `user:` with no
 * host: the text rule sees to it.)
 */
export function redactUrlText(text: string): string {
  const url = URL.canParse(text) ? new URL(text) : null;
  if (url !== null && url.host !== "") return redactUrl(url);
  // everything up to the last @ may be user info: a leading space, a single slash, a / inside the password
  const m = /^(\s*[a-z][a-z0-9+.-]*:\/+)?.*@/i.exec(text);
  const out = m ? `${m[1] ?? ""}***@${text.slice(m[0].length)}` : text;
  return out.replace(new RegExp(`([?&][^=&#]*(?:${SECRET_PARAM.source})[^=&#]*=)[^&#]*`, "gi"), "$1REDACTED");
}

/** The key sent as `Authorization: Bearer KEY`: refused up front (never echoed) when no header could carry it. */
export function parseApiKey(key: string | undefined): string | undefined {
  if (key !== undefined && (!isHeaderValue(key.trim()) || /\s/.test(key.trim()))) {
    throw new UsageError(
      `the API key (--api-key, LLMBENCH_API_KEY or OPENAI_API_KEY) has a space or a control character in it: no Authorization header may carry it`,
      `check the key (pasted with its line ending?)`,
    );
  }
  return key?.trim();
}

export function parseHeaders(values: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const value of values) {
    // comma-separated lists are accepted; a comma inside a value needs its own --header
    for (const part of value.split(/,(?=\s*[A-Za-z0-9-]+\s*:)/)) {
      const i = part.indexOf(":");
      const name = part.slice(0, i).trim();
      if (i <= 0 || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
        // never echo the value: it may be a credential
        throw new UsageError(
          `--header must look like 'Name: value' (a header without a name or colon was given)`,
          `e.g. --header 'X-Request-Source: llmbench'`,
        );
      }
      const v = part.slice(i + 1).trim();
      // never echo the value: it may be a credential
      if (!isHeaderValue(v))
        throw new UsageError(
          `--header ${name} has a control character (a newline, a tab, …) in its value: no HTTP header may`,
          `check the value (a secret pasted with its line ending?)`,
        );
      headers[name] = v;
    }
  }
  return headers;
}

/** What an HTTP header value may hold (RFC 9110 field-value): visible characters, spaces and tabs inside, no other control character. */
export function isHeaderValue(v: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this check's purpose
  return !/[\x00-\x08\x0a-\x1f\x7f]/.test(v);
}
