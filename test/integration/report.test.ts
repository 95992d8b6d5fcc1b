/**
 * `llmbench report` and `run --html` end to end: results measured against real servers on
 * 127.0.0.1, pages written by the binary, then loaded from disk in headless Chromium (no console
 * error, no request, every chart drawn, a screenshot and a PDF). Without Chromium the browser
 * tests say they were skipped.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBenchmark } from "../../src/app/run.ts";
import { buildReport } from "../../src/app/report.ts";
import { runSweep } from "../../src/app/sweep.ts";
import { formatDocument } from "../../src/render/json.ts";
import { startServer, type RunningServer } from "../../src/server/index.ts";
import { CHARTS_JS, CHROMIUM, openPage, SKIP_REASON, type DrawnChart } from "./browser.ts";
import { cli, runOptions, scripted, sseStream } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "llmbench-report-"));
const SHOTS = process.env.LLMBENCH_SCREENSHOTS ?? join(tmpdir(), "llmbench-report-screenshots");
const file = (name: string) => join(dir, name);
let fast: RunningServer;
let slow: RunningServer;
/** a server that fails some requests (503, 429) and answers the rest as an SSE stream */
let flaky: ReturnType<typeof scripted>;
let flakyCount = 0;

const HOSTILE = `</script><img src=x onerror="document.title='pwned'"><script>document.title='pwned'</script>`;

beforeAll(async () => {
  fast = await startServer({ decodeStepMs: 2, batchWindowMs: 1 });
  slow = await startServer({ decodeStepMs: 4, batchWindowMs: 1 });
  flaky = scripted(() => {
    const n = flakyCount++;
    if (n % 9 === 4) return new Response("overloaded", { status: 503 });
    if (n % 13 === 6) return new Response("slow down", { status: 429 });
    const tokens = Array.from({ length: 8 }, (_, i) => `data: ${JSON.stringify({ text: `t${i} ` })}\n\n`);
    return sseStream(
      [...tokens, `data: {"done": true, "cached": false}\n\n`, "data: [DONE]\n\n"],
      2 + (n % 3),
      n % 17 === 0 ? 60 : 5,
    );
  });
  const common = { "max-tokens": "16", warmup: "4", "repeat-ratio": "0.3" };
  const write = (name: string, doc: unknown) => writeFileSync(file(name), formatDocument(doc));
  write(
    "base.json",
    (await runBenchmark(runOptions(`${fast.url}/v1/completions`, { ...common, requests: "120", concurrency: "8" })))
      .doc,
  );
  write(
    "cand.json",
    (await runBenchmark(runOptions(`${slow.url}/v1/completions`, { ...common, requests: "120", concurrency: "8" })))
      .doc,
  );
  write(
    "flaky.json",
    (
      await runBenchmark(
        runOptions(`${flaky.url}/generate`, { ...common, stream: true, requests: "150", concurrency: "6" }),
      )
    ).doc,
  );
  write(
    "sweep.json",
    (
      await runSweep(
        runOptions(`${fast.url}/v1/completions`, { ...common, requests: "24", concurrency: "1..8x2", warmup: "2" }),
      )
    ).doc,
  );
  const viaFile = (
    await runBenchmark(
      runOptions(`${fast.url}/v1/completions`, {
        ...common,
        requests: "60",
        concurrency: "4",
        "records-file": file("records.ndjson"),
      }),
    )
  ).doc;
  write("records-file.json", viaFile);
  const hostile = (
    await runBenchmark(
      runOptions(`${fast.url}/v1/completions`, { ...common, requests: "20", concurrency: "2", model: HOSTILE }),
    )
  ).doc;
  hostile.notes.push(HOSTILE);
  write(`hostile.json`, hostile);
}, 120_000);

