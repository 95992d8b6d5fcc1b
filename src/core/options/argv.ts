/**
 * The one strict parsing step every command's arguments go through, and the one rule for suggesting
 * a name (of a flag or of a command) for a typo.
 *
 * Each command declares its flags once, in a table (`FlagTable`): type, alias, help text and
 * default. citty renders help from it (commands/args.ts) and dispatches; `parseArgv` reads the command
 * line from it with `node:util` `parseArgs`. citty's own parse is not used: it takes every value as
 * a string, keeps the last of a repeated flag and drops an unknown flag silently (its value becomes a
 * positional). `parseArgs` runs with `strict: false` and its tokens are checked here instead, so
 * every refusal is ours: an unknown flag names the nearest valid one, a flag without its value says so.
 */
import { parseArgs } from "node:util";
import { UsageError } from "../errors.ts";

export interface FlagSpec {
  type: "string" | "boolean";
  /** a one-letter alias: `-n` */
  alias?: string;
  description: string;
  /** the default as it would be typed: `help` shows it, the parser uses it; absent when it depends on other options */
  default?: string | boolean;
  /** shown in help: `--timeout=<s>` */
  valueHint?: string;
  /** may be given several times, every value kept (`--header`); otherwise the last one counts */
  multiple?: boolean;
}

export type FlagTable = Record<string, FlagSpec>;

export interface ParsedArgs {
  /** the command, for messages: `run` */
  command: string;
  /** a flag's value as given (the last one, for a flag given several times), else its default from the table */
  get(name: string): string | undefined;
  /** a flag's value as given, undefined when absent (`--requests` and `--duration` clash only when both are given) */
  given(name: string): string | undefined;
  /** a boolean flag: true, false (`--no-X`) or its default */
  flag(name: string): boolean | undefined;
  /** every value of a `multiple` flag */
  all(name: string): string[];
  /** arguments that are not flags, before `--` */
  positionals: string[];
  /** arguments after `--` (null when there is no `--`) */
  rest: string[] | null;
}

export interface ArgvShape {
  /** how many positionals the command takes (default 0) */
  positionals?: number;
}

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

/**
 * The name meant by a typo, for flags and commands alike: the one name the input begins (`conc` →
 * `concurrency`, `comp` → `compare`), else the nearest by edit distance when it is close for its
 * length (`requets` → `requests`, `runn` → `run`; `rate` is not a typo of `api`). Undefined otherwise.
 */
export function suggest(input: string, names: readonly string[]): string | undefined {
  const candidates = names.filter((n) => n.length > 1);
  const prefixed = input.length >= 2 ? candidates.filter((n) => n.startsWith(input)) : [];
  if (prefixed.length === 1) return prefixed[0];
  const nearest = [...candidates].sort((a, b) => distance(input, a) - distance(input, b))[0];
  return nearest !== undefined && distance(input, nearest) <= Math.max(2, Math.floor(input.length / 3))
    ? nearest
    : undefined;
}

/** A value that is really the next flag: `--output --json`. A lone `-` and negative numbers are values. */
const looksLikeFlag = (v: string) => v.startsWith("-") && v !== "-" && !/^-\.?\d/.test(v);

/** The strict parse: unknown flags, missing values and stray positionals are refused with the fix. */
/** `argv` as node:util's parseArgs reads it against `table` (camelCase flags taken as kebab-case), each option's alias resolved to its name. */
function tokenize(argv: readonly string[], table: FlagTable) {
  const names = Object.keys(table);
  const aliases = new Map(names.flatMap((n) => (table[n].alias ? [[table[n].alias!, n] as const] : [])));
  // citty accepted --maxTokens for --max-tokens: so does this
  const args = argv.map((a) => {
    const m = /^--([a-zA-Z][a-zA-Z0-9]*)(=.*)?$/s.exec(a);
    return m && /[A-Z]/.test(m[1]) && table[kebab(m[1])] ? `--${kebab(m[1])}${m[2] ?? ""}` : a;
  });
  const options = Object.fromEntries(
    names.map((n) => {
      const s = table[n];
      return [n, { type: s.type, ...(s.alias ? { short: s.alias } : {}), ...(s.multiple ? { multiple: true } : {}) }];
    }),
  );
  const { tokens } = parseArgs({
    args: [...args],
    options,
    strict: false,
    allowPositionals: true,
    allowNegative: true,
    tokens: true,
  });
  return {
    names,
    tokens: tokens.map((t) =>
      t.kind === "option" && t.name.length === 1 ? { ...t, name: aliases.get(t.name) ?? t.name } : t,
    ),
  };
}

