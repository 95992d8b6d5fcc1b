import { describe, expect, test } from "bun:test";
import { UsageError } from "../../src/core/errors.ts";
import type { RequestError } from "../../src/core/metrics.ts";
import { parseRunOptions } from "../../src/core/options.ts";
import {
  backoffMs,
  firstSteady,
  probeAnswer,
  STEADY_DEFAULTS,
  steadyState,
  windowStats,
} from "../../src/core/steady.ts";
import { parseWarmOptions } from "../../src/core/options/warm.ts";
import { argv } from "./helpers.ts";

const w4 = { window: 4, maxCv: 0.1, maxDrop: 0.05 };

describe("windowStats", () => {
  test("a flat window: no spread, no trend", () => {
    expect(windowStats([10, 10, 10, 10])).toEqual({ n: 4, mean: 10, median: 10, cv: 0, slope: 0, drop: 0 });
  });

  test("a straight fall of 2 ms a request: slope −2, the line falls 18 ms across 10 requests", () => {
    const xs = [110, 108, 106, 104, 102, 100, 98, 96, 94, 92];
    const s = windowStats(xs);
    expect([s.n, s.mean, s.median, s.slope]).toEqual([10, 101, 101, -2]);
    expect(s.drop).toBe(18 / 101);
    expect(s.cv).toBe(Math.sqrt((4 * 82.5) / 9) / 101); // Σ(i − 4.5)² = 82.5; sample stdev (n − 1)
  });

  test("alternating 100/104: small spread, a slight rise", () => {
    const s = windowStats([100, 104, 100, 104, 100, 104, 100, 104, 100, 104]);
    expect(s.mean).toBe(102);
    expect(s.cv).toBeCloseTo(Math.sqrt(40 / 9) / 102, 12);
    expect(s.slope).toBeCloseTo(10 / 82.5, 12);
    expect(s.drop).toBeCloseTo((-(10 / 82.5) * 9) / 102, 12);
  });

  test("median of an odd window; one latency", () => {
    expect(windowStats([5, 1, 3]).median).toBe(3);
    expect(windowStats([7])).toEqual({ n: 1, mean: 7, median: 7, cv: 0, slope: 0, drop: 0 });
  });
});

describe("steadyState: cv ≤ maxCv and the least-squares line falls by ≤ maxDrop of the mean", () => {
  test("the defaults", () => {
    expect(STEADY_DEFAULTS).toEqual({ window: 10, maxCv: 0.1, maxDrop: 0.05 });
  });

  test("flat is steady; fewer latencies than the window are not, whatever they are", () => {
    expect(steadyState([100, 100, 100, 100], w4).steady).toBe(true);
    expect(steadyState([100, 100, 100], w4)).toEqual({ steady: false, stats: windowStats([100, 100, 100]) });
    expect(steadyState([], w4)).toEqual({ steady: false, stats: null });
  });

  test("a steady fall with a small cv (6%) is not steady: the trend test catches it", () => {
    const falling = [110, 108, 106, 104, 102, 100, 98, 96, 94, 92];
    const v = steadyState(falling);
    expect(v.stats!.cv).toBeLessThan(0.1);
    expect(v.steady).toBe(false);
    // the same values rising: only a downward trend means "still warming up"
    expect(steadyState([...falling].reverse()).steady).toBe(true);
  });

  test("spread above the cv limit is not steady", () => {
    expect(steadyState([50, 150, 50, 150, 50, 150, 50, 150, 50, 150]).steady).toBe(false);
    expect(steadyState([100, 104, 100, 104, 100, 104, 100, 104, 100, 104]).steady).toBe(true);
  });

  test("only the last `window` latencies are judged", () => {
    expect(steadyState([900, 700, 500, 100, 100, 100, 100], w4)).toEqual({
      steady: true,
      stats: windowStats([100, 100, 100, 100]),
    });
  });

  test("the limits are inclusive", () => {
    expect(steadyState([100, 100, 100, 100], { window: 4, maxCv: 0, maxDrop: 0 }).steady).toBe(true);
    // [1, 0, 0, 0]·k falls: slope −0.3k over a mean of 0.25k → drop 3.6; allowed at maxDrop 3.6
    const s = windowStats([4, 0, 0, 0]);
    expect(s.drop).toBeCloseTo(3.6, 12);
    expect(steadyState([4, 0, 0, 0], { window: 4, maxCv: 10, maxDrop: 3.7 }).steady).toBe(true);
    expect(steadyState([4, 0, 0, 0], { window: 4, maxCv: 10, maxDrop: 3.5 }).steady).toBe(false);
  });

  test("a cold start: cv alone would call it steady at 7; the trend test waits until 8", () => {
    const cold = [300, 240, 180, 120, 100, 100, 100, 100, 100, 100];
    // after 7: [120, 100, 100, 100] — cv 10/105 = 0.095 passes, but the line falls 18 ms (17%)
    const at7 = windowStats(cold.slice(3, 7));
    expect(at7.cv).toBeCloseTo(10 / 105, 12);
    expect(at7.slope).toBeCloseTo(-6, 12);
    expect(at7.drop).toBeCloseTo(18 / 105, 12);
    expect(steadyState(cold.slice(0, 7), w4).steady).toBe(false);
    expect(firstSteady(cold, w4)).toBe(8);
    expect(firstSteady(cold, { ...w4, maxDrop: 1 })).toBe(7);
    expect(firstSteady(cold.slice(0, 7), w4)).toBeNull();
  });
});