afterAll(() => {
  fast?.stop();
  slow?.stop();
  flaky?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("llmbench report: the command", () => {
  test("result files and a compare JSON → one page; the file says what it holds", async () => {
    const cmp = await cli(["compare", file("base.json"), file("cand.json"), "--format", "json", "--allow-mismatch"]);
    expect(cmp.stderr).toBe("");
    writeFileSync(file("compare.json"), cmp.stdout);
    const r = await cli([
      "report",
      file("base.json"),
      file("cand.json"),
      file("compare.json"),
      "-o",
      file("pair.html"),
    ]);
    expect(r.stderr).toContain(`report written to ${file("pair.html")}`);
    expect(r.code).toBe(0);
    const html = readFileSync(file("pair.html"), "utf8");
    const verdict = JSON.parse(cmp.stdout).verdict as string;
    expect(html).toContain(`<b>Result: ${verdict.toUpperCase()}</b>`);
    expect(html).toContain("2 runs overlaid");
    for (const id of ["all-ttft-cdf", "all-e2e-cdf", "all-inflight", "all-tokens-time", "f0-ttft-cdf", "f1-ttft-cdf"])
      expect(html).toContain(`data-chart="${id}"`);
  });

  test("bad input: one line with the fix, exit 2; nothing is written", async () => {
    writeFileSync(file("not-json.json"), "{ nope");
    writeFileSync(file("foreign.json"), `{"schema": "something/else"}`);
    const crafted = JSON.parse(readFileSync(file("base.json"), "utf8"));
    crafted.summary.ttft_ms = "fast";
    writeFileSync(file("crafted.json"), JSON.stringify(crafted));
    const cases: Array<[string[], RegExp]> = [
      [["report", file("missing.json"), "-o", file("x.html")], /cannot read .*missing\.json: no such file/],
      [["report", file("not-json.json"), "-o", file("x.html")], /not-json\.json is not valid JSON/],
      [["report", file("foreign.json"), "-o", file("x.html")], /foreign\.json is not an llmbench result/],
      [
        ["report", file("crafted.json"), "-o", file("x.html")],
        /crafted\.json is a damaged llmbench result: summary\.ttft_ms is "fast", expected null or an object/,
      ],
      [["report", file("base.json")], /report needs -o FILE/],
      [["report", "-o", file("x.html")], /report needs at least one result file/],
      [
        ["report", file("base.json"), "-o", join(dir, "no-such-folder", "x.html")],
        /cannot write .*the folder .* does not exist/,
      ],
      [["report", file("base.json"), "--out", file("x.html")], /unknown option '--out'.*/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      const lines = r.stderr.trimEnd().split("\n");
      expect(lines[0]).toMatch(message);
      expect(lines[1]).toMatch(/^ {2}fix: /);
      expect(lines.length).toBe(2);
    }
    expect(existsSync(file("x.html"))).toBe(false);
  });

  test("--records-file: the records are read from the file it names; without the file, the page says so and draws the digests", async () => {
    const html = await buildReport([file("records-file.json")]);
    expect(html).toContain(`Per-request records read from the records file ${file("records.ndjson")}`);
    expect(html).toMatch(/data-chart="f0-inflight" data-marks="[1-9]/);
    expect(html).toMatch(/data-chart="f0-ttft-time" data-marks="[1-9]/);
    renameSync(file("records.ndjson"), file("records.moved"));
    try {
      const without = await buildReport([file("records-file.json")]);
      expect(without).toContain(`its records file ${file("records.ndjson")} was not found`);
      expect(without).toContain("approximate");
      expect(without).not.toContain(`data-chart="f0-inflight"`);
    } finally {
      renameSync(file("records.moved"), file("records.ndjson"));
    }
  });

  test("run --html writes the page beside the result; an unwritable --html is refused before anything is sent", async () => {
    const before = fast.stats().requests;
    const bad = await cli([
      "run",
      "--endpoint",
      `${fast.url}/generate`,
      "-n",
      "5",
      "--html",
      join(dir, "no-such-folder", "r.html"),
      "-q",
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /cannot write .*no-such-folder.*\n {2}fix: create the folder first, or choose another --html/,
    );
    expect(fast.stats().requests).toBe(before);
    const ok = await cli([
      "run",
      "--endpoint",
      `${fast.url}/generate`,
      "-n",
      "12",
      "-c",
      "3",
      "--html",
      file("run.html"),
      "-o",
      file("run.json"),
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain(`HTML report written to ${file("run.html")}`);
    const html = readFileSync(file("run.html"), "utf8");
    expect(html).toContain(`<h2>${file("run.json")}</h2>`);
    expect(html).toMatch(/data-chart="f0-e2e-cdf" data-marks="[1-9]/);
  });
});

/** Load the page in Chromium: no error, no request but the page itself, every chart drawn; screenshot and PDF kept for the note. */
async function checkInBrowser(name: string, expected: string[]): Promise<DrawnChart[]> {
  const path = file(name);
  const page = await openPage(path);
  try {
    const charts = await page.evaluate<DrawnChart[]>(CHARTS_JS);
    expect(page.errors).toEqual([]);
    expect(page.requests).toEqual([`file://${path}`]);
    for (const id of expected) expect(charts.map((c) => c.id)).toContain(id);
    for (const c of charts) {
      if (c.declared === 0) continue; // "nothing to draw" / "no request failed", said in words
      expect({
        id: c.id,
        tag: c.tag,
        drew: c.painted > 0,
        sized: c.width > 300 && c.height > 100,
        points: c.points,
      }).toEqual({ id: c.id, tag: "svg", drew: true, sized: true, points: c.declared });
    }
    mkdirSync(SHOTS, { recursive: true });
    const png = await page.screenshot();
    writeFileSync(join(SHOTS, name.replace(/\.html$/, ".png")), png);
    // laid out for print (A4): nothing wider than the paper, two charts a row, the folded text report left out
    await page.emulatePrint();
    const print = await page.evaluate<{ page: number; widest: number; rows: number; figures: number; text: string }>(
      `(() => { const f = [...document.querySelectorAll("figure.chart, svg[data-chart]")].map((e) => e.getBoundingClientRect()); const figs = [...document.querySelectorAll("figure.chart")].map((e) => e.getBoundingClientRect()); return { page: document.documentElement.clientWidth, widest: Math.max(...f.map((r) => r.right)), rows: new Set(figs.map((r) => Math.round(r.top))).size, figures: figs.length, text: getComputedStyle(document.querySelector("details.text")).display }; })()`,
    );
    expect(print.widest).toBeLessThanOrEqual(print.page);
    expect(print.rows).toBeLessThan(print.figures);
    expect(print.text).toBe("none");
    const pdf = await page.pdf();
    expect(pdf.subarray(0, 4).toString()).toBe("%PDF");
    writeFileSync(join(SHOTS, name.replace(/\.html$/, ".pdf")), pdf);
    console.log(
      `${name}: ${(statSync(path).size / 1024).toFixed(0)} KB, ${charts.length} charts; screenshot ${join(SHOTS, name.replace(/\.html$/, ".png"))}`,
    );
    return charts;
  } finally {
    await page.close();
  }
}

describe(`the page in headless Chromium${CHROMIUM ? "" : ` (${SKIP_REASON})`}`, () => {
  if (!CHROMIUM) console.warn(`report.test.ts: ${SKIP_REASON}`);

  test.skipIf(!CHROMIUM)(
    "a run with failures: header, summary, four CDFs, the run over time with errors by class",
    async () => {
      expect((await cli(["report", file("flaky.json"), "-o", file("run-errors.html")])).code).toBe(0);
      const charts = await checkInBrowser("run-errors.html", [
        "f0-ttft-cdf",
        "f0-tpot-cdf",
        "f0-itl-cdf",
        "f0-e2e-cdf",
        "f0-inflight",
        "f0-ttft-time",
        "f0-e2e-time",
        "f0-tokens-time",
        "f0-errors-time",
      ]);
      // the server's own count of failures is what the errors chart stacks
      const errors = charts.find((c) => c.id === "f0-errors-time")!;
      expect(errors.declared).toBeGreaterThan(0);
      const doc = JSON.parse(readFileSync(file("flaky.json"), "utf8"));
      expect(doc.summary.errors.http_5xx).toBeGreaterThan(0);
      expect(doc.summary.errors.http_4xx).toBeGreaterThan(0);
    },
    120_000,
  );

  test.skipIf(!CHROMIUM)(
    "a sweep: throughput against latency with the knee, gain per level, each level's CDFs",
    async () => {
      expect((await cli(["report", file("sweep.json"), "-o", file("sweep.html")])).code).toBe(0);
      await checkInBrowser("sweep.html", [
        "f0-sweep-tradeoff",
        "f0-sweep-gain",
        "f0-levels-ttft-cdf",
        "f0-levels-e2e-cdf",
        "f0-inflight",
      ]);
      expect(readFileSync(file("sweep.html"), "utf8")).toContain(`<g class="highlight">`);
    },
    120_000,
  );

  test.skipIf(!CHROMIUM)(
    "baseline vs candidate with their compare JSON: the verdict table and the runs overlaid",
    async () => {
      if (!existsSync(file("pair.html"))) {
        const cmp = await cli([
          "compare",
          file("base.json"),
          file("cand.json"),
          "--format",
          "json",
          "--allow-mismatch",
        ]);
        writeFileSync(file("compare.json"), cmp.stdout);
        await cli(["report", file("base.json"), file("cand.json"), file("compare.json"), "-o", file("pair.html")]);
      }
      await checkInBrowser("pair.html", [
        "all-ttft-cdf",
        "all-tpot-cdf",
        "all-itl-cdf",
        "all-e2e-cdf",
        "all-inflight",
        "all-ttft-time",
        "all-tokens-time",
        "f0-ttft-cdf",
        "f1-ttft-cdf",
      ]);
    },
    120_000,
  );

  test.skipIf(!CHROMIUM)(
    "a model name and a note carrying markup show as text: no element, no script, no request",
    async () => {
      expect((await cli(["report", file("hostile.json"), "-o", file("hostile.html")])).code).toBe(0);
      const page = await openPage(file("hostile.html"));
      try {
        const seen = await page.evaluate<{ injected: number; title: string; text: boolean }>(
          `({ injected: document.querySelectorAll("img, script, iframe, object, embed").length, title: document.title, text: document.body.innerText.includes(${JSON.stringify(HOSTILE)}) })`,
        );
        expect(seen.injected).toBe(0);
        expect(seen.title).not.toContain("pwned");
        expect(seen.text).toBe(true);
        expect(page.errors).toEqual([]);
        expect(page.requests).toEqual([`file://${file("hostile.html")}`]);
      } finally {
        await page.close();
      }
    },
    120_000,
  );
});
