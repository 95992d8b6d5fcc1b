/** Impossible records and stated numbers are refused on read, naming the file and the record. */
import { describe, expect, test } from "bun:test";
import { importFile, importRun } from "../../../src/core/importers/index.ts";
import { nestingDepth } from "../../../src/core/importers/check.ts";
import type { RawRecord } from "../../../src/core/metrics.ts";
import { resultDoc, streamed } from "../../documents.ts";

const records = () => [streamed(0, 0, 5, [2, 2, 2]), streamed(1, 10, 6, [2, 3, 2]), streamed(2, 20, 5, [2, 2, 4])];

/** The message reading `doc` fails with (or "read" when it is accepted). */
function readError(doc: unknown, source = "cand.json"): string {
  try {
    importFile(JSON.stringify(doc), source);
    return "read";
  } catch (err) {
    return (err as Error).message;
  }
}

/** A document whose record 1 is changed by `edit`. */
function withRecord(edit: (r: RawRecord) => void) {
  const rs = records();
  const doc = resultDoc(rs);
  edit((doc.requests as RawRecord[])[1]);
  return doc;
}

describe("impossible records", () => {
  test("the records as a run writes them are read", () => {
    expect(readError(resultDoc(records()))).toBe("read");
    // open loop: sent when due or later
    expect(readError(withRecord((r) => (r.tSched = r.tSend - 0.5)))).toBe("read");
    // a request that failed before any byte: no first byte, no tokens, an end
    const failed = records();
    Object.assign(failed[1], { tFirstByte: null, tokenTimes: [], error: { class: "connect", message: "refused" } });
    expect(readError(resultDoc(failed))).toBe("read");
  });

  test("records that are not the requests the summary counts (copies, or some missing) are refused", () => {
    const doc = resultDoc(records());
    const twice = { ...doc, requests: [...(doc.requests as RawRecord[]), ...(doc.requests as RawRecord[])] };
    expect(readError(twice)).toBe(
      "cand.json is a damaged llmbench result: its records hold 6 measured requests (6 succeeded) but its summary counts 3 (3 succeeded)",
    );
    const failedOne = withRecord((r) =>
      Object.assign(r, { tFirstByte: null, tokenTimes: [], error: { class: "connect", message: "refused" } }),
    );
    expect(readError(failedOne)).toContain(
      "its records hold 3 measured requests (2 succeeded) but its summary counts 3 (3 succeeded)",
    );
  });

  const cases: Array<[string, (r: RawRecord) => void, string]> = [
    [
      "a negative E2E (end before send)",
      (r) => (r.tEnd = r.tSend - 490),
      "requests[1] is impossible: tEnd -480 is before tSend 10",
    ],
    ["a negative send time", (r) => (r.tSend = -3), "requests[1].tSend is -3, expected a number ≥ 0"],
    [
      "the first byte before the send",
      (r) => (r.tFirstByte = r.tSend - 1),
      "requests[1] is impossible: tFirstByte 9 is before tSend 10",
    ],
    [
      "the first token before the send (t_first < t_send)",
      (r) => Object.assign(r, { tFirstByte: null, tokenTimes: [5, 18, 20] }),
      "requests[1] is impossible: its first token time 5 is before tSend 10",
    ],
    [
      "token times out of order",
      (r) => (r.tokenTimes = [16, 19, 18, 20]),
      "requests[1] is impossible: tokenTimes[2] 18 is before tokenTimes[1] 19",
    ],
    [
      "the end before the last token",
      (r) => (r.tEnd = r.tokenTimes[2]),
      "requests[1] is impossible: tEnd 21 is before its last token time 23",
    ],
    [
      "sent before it was due",
      (r) => (r.tSched = r.tSend + 1),
      "requests[1] is impossible: tSend 10 is before tSched 11 (a request cannot leave before it is due)",
    ],
    [
      "a negative token count",
      (r) => (r.outputTokensCounted = -4),
      "requests[1].outputTokensCounted is -4, expected an integer ≥ 0",
    ],
    [
      "a negative usage count",
      (r) => (r.usage = { completionTokens: -1 }),
      "requests[1].usage.completionTokens is -1, expected an integer ≥ 0",
    ],
    [
      "a fractional prompt count",
      (r) => (r.promptTokensCounted = 1.5),
      "requests[1].promptTokensCounted is 1.5, expected an integer ≥ 0",
    ],
    [
      "an unknown phase",
      (r) => ((r as { phase: string }).phase = "later"),
      'requests[1].phase is "later", expected "warmup", "rampup" or "measured"',
    ],
  ];
  for (const [what, edit, says] of cases) {
    test(`${what}: refused, naming the file and the record`, () => {
      expect(readError(withRecord(edit))).toBe(`cand.json is a damaged llmbench result: ${says}`);
    });
  }

  test("a non-finite time (1e400 parses as Infinity) is refused", () => {
    const text = JSON.stringify(resultDoc(records())).replace('"tEnd":33.05', '"tEnd":1e400');
    expect(text).toContain("1e400");
    expect(() => importRun(text, "inf.json")).toThrow(
      "inf.json is a damaged llmbench result: requests[2].tEnd is Infinity, expected a number",
    );
  });
});