/**
 * `argv` without the flags named in `drop` (and their values), however they were written (`-w2`,
 * `--workers=2`, `-qw 2`, `--no-records`); what is kept is written out in full (`--name=value`).
 */
export function argvWithout(argv: readonly string[], table: FlagTable, drop: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const t of tokenize(argv, table).tokens) {
    if (t.kind === "option-terminator") out.push("--");
    else if (t.kind === "positional") out.push(t.value);
    else if (!drop.has(t.name)) {
      const flag = t.rawName.startsWith("--no-") ? `--no-${t.name}` : `--${t.name}`;
      out.push(t.value === undefined ? flag : `${flag}=${t.value}`);
    }
  }
  return out;
}

export function parseArgv(
  argv: readonly string[],
  table: FlagTable,
  command: string,
  shape: ArgvShape = {},
): ParsedArgs {
  const help = `see 'llmbench ${command} --help'`;
  const { names, tokens } = tokenize(argv, table);
  const values = new Map<string, string[]>();
  const flags = new Map<string, boolean>();
  const positionals: string[] = [];
  let rest: string[] | null = null;
  for (const t of tokens) {
    if (t.kind === "option-terminator") {
      rest = [];
      continue;
    }
    if (t.kind === "positional") {
      if (rest !== null) rest.push(t.value);
      else if (positionals.push(t.value) > (shape.positionals ?? 0))
        throw new UsageError(`unexpected argument '${t.value}' for 'llmbench ${command}'`, help);
      continue;
    }
    const name = t.name;
    const spec = table[name];
    if (spec === undefined) {
      const bare = t.name.replace(/^no-/, "");
      const near = suggest(bare, names);
      const hint =
        bare === "version" || bare === "v"
          ? "'llmbench --version' prints the version"
          : near
            ? `did you mean '--${near}'?`
            : help;
      throw new UsageError(`unknown option '${t.rawName}' for 'llmbench ${command}'`, hint);
    }
    if (spec.type === "boolean") {
      if (t.value !== undefined)
        throw new UsageError(
          `${t.rawName} takes no value, got '${t.rawName}=${t.value}'`,
          `write ${t.rawName}${t.rawName.startsWith("--no-") ? "" : `, or --no-${name}`}`,
        );
      flags.set(name, !t.rawName.startsWith("--no-"));
      continue;
    }
    if (t.rawName.startsWith("--no-"))
      throw new UsageError(`${t.rawName}: --${name} takes a value, it cannot be turned off`, help);
    // a flag that takes a value: without one, or followed by another flag, it is refused (never quietly its default)
    if (t.value === undefined || (!t.inlineValue && looksLikeFlag(t.value)))
      throw new UsageError(`${t.rawName} needs a value`, `write ${t.rawName} VALUE; ${help}`);
    values.set(name, [...(values.get(name) ?? []), t.value]);
  }
  const given = (name: string) => {
    const v = values.get(name);
    // an empty value is no value: `--output ''` is the default
    return v === undefined || v[v.length - 1] === "" ? undefined : v[v.length - 1];
  };
  return {
    command,
    given,
    get: (name) =>
      given(name) ?? (typeof table[name]?.default === "string" ? (table[name].default as string) : undefined),
    flag: (name) =>
      flags.get(name) ?? (typeof table[name]?.default === "boolean" ? (table[name].default as boolean) : undefined),
    all: (name) => values.get(name) ?? [],
    positionals,
    rest,
  };
}
