/** The HTML report's pure parts: what is drawn from records, how it is thinned, and that nothing from a file becomes markup. */
import { describe, expect, test } from "bun:test";
import type { RawRecord } from "../../src/core/metrics.ts";
import type { ResultDocument, ResultRecord } from "../../src/core/result.ts";
import { quantileSorted } from "../../src/core/stats/percentiles.ts";
import {
  binWidth,
  cdfPoints,
  digestCdf,
  errorsOverTime,
  inFlight,
  samplesOf,
  thin,
  tokensPerSecond,
} from "../../src/render/html/data.ts";
import { renderHtml } from "../../src/render/html/page.ts";
import { esc, logTicks, makeScale, niceTicks, wantsLog } from "../../src/render/html/svg.ts";
import { ms } from "../../src/core/format.ts";
import { resultDoc, streamed } from "../documents.ts";

const rec = (r: RawRecord) => r as unknown as ResultRecord;

describe("escaping", () => {
  test("every character that could open markup or close an attribute is an entity", () => {
    expect(esc(`</script><img src=x onerror="a('1')">&`)).toBe(
      "&lt;/script&gt;&lt;img src=x onerror=&quot;a(&#39;1&#39;)&quot;&gt;&amp;",
    );
  });
});

describe("scales", () => {
  test("nice ticks are 1, 2 or 5 × 10^k steps inside the range; a linear scale widens to the next tick", () => {
    expect(niceTicks(0, 97)).toEqual([0, 20, 40, 60, 80]);
    expect(makeScale([0, 97], [0, 1], false).ticks).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0.3, 1.1)).toEqual([0.4, 0.6, 0.8, 1]);
    expect(logTicks(1.5, 120)).toEqual([2, 5, 10, 20, 50, 100]);
    // many decades: powers of ten only
    expect(logTicks(0.01, 10_000)).toEqual([0.01, 0.1, 1, 10, 100, 1000, 10000]);
  });

  test("log only when every value is positive and they span 20× or more", () => {
    expect(wantsLog(2, 39)).toBe(false);
    expect(wantsLog(2, 40)).toBe(true);
    expect(wantsLog(0, 1000)).toBe(false);
    const s = makeScale([1, 1000], [0, 300], true);
    expect([s(1), s(10), s(100), s(1000)]).toEqual([0, 100, 200, 300]);
    const lin = makeScale([3, 97], [0, 100], false);
    expect(lin.domain).toEqual([0, 100]);
  });
});

describe("distributions", () => {
  test("a CDF of few samples keeps every rank at i/(n−1), numpy's position", () => {
    expect(cdfPoints([5, 7, 9])).toEqual([
      [5, 0],
      [7, 0.5],
      [9, 1],
    ]);
    expect(cdfPoints([])).toEqual([]);
  });

  test("100,000 samples: a few hundred points, rising, from the minimum to the maximum, dense in the tail", () => {
    const n = 100_000;
    const sorted = Float64Array.from({ length: n }, (_, i) => 10 + (i * i) / n);
    const pts = cdfPoints(sorted, 400);
    expect(pts.length).toBeLessThanOrEqual(402);
    expect(pts.length).toBeGreaterThan(300);
    expect(pts[0]).toEqual([sorted[0], 0]);
    expect(pts[pts.length - 1]).toEqual([sorted[n - 1], 1]);
    for (let i = 1; i < pts.length; i++) expect(pts[i][1]).toBeGreaterThan(pts[i - 1][1]);
    // above p99 there are points to draw the tail with, not one
    expect(pts.filter((p) => p[1] > 0.99).length).toBeGreaterThan(50);
  });

  test("a digest's CDF runs from its min to its max through its centroids", () => {
    const d = {
      delta: 0.01,
      count: 4,
      min: 1,
      max: 8,
      sum: 18,
      centroids: [
        [1, 1],
        [4, 2],
        [8, 1],
      ] as Array<[number, number]>,
    };
    expect(digestCdf(d)).toEqual([
      [1, 0],
      [1, 0],
      [4, 0.5],
      [8, 1],
      [8, 1],
    ]);
    expect(digestCdf(undefined)).toEqual([]);
  });

  test("samples are the measured records' values, as the summary takes them", () => {
    const records = [
      streamed(0, 0, 30, [5, 5]),
      streamed(1, 10, 10, [2, 4]),
      streamed(2, 20, 20, [3, 3], { phase: "warmup" }),
    ].map(rec);
    const s = samplesOf(records, "send");
    expect([...s.ttft_ms]).toEqual([10, 30]);
    expect([...s.itl_ms]).toEqual([2, 4, 5, 5]);
    expect(s.e2e_ms.length).toBe(2);
  });
});

