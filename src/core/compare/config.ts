/**
 * Are two runs comparable? Their configurations are compared key by key (generically: a key the
 * run command gains later is compared too), and every difference is listed. Pure.
 *
 *  - refuse (exit 2 unless --allow-mismatch): anything that changes what is measured — the API,
 *    the endpoint's path, model, stream, load (concurrency, rate, burstiness, ramp-up), prompts
 *    (source, lengths, prefix, repeats), max tokens, tokenizer, extra body, and any key not listed
 *    below;
 *  - note: the endpoint's host and port (the same server moved, or a candidate deployment), the seed
 *    (random by default, so that a rerun is not served from the first run's cache), how many
 *    requests were measured and warmed up (precision, not meaning), SLOs (only goodput depends on
 *    them), the tool and its version, and any key one file does not record;
 *  - ignore: where and how the result was written, the timeout, which headers were sent.
 */
import type { RunData } from "../importers/types.ts";
import { sameTokenizerFile } from "../tokenizer.ts";

export const IGNORED_KEYS: ReadonlySet<string> = new Set([
  "output",
  "records",
  "records_file",
  "bounded",
  "quiet",
  "json",
  "timeout_s",
  "header_names",
  "api_key_set",
]);

/** Keys whose difference is listed as a note, with why it does not matter. */
export const NOTE_KEYS: Readonly<Record<string, string>> = {
  seed: "the default seed is random per run, so that a rerun is not served from the first run's cache",
  requests: "sample size changes precision, not what is measured",
  duration_s: "sample size changes precision, not what is measured",
  warmup: "warm-up requests are not measured",
  runs: "how many runs a file holds changes precision, not what is measured",
  slo: "only goodput depends on the SLOs; it is compared only under the same SLOs",
};

export interface ConfigDifference {
  key: string;
  base: string;
  cand: string;
  baseSource: string;
  candSource: string;
  severity: "refuse" | "note";
  why?: string;
}

/** JSON with sorted keys: equal values print equally. */
function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(",")}]`;
  if (typeof x === "object" && x !== null) {
    return `{${Object.keys(x)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((x as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(x) ?? "undefined";
}

const isPlain = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

function show(x: unknown): string {
  if (x === undefined) return "not recorded";
  const s = typeof x === "string" ? x : canonical(x);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

function splitEndpoint(endpoint: unknown): { origin: string; path: string } | null {
  if (typeof endpoint !== "string") return null;
  try {
    const u = new URL(endpoint);
    return { origin: `${u.protocol}//${u.host}`, path: `${u.pathname}${u.search}` };
  } catch {
    return { origin: "", path: endpoint };
  }
}

/** Every difference between the configurations (and tools) of two runs. */
export function configDifferences(a: RunData, b: RunData): ConfigDifference[] {
  const out: ConfigDifference[] = [];
  const add = (key: string, x: unknown, y: unknown, severity: "refuse" | "note", why?: string) =>
    out.push({ key, base: show(x), cand: show(y), baseSource: a.source, candSource: b.source, severity, why });
  const keys = [...new Set([...Object.keys(a.config), ...Object.keys(b.config)])];
  for (const key of keys) {
    if (IGNORED_KEYS.has(key)) continue;
    const x = a.config[key];
    const y = b.config[key];
    if (x === undefined || y === undefined) {
      if (x !== y) add(key, x, y, "note", `not recorded by ${x === undefined ? a.source : b.source}`);
      continue;
    }
    if (key === "endpoint") {
      const ex = splitEndpoint(x)!;
      const ey = splitEndpoint(y)!;
      if (ex.path !== ey.path) add("endpoint path", ex.path, ey.path, "refuse");
      if (ex.origin !== ey.origin)
        add("endpoint host", ex.origin, ey.origin, "note", "the same API on another host or port");
      continue;
    }
    if (canonical(x) === canonical(y)) continue;
    // a trace or sessions file: each part apart (the one that differs shows whole), and the file by its contents
    if ((key === "trace" || key === "sessions") && isPlain(x) && isPlain(y)) {
      const sameContents = typeof x.sha256 === "string" && x.sha256 === y.sha256;
      for (const sub of [...new Set([...Object.keys(x), ...Object.keys(y)])]) {
        if (canonical(x[sub]) === canonical(y[sub])) continue;
        if (sub === "file" && sameContents)
          add(`${key}.file`, x[sub], y[sub], "note", "the same file (equal SHA-256) at another path");
        else if (sub === "sha256" && (x[sub] === undefined || y[sub] === undefined))
          add(`${key}.sha256`, x[sub], y[sub], "note", "not recorded by an older file");
        else add(`${key}.${sub}`, x[sub], y[sub], "refuse");
      }
      continue;
    }
    // --tokenizer FILE is recorded as name@sha256:…: one file under two names counts alike
    if (key === "tokenizer" && typeof x === "string" && typeof y === "string" && sameTokenizerFile(x, y)) {
      add(key, x, y, "note", "the same tokenizer file (equal SHA-256) under another name");
      continue;
    }
    if (NOTE_KEYS[key]) add(key, x, y, "note", NOTE_KEYS[key]);
    else add(key, x, y, "refuse");
  }
  if (a.tool !== b.tool) {
    const both = a.tool.startsWith("llmbench") && b.tool.startsWith("llmbench");
    add(
      "tool",
      a.tool,
      b.tool,
      "note",
      both ? "another version of llmbench" : "another tool: the notes say how its file was read",
    );
  }
  return out;
}

/**
 * Differences within each side (every file against the side's first) and between the sides
 * (the first candidate against the first baseline).
 */
export function checkComparable(base: readonly RunData[], cand: readonly RunData[]): ConfigDifference[] {
  const out: ConfigDifference[] = [];
  for (const r of base.slice(1)) out.push(...configDifferences(base[0], r));
  for (const r of cand.slice(1)) out.push(...configDifferences(cand[0], r));
  out.push(...configDifferences(base[0], cand[0]));
  return out;
}

export function describeDifference(d: ConfigDifference): string {
  return `${d.key}: ${d.base} in ${d.baseSource}, ${d.cand} in ${d.candSource}${d.why ? ` (${d.why})` : ""}`;
}

/** One line per differing key, every file's value in order: "seed: 1 in a.json, 2 in b.json (why)". */
export function summarizeDifferences(
  diffs: readonly ConfigDifference[],
): Array<{ severity: "refuse" | "note"; text: string }> {
  const byKey = new Map<string, { severity: "refuse" | "note"; why?: string; values: Map<string, string> }>();
  for (const d of diffs) {
    const id = `${d.severity}:${d.key}`;
    const entry = byKey.get(id) ?? { severity: d.severity, why: d.why, values: new Map<string, string>() };
    if (!entry.values.has(d.baseSource)) entry.values.set(d.baseSource, d.base);
    if (!entry.values.has(d.candSource)) entry.values.set(d.candSource, d.cand);
    byKey.set(id, entry);
  }
  return [...byKey.entries()].map(([id, e]) => ({
    severity: e.severity,
    text: `${id.slice(id.indexOf(":") + 1)}: ${[...e.values.entries()].map(([src, v]) => `${v} in ${src}`).join(", ")}${e.why ? ` (${e.why})` : ""}`,
  }));
}