describe("readiness", () => {
  const err = (cls: RequestError["class"], status?: number): RequestError => ({ class: cls, message: "x", status });
  test.each([
    [null, "ok"],
    [err("connect"), "not-yet"],
    [err("timeout"), "not-yet"],
    [err("http_5xx", 503), "not-yet"],
    [err("http_5xx", 502), "not-yet"],
    [err("http_5xx", 500), "not-yet"],
    [err("http_4xx", 429), "not-yet"],
    [err("http_4xx", 408), "not-yet"],
    [err("http_4xx", 400), "fatal"],
    [err("http_4xx", 401), "fatal"],
    [err("http_4xx", 403), "fatal"],
    [err("http_4xx", 404), "fatal"],
    [err("http_4xx", 422), "fatal"],
    [err("protocol", 200), "fatal"],
    [err("redirect", 302), "fatal"],
    [err("client"), "fatal"],
  ] as const)("%j → %s", (e, answer) => {
    expect(probeAnswer(e)).toBe(answer);
  });

  test("backoff: 100 ms, doubling, at most 2 s", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map(backoffMs)).toEqual([100, 200, 400, 800, 1600, 2000, 2000, 2000]);
  });
});

describe("parseWarmOptions", () => {
  const parse = (args: Record<string, string | boolean>, raw: string[] = []) =>
    parseWarmOptions([...argv(args), ...raw], {}, () => 99);
  const usage = (args: Record<string, string | boolean>) => {
    try {
      parse(args);
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      expect((e as UsageError).hint).toBeTruthy();
      return `${(e as UsageError).message} (${(e as UsageError).hint})`;
    }
    throw new Error("expected a UsageError");
  };

  test("defaults", () => {
    const o = parse({});
    expect([o.waitMs, o.concurrency, o.requests, o.maxRequests, o.output, o.json, o.quiet]).toEqual([
      120_000,
      1,
      undefined,
      100,
      undefined,
      false,
      false,
    ]);
    expect(o.steady).toEqual(STEADY_DEFAULTS);
  });

  test("the target options are run's, parsed by the same function", () => {
    const args = {
      endpoint: "http://u:p@h:9/v1/chat/completions",
      model: "m",
      "max-tokens": "7",
      seed: "5",
      timeout: "3",
      "extra-body": '{"a":1}',
      "api-key": "sk-x",
      stream: false,
    };
    const raw = ["--header", "X-A: 1"];
    const w = parse(args, raw);
    const r = parseRunOptions([...argv(args), ...raw], {}, () => 99);
    for (const key of [
      "url",
      "endpoint",
      "api",
      "stream",
      "model",
      "headers",
      "apiKey",
      "extraBody",
      "timeoutMs",
      "tokenizer",
      "maxTokens",
      "ignoreEos",
      "seed",
      "inputTokens",
      "prefixTokens",
      "prompts",
    ] as const) {
      expect(w[key]).toEqual(r[key] as never);
    }
    expect(w.endpoint).toBe("http://h:9/v1/chat/completions");
    expect(w.headers).toEqual({ "X-A": "1" });
  });

  test("values", () => {
    const o = parse({
      wait: "2s",
      concurrency: "4",
      requests: "30",
      window: "5",
      "max-cv": "0.2",
      "max-drop": "0",
      json: true,
    });
    expect([o.waitMs, o.concurrency, o.requests, o.steady.window, o.steady.maxCv, o.steady.maxDrop, o.json]).toEqual([
      2000,
      4,
      30,
      5,
      0.2,
      0,
      true,
    ]);
    expect(parse({ wait: "500ms" }).waitMs).toBe(500);
    expect(parse({ wait: "0" }).waitMs).toBe(0);
  });

  test.each([
    [{ wait: "soon" }, "--wait must be a duration"],
    [{ concurrency: "0" }, "--concurrency must be ≥ 1"],
    [{ requests: "5", "max-requests": "9" }, "give one of them"],
    [{ prompts: "p.jsonl", "max-requests": "9" }, "each prompt of the file once"],
    [{ "max-requests": "5" }, "fewer than the --window 10"],
    [{ window: "1" }, "--window must be ≥ 2"],
    [{ "max-cv": "0" }, "--max-cv must be > 0"],
    [{ endpoint: "http://h/other" }, "cannot tell which API"],
  ])("rejects %j", (args, message) => {
    expect(usage(args)).toContain(message);
  });
});