describe("impossible stated numbers", () => {
  test("a negative or disordered percentile, more cache hits than successes", () => {
    const neg = resultDoc(records(), {}, false) as any;
    neg.summary.e2e_ms.p50 = -490;
    expect(readError(neg)).toBe(
      "cand.json is a damaged llmbench result: summary.e2e_ms.p50 is -490, expected a number ≥ 0",
    );
    const disordered = resultDoc(records(), {}, false) as any;
    disordered.summary.ttft_ms.p99 = disordered.summary.ttft_ms.p50 / 2;
    expect(readError(disordered)).toStartWith(
      "cand.json is a damaged llmbench result: summary.ttft_ms: its percentiles fall as p rises",
    );
    const hits = resultDoc(records()) as any;
    hits.summary.cache.hits = 4;
    expect(readError(hits)).toBe(
      "cand.json is a damaged llmbench result: summary.cache.hits is 4, more than the 3 requests that succeeded",
    );
  });

  test("a vLLM file with a negative gap or latency", () => {
    const vllm = {
      completed: 2,
      failed: 0,
      duration: 1,
      request_throughput: 2,
      output_throughput: 6,
      mean_ttft_ms: 5,
      ttfts: [0.005, 0.006],
      itls: [
        [0.002, 0.002],
        [0.002, -0.5],
      ],
      output_lens: [3, 3],
    };
    expect(readError(vllm, "v.json")).toBe(
      "v.json is a damaged vLLM bench serve result: itls[1][1] is -0.5, expected a number ≥ 0",
    );
    expect(readError({ ...vllm, itls: [[0.002], [0.002]], mean_ttft_ms: -5 }, "v.json")).toBe(
      "v.json is a damaged vLLM bench serve result: mean_ttft_ms is -5, a negative latency",
    );
  });
});

describe("shape before use", () => {
  test("nesting is measured without recursion, and stops counting past the limit", () => {
    expect(nestingDepth(1)).toBe(0);
    expect(nestingDepth({ a: [1, { b: [] }] })).toBe(4);
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(nestingDepth(deep)).toBe(200_000);
    expect(nestingDepth(deep, 64)).toBe(65);
  });

  test("a sweep's levels are checked before any is read", () => {
    const doc = resultDoc(records());
    const level = {
      concurrency: 2,
      rate: null,
      batching_gain: null,
      complete: true,
      notes: [],
      summary: doc.summary,
      digests: doc.digests,
      requests: null,
    };
    const sweep = (levels: unknown, kind = "concurrency") => ({
      ...doc,
      sweep: {
        kind,
        levels,
        single_request_tokens_per_s: null,
        knee: null,
        knee_reason: null,
        stopped_early: false,
        stop_reason: null,
      },
    });
    expect(readError(sweep([level]), "s.json")).toBe("read");
    expect(readError(sweep([null]), "s.json")).toBe(
      "s.json is a damaged llmbench result: sweep.levels[0] is null, expected an object",
    );
    expect(readError(sweep([{ ...level, concurrency: "2" }]), "s.json")).toBe(
      's.json is a damaged llmbench result: sweep.levels[0].concurrency is "2", expected an integer or null',
    );
    expect(
      readError(
        sweep([
          level,
          { ...level, summary: { ...(doc.summary as object), requests: { sent: 3, succeeded: 3, failed: 1 } } },
        ]),
        "s.json",
      ),
    ).toBe("s.json is a damaged llmbench result: sweep.levels[1].summary.requests: succeeded 3 + failed 1 ≠ sent 3");
    expect(readError(sweep([], "batch"), "s.json")).toBe(
      's.json is a damaged llmbench result: sweep.kind is "batch", expected "concurrency" or "rate"',
    );
  });
});
