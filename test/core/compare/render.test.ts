/** The renderers on a hand-built comparison: text, markdown, JSON. */
import { describe, expect, test } from "bun:test";
import { compareRuns } from "../../../src/core/compare/compare.ts";
import { parseGate, parseThresholds } from "../../../src/core/compare/thresholds.ts";
import {
  formatInterval,
  formatP,
  formatValue,
  renderCompareJson,
  renderCompareMarkdown,
  renderCompareText,
} from "../../../src/render/compare.ts";
import { syntheticRun } from "./helpers.ts";

const comparison = compareRuns(
  [syntheticRun("base.json")],
  [syntheticRun("cand.json", { tpot: (k) => 2 * (4 + ((k * 17) % 13) / 20), config: { seed: 9 } })],
  { thresholds: parseThresholds(["ttft_p95=10%"]), gate: parseGate(undefined), alpha: 0.05, gateOnRatios: false },
);

describe("formatting", () => {
  test("values in their units, signed changes, p-values", () => {
    expect(formatValue({ unit: "ms" }, 123.456)).toBe("123");
    expect(formatValue({ unit: "ms" }, 12.345)).toBe("12.3");
    expect(formatValue({ unit: "ms" }, 1.2345)).toBe("1.23");
    expect(formatValue({ unit: "%" }, 0.0123)).toBe("1.2%");
    expect(formatValue({ unit: "tok/s" }, null)).toBe("-");
    expect(formatP(0.0004)).toBe("<0.001");
    expect(formatP(0.0123)).toBe("0.012");
    expect(formatP(0.5)).toBe("0.50");
    const m = comparison.metrics.find((x) => x.name === "tpot_p50")!;
    expect(formatInterval(m)).toMatch(/^\[\+\d+(\.\d)?%, \+\d+(\.\d)?%\]$/); // ≥ 100% without decimals
  });
});

describe("text", () => {
  const text = renderCompareText(comparison);
  test("an aligned table: one row per metric under a header, gated rows starred", () => {
    const lines = text.split("\n");
    const head = lines.findIndex((l) => l.trimStart().startsWith("metric"));
    const rows = lines.slice(head + 1, head + 18);
    expect(rows).toHaveLength(17);
    // the baseline column ends at the same place on every row
    const end = lines[head].indexOf("baseline") + "baseline".length;
    for (const r of rows.slice(0, 12)) expect(r[end - 1]).not.toBe(" ");
    expect(text).toContain("TPOT p50 ms *");
    expect(text).toContain("TPOT p99 ms  ");
    expect(text).toContain("Result: REGRESSED: tpot_p50, tpot_p95, e2e_p50, e2e_p95 are worse beyond the threshold");
    expect(text).toContain("threshold 5% (ttft_p95 10%, error_rate 1pp, cache_hit_rate 5pp, cached_token_share 5pp)");
    expect(text).toContain("seed: 1 in base.json, 9 in cand.json");
    expect(text).toContain("TPOT: U = 40000");
  });

  test("--hide-unchanged leaves out unchanged and n/a rows, and says how many", () => {
    const hidden = renderCompareText(comparison, { hideUnchanged: true });
    expect(hidden).not.toContain("TTFT p50 ms");
    expect(hidden).toContain("TPOT p50 ms");
    expect(hidden).toMatch(/\(\d+ unchanged or n\/a rows hidden\)/);
  });
});

describe("markdown", () => {
  const md = renderCompareMarkdown(comparison);
  test("a headline, the counts, then a table GitHub renders: same number of cells on every row", () => {
    const lines = md.split("\n");
    expect(lines[0]).toBe("### llmbench compare: ❌ regressed");
    expect(md).toContain("**regressed**: tpot_p50, tpot_p95, e2e_p50, e2e_p95 are worse beyond the threshold.");
    expect(md).toMatch(/\d+ regressed · \d+ improved · \d+ unchanged · \d+ inconclusive · \d+ not judged · \d+ n\/a\./);
    const table = lines.filter((l) => l.startsWith("|"));
    expect(table).toHaveLength(2 + 18);
    const cells = (l: string) => l.replace(/\\\|/g, "").split("|").length;
    for (const l of table) expect(cells(l)).toBe(cells(table[0]));
    expect(md).toContain("| **TPOT p50** (ms) |");
    expect(md).toContain("❌ regressed |");
    expect(md).toContain("<details><summary>");
  });
});

describe("json", () => {
  test("every number and verdict, snake_case keys, the exit code", () => {
    const doc = JSON.parse(renderCompareJson(comparison, 1));
    expect(doc.schema).toBe("llmbench.compare/v1");
    expect(doc.exit_code).toBe(1);
    expect(doc.verdict).toBe("regressed");
    expect(doc.gated_regressions).toEqual(["tpot_p50", "tpot_p95", "e2e_p50", "e2e_p95"]);
    const tpot = doc.metrics.find((m: { name: string }) => m.name === "tpot_p50");
    expect(Object.keys(tpot)).toEqual(
      expect.arrayContaining([
        "name",
        "gated",
        "threshold",
        "change_unit",
        "base",
        "cand",
        "change",
        "interval",
        "p_value",
        "method",
        "verdict",
      ]),
    );
    expect(doc.tests[0]).toMatchObject({ family: "ttft", test: "mann-whitney-u", n_base: 200, n_cand: 200 });
    expect(doc.settings.thresholds.ttft_p95).toBe(0.1);
  });
});
