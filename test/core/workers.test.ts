import { describe, expect, test } from "bun:test";
import { workerArgs } from "../../src/app/workers.ts";
import { UsageError } from "../../src/core/errors.ts";
import { autoWorkers, combineProgress, parseWorkers, STREAMS_PER_WORKER } from "../../src/core/workers.ts";

describe("--workers", () => {
  test("a count or auto; anything else is refused with the form to write", () => {
    expect(parseWorkers(undefined)).toBe(1);
    expect(parseWorkers("4")).toBe(4);
    expect(parseWorkers("auto")).toBe("auto");
    for (const bad of ["0", "-1", "1.5", "two", "2000"]) expect(() => parseWorkers(bad)).toThrow(UsageError);
  });

  test("auto: closed loop one per 256 streams, open loop one per core; at most the cores, the concurrency, the first-time prompts", () => {
    expect(autoWorkers({ cores: 8, concurrency: 5, rate: undefined, firsts: 35 })).toBe(1);
    expect(autoWorkers({ cores: 8, concurrency: STREAMS_PER_WORKER + 1, rate: undefined, firsts: 1000 })).toBe(2);
    expect(autoWorkers({ cores: 8, concurrency: 1024, rate: undefined, firsts: 1000 })).toBe(4);
    expect(autoWorkers({ cores: 2, concurrency: 1024, rate: undefined, firsts: 1000 })).toBe(2);
    expect(autoWorkers({ cores: 4, concurrency: Infinity, rate: 10, firsts: undefined })).toBe(4);
    expect(autoWorkers({ cores: 16, concurrency: 2, rate: 3000, firsts: undefined })).toBe(2);
    expect(autoWorkers({ cores: 16, concurrency: Infinity, rate: 3000, firsts: 5 })).toBe(5);
    expect(autoWorkers({ cores: 16, concurrency: 4096, rate: undefined, firsts: 3 })).toBe(3);
  });

  test("the live line of several workers: counts and rates add up, TTFT p50 weighted by successes", () => {
    const v = (done: number, failed: number, rps: number, p50?: number) => ({
      done,
      total: 50,
      failed,
      requestsPerS: rps,
      outputTokensPerS: rps * 10,
      ttftP50Ms: p50,
    });
    expect(combineProgress([v(10, 0, 5, 20), v(30, 10, 7, 40), v(0, 0, 0)])).toEqual({
      done: 40,
      total: 150,
      failed: 10,
      requestsPerS: 12,
      outputTokensPerS: 120,
      ttftP50Ms: (10 * 20 + 20 * 40) / 30,
    });
    expect(combineProgress([v(0, 0, 0)]).ttftP50Ms).toBeUndefined();
  });

  test("a worker gets the user's arguments without those the parent sets for it", () => {
    expect(
      workerArgs([
        "--endpoint",
        "http://x/generate",
        "-w",
        "2",
        "--workers",
        "auto",
        "--seed=3",
        "--output",
        "o.json",
        "-n",
        "10",
        "--json",
        "--no-records",
        "--shard",
        "0/2",
        "-q",
      ]),
    ).toEqual(["--endpoint=http://x/generate", "--requests=10"]);
    // however the parent's flags were written: joined short forms, groups, camelCase; the user's kept whole
    expect(
      workerArgs([
        "-w2",
        "-ofile.json",
        "-qn5",
        "--maxTokens",
        "7",
        "--header",
        "A: 1",
        "--header=B: 2",
        "--no-stream",
        "--html=r.html",
      ]),
    ).toEqual(["--requests=5", "--max-tokens=7", "--header=A: 1", "--header=B: 2", "--no-stream"]);
  });
});
