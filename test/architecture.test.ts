/**
 * ARCHITECTURE.md states what each folder of src/ may import; this test reads that table and holds
 * every import under src/ to it (static, dynamic, type-only and re-exports alike), so the page and the
 * code cannot drift apart. It also holds core/ and render/ to using no Bun or Node global.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

const ROOT = join(import.meta.dir, "..");
const SRC = join(ROOT, "src");

interface Rule {
  ours: string[];
  outside: string[];
}

/** The table of ARCHITECTURE.md: folder (or top-level file) → what it may import. */
function rules(): Map<string, Rule> {
  const page = readFileSync(join(ROOT, "ARCHITECTURE.md"), "utf8");
  const ticks = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
  const out = new Map<string, Rule>();
  for (const line of page.split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    if (cells.length !== 6 || !cells[1].startsWith("`src/")) continue;
    const unit = cells[1].slice("`src/".length, -1).replace(/\/$/, "");
    out.set(unit, { ours: ticks(cells[3]).map((t) => t.replace(/\/$/, "")), outside: ticks(cells[4]) });
  }
  return out;
}

/** The unit a path under src/ belongs to: its first folder, or the file itself at the top. */
const unitOf = (fromSrc: string) => fromSrc.split("/")[0];

/** Every import specifier of a file: `import … from`, `export … from`, `import("…")`, side-effect imports. */
function specifiers(text: string): string[] {
  const found = [
    // no parenthesis between the keyword and `from`: `export function f(x: Pick<T, "from" | "to">)` is not a re-export
    ...text.matchAll(/^\s*(?:import|export)\b[^;()]*?\bfrom\s*["']([^"']+)["']/gm),
    ...text.matchAll(/\bimport\s*\(\s*["']([^"']+)["']\s*\)/g),
    ...text.matchAll(/^\s*import\s*["']([^"']+)["']/gm),
  ];
  return found.map((m) => m[1]);
}

const packageOf = (spec: string) => (spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]);

const allowedOutside = (spec: string, allowed: string[]) =>
  allowed.some((a) => (a.endsWith(":*") ? spec.startsWith(a.slice(0, -1)) : packageOf(spec) === a));

const files = readdirSync(SRC, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));

/** Code without its comments (a comment may name a global it explains not using). */
const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");

/** What reads the world or the clock: not allowed in core/ and render/, which take what they need as arguments. */
const GLOBAL =
  /\b(?:process|Bun)\.|(?<![.\w])fetch\(|(?<![.\w])(?:setTimeout|setInterval|setImmediate|queueMicrotask)\(|\bDate\.now\(|\bperformance\.now\(|\bnew Date\(\)/;

describe("ARCHITECTURE.md's import rules hold for every file under src/", () => {
  const table = rules();

  test("the page's table names every folder and top-level file of src/", () => {
    const units = [...new Set(files.map(unitOf))].sort();
    expect([...table.keys()].sort()).toEqual(units);
  });

  test("each file imports only what its folder may", () => {
    const broken: string[] = [];
    for (const f of files) {
      const unit = unitOf(f);
      const rule = table.get(unit);
      if (!rule) continue; // the test above names it
      for (const spec of specifiers(readFileSync(join(SRC, f), "utf8"))) {
        if (spec.startsWith(".")) {
          const target = normalize(join(dirname(join(SRC, f)), spec));
          const inSrc = relative(SRC, target);
          const to = inSrc.startsWith("..") ? relative(ROOT, target) : unitOf(inSrc);
          if (to !== unit && !rule.ours.includes(to))
            broken.push(`src/${f} imports ${spec} (${to}/ is not among what ${unit} may import)`);
        } else if (!allowedOutside(spec, rule.outside))
          broken.push(`src/${f} imports ${spec} (not among what ${unit} may import from outside)`);
      }
    }
    expect(broken).toEqual([]);
  });

  test("core/ and render/ use no Bun or Node global: the clock, timers and the world come in as arguments", () => {
    const broken = files
      .filter((f) => f.startsWith("core/") || f.startsWith("render/"))
      .flatMap((f) => {
        const lines = code(readFileSync(join(SRC, f), "utf8")).split("\n");
        return lines.flatMap((l, i) => (GLOBAL.test(l) ? [`src/${f}:${i + 1}: ${l.trim()}`] : []));
      });
    expect(broken).toEqual([]);
  });
});