describe("the run over time", () => {
  test("in flight: the highest count per column, carried through columns without an event", () => {
    // three requests over 0..10 s: A 0–10 s, B 2–4 s, C 3–5 s → 3 in flight around 3–4 s, 1 after 5 s
    const r = (seq: number, t0: number, t1: number) => rec({ ...streamed(seq, t0 * 1000, 1, []), tEnd: t1 * 1000 });
    const pts = inFlight([r(0, 0, 10), r(1, 2, 4), r(2, 3, 5)], 10);
    expect(pts.map((p) => p[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(pts.map((p) => p[1])).toEqual([1, 1, 2, 3, 3, 2, 1, 1, 1, 1]);
  });

  test("thinning keeps one point per occupied cell: an outlier among 100,000 stays", () => {
    const pts: Array<[number, number]> = Array.from({ length: 100_000 }, (_, i) => [i / 1000, 20 + (i % 7)]);
    pts.push([50, 5000]);
    const t = thin(pts, 320, 120);
    expect(t.total).toBe(100_001);
    expect(t.points.length).toBeLessThan(320 * 121);
    expect(t.points.length).toBeLessThan(3000);
    expect(t.points).toContainEqual([50, 5000]);
    // few points are drawn as they are
    expect(thin(pts.slice(0, 100)).points.length).toBe(100);
  });

  test("tokens per time bin add up to every output token; errors are counted per class and bin", () => {
    const records = [
      streamed(0, 0, 100, [100, 100, 100]),
      streamed(1, 1500, 100, [300]),
      rec({
        ...streamed(2, 2000, 50, []),
        error: { class: "http_5xx", message: "503" },
        tEnd: 2100,
        tokenTimes: [],
        outputTokensCounted: 0,
      }) as unknown as RawRecord,
      rec({
        ...streamed(3, 2200, 50, []),
        error: { class: "timeout", message: "t" },
        tEnd: 3900,
        tokenTimes: [],
        outputTokensCounted: 0,
      }) as unknown as RawRecord,
    ].map(rec);
    const bin = 1;
    const tps = tokensPerSecond(records, bin);
    const sum = tps.reduce((n, [, k]) => n + k * bin, 0);
    expect(sum).toBeCloseTo(4 + 2, 9);
    const errs = errorsOverTime(records, bin);
    expect(errs.map((e) => e.cls)).toEqual(["timeout", "http_5xx"]);
    expect(errs.find((e) => e.cls === "http_5xx")!.points.map((p) => p[1])).toEqual([0, 0, 1, 0]);
    expect(errs.find((e) => e.cls === "timeout")!.points.map((p) => p[1])).toEqual([0, 0, 0, 1]);
  });

  test("bins: 1 s when a run has 300 s or less, wider past that, finer for short runs", () => {
    expect(binWidth(30)).toBe(1);
    expect(binWidth(300)).toBe(1);
    expect(binWidth(301)).toBe(2);
    expect(binWidth(3600)).toBe(15);
    expect(binWidth(2)).toBe(0.1);
  });
});

const HOSTILE = `</script><img src=x onerror="document.title='pwned'"><script>alert(1)</script>`;

function doc(records: RawRecord[], config: Record<string, unknown> = {}, keep = true): ResultDocument {
  return resultDoc(records, config, keep) as unknown as ResultDocument;
}

describe("the page", () => {
  const records = Array.from({ length: 60 }, (_, i) =>
    streamed(i, i * 50, 20 + (i % 9) * 3, Array(5).fill(4 + (i % 4)), { phase: i < 3 ? "warmup" : "measured" }),
  );

  test("a model name, a note, an endpoint and a file name become text, never markup; no script, no external reference", () => {
    const d = doc(records, { model: HOSTILE, endpoint: `http://h/${HOSTILE}` });
    d.notes = [HOSTILE];
    const html = renderHtml({
      files: [{ name: `a${HOSTILE}.json`, doc: d, recordsFromFile: null }],
      comparisons: [
        {
          name: HOSTILE,
          doc: {
            schema: "llmbench.compare/v1",
            verdict: HOSTILE,
            metrics: [
              {
                label: HOSTILE,
                unit: "ms",
                verdict: "regressed",
                reason: HOSTILE,
                base: 1,
                cand: 2,
                change: 1,
                change_unit: "relative",
                interval: null,
                p_value: null,
              },
            ],
          },
        },
      ],
      version: "test",
    });
    expect(html).not.toContain("<img");
    expect(html).not.toMatch(/<script/i);
    // escaped text has no "<", so every "<" opens a tag the page itself wrote; its quoted values are escaped text
    const attributes = (html.match(/<[^>]+>/g) ?? []).map((tag) => tag.replace(/"[^"]*"/g, '""'));
    expect(attributes.filter((a) => /\son\w+=/i.test(a))).toEqual([]);
    expect(html).toContain("&lt;/script&gt;&lt;img src=x onerror=&quot;document.title=&#39;pwned&#39;&quot;&gt;");
    // nothing the page would fetch, and a policy that forbids it anyway
    expect(attributes.filter((a) => /\s(src|href|action|srcset)=/i.test(a))).toEqual([]);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
  });

  test("the summary table holds the result's own numbers, formatted as the text report formats them", () => {
    const d = doc(records);
    const html = renderHtml({
      files: [{ name: "a.json", doc: d, recordsFromFile: null }],
      comparisons: [],
      version: "test",
    });
    const t = d.summary.ttft_ms!;
    expect(html).toContain(
      `<tr><th>TTFT</th>${[t.mean, t.p50, t.p90, t.p95, t.p99, t.max].map((x) => `<td>${ms(x)}</td>`).join("")}<td>${t.count}</td></tr>`,
    );
    // the p99 marker is the summary's p99, exact from the samples
    const sorted = samplesOf(records.map(rec), "send").ttft_ms;
    expect(t.p99).toBe(quantileSorted(sorted, 0.99));
    expect(html).toContain(`data-marker="p99 ${ms(t.p99)}"`);
    for (const id of [
      "f0-ttft-cdf",
      "f0-tpot-cdf",
      "f0-itl-cdf",
      "f0-e2e-cdf",
      "f0-inflight",
      "f0-ttft-time",
      "f0-e2e-time",
      "f0-tokens-time",
    ])
      expect(html).toContain(`data-chart="${id}"`);
    expect(html).toContain(`data-chart="f0-errors-time" data-marks="0"`);
  });

  test("no records (--no-records, --bounded, a lost records file): the summary, CDFs from the digests, and why there is no timeline", () => {
    const d = doc(records, {}, false);
    const html = renderHtml({
      files: [{ name: "a.json", doc: d, recordsFromFile: null }],
      comparisons: [],
      version: "test",
    });
    expect(html).toContain("written with --no-records");
    expect(html).toContain("from the result&#39;s t-digest (no per-request records): approximate");
    expect(html).toMatch(/data-chart="f0-ttft-cdf" data-marks="[1-9]/);
    expect(html).not.toContain(`data-chart="f0-inflight"`);
    expect(html).toContain("The run over time needs per-request records");
    d.records_file = "gone.ndjson";
    const lost = renderHtml({
      files: [
        { name: "a.json", doc: d, recordsFromFile: null, recordsNote: "its records file gone.ndjson was not found" },
      ],
      comparisons: [],
      version: "test",
    });
    expect(lost).toContain("written with --records-file, and its records file gone.ndjson was not found");
    // read from the records file: every chart, and the page says where the records came from
    const fromFile = renderHtml({
      files: [{ name: "a.json", doc: d, recordsFromFile: records.map(rec) }],
      comparisons: [],
      version: "test",
    });
    expect(fromFile).toContain("read from the records file gone.ndjson");
    expect(fromFile).toMatch(/data-chart="f0-inflight" data-marks="[1-9]/);
  });

  test("a --runs file overlays its runs; a sweep comparison gives a table per level", () => {
    const a = doc(records.slice(0, 30));
    const b = doc(records.slice(30));
    const d = {
      ...doc(records),
      requests: null,
      runs: [a, b].map((x) => ({
        complete: true,
        started_at: x.started_at,
        finished_at: x.finished_at,
        notes: [],
        summary: x.summary,
        digests: x.digests,
        requests: x.requests,
      })),
    } as ResultDocument;
    const html = renderHtml({
      files: [{ name: "runs.json", doc: d, recordsFromFile: null }],
      comparisons: [],
      version: "test",
    });
    expect(html).toContain("runs.json [run 1/2]");
    expect(html).toContain("runs.json [run 2/2]");
    expect(html).toContain("2 runs of the same measurement");
    const level = (verdict: string) => ({
      schema: "llmbench.compare/v1",
      verdict,
      metrics: [
        {
          label: "TTFT p50",
          unit: "ms",
          verdict,
          base: 10,
          cand: 12,
          change: 0.2,
          change_unit: "relative",
          interval: [0.1, 0.3],
          p_value: 0.001,
        },
      ],
    });
    const sweep = renderHtml({
      files: [],
      comparisons: [
        {
          name: "c.json",
          doc: {
            schema: "llmbench.compare-sweep/v1",
            kind: "concurrency",
            levels: [
              { level: "concurrency 1", comparison: level("unchanged") },
              { level: "concurrency 8", comparison: level("regressed") },
            ],
          },
        },
      ],
      version: "test",
    });
    expect(sweep).toContain(`data-table="compare-0-0"`);
    expect(sweep).toContain(`data-table="compare-0-1"`);
    expect(sweep).toContain(
      `<tr class="v-regressed"><th>TTFT p50 ms</th><td>10.0</td><td>12.0</td><td>+20.0%</td><td>[+10.0%, +30.0%]</td><td>0.001</td><td class="verdict">regressed</td></tr>`,
    );
  });

  test("a crafted compare JSON (wrong types anywhere) renders what it can and never throws", () => {
    const weird: unknown[] = [
      null,
      5,
      "x",
      [],
      { a: 1 },
      { files: "f", requests: null },
      { metrics: "m" },
      { metrics: [null, 1, { base: "1", cand: {}, interval: [1], change_unit: 5, flags: "f", unit: "°C" }] },
    ];
    for (const w of weird) {
      const doc = {
        schema: "llmbench.compare/v1",
        verdict: w,
        base: w,
        cand: w,
        settings: w,
        metrics: (w as { metrics?: unknown } | null)?.metrics ?? w,
        notes: w,
        failures: w,
      };
      expect(() => renderHtml({ files: [], comparisons: [{ name: "c.json", doc }], version: "test" })).not.toThrow();
      expect(() =>
        renderHtml({
          files: [],
          comparisons: [
            { name: "c.json", doc: { schema: "llmbench.compare-sweep/v1", levels: [w, { level: w, comparison: w }] } },
          ],
          version: "test",
        }),
      ).not.toThrow();
    }
  });
});
