import { describe, expect, test } from "bun:test";
import {
  clientCheck,
  deriveRequest,
  poolRuns,
  summarizeRun,
  type ClientCheck,
  type RawRecord,
} from "../../src/core/metrics.ts";
import { parseSlo } from "../../src/core/slo.ts";
import { record as rec } from "../documents.ts";

describe("deriveRequest", () => {
  test("streamed: TTFT at the first token chunk, ITL between chunks, TPOT = (E2E − TTFT)/(n − 1)", () => {
    const m = deriveRequest(
      rec({
        streamed: true,
        tFirstByte: 1010,
        tokenTimes: [1050, 1060, 1075, 1100],
        tEnd: 1110,
        outputTokensCounted: 4,
      }),
    );
    expect(m.ok).toBe(true);
    expect(m.ttftKind).toBe("token");
    expect(m.ttftMs).toBe(50); // not the first byte (role-only chunks carry no token)
    expect(m.e2eMs).toBe(110);
    expect(m.itlMs).toEqual([10, 15, 25]);
    expect(m.tpotMs).toBe(20); // (110 − 50) / 3
    expect(m.latencyPerTokenMs).toBe(27.5);
    expect(m.tokensFromUsage).toBe(false);
  });

  test("the server's usage count wins over the client's count", () => {
    const m = deriveRequest(
      rec({
        streamed: true,
        tokenTimes: [1050, 1100],
        tEnd: 1100,
        outputTokensCounted: 2,
        usage: { completionTokens: 6, promptTokens: 4 },
      }),
    );
    expect(m.outputTokens).toBe(6);
    expect(m.promptTokens).toBe(4);
    expect(m.tokensFromUsage).toBe(true);
    expect(m.tpotMs).toBe(10); // (100 − 50) / 5
  });

  test("not streamed: TTFT is the first byte, TPOT and ITL are not invented", () => {
    const m = deriveRequest(rec({ tFirstByte: 1200, tokenTimes: [1201], tEnd: 1201, outputTokensCounted: 100 }));
    expect(m.ttftKind).toBe("first-byte");
    expect(m.ttftMs).toBe(200);
    expect(m.tpotMs).toBeNull();
    expect(m.itlMs).toEqual([]);
    expect(m.latencyPerTokenMs).toBe(2.01);
  });

  test("a stream that carried no token has no TTFT, and is still a stream", () => {
    const m = deriveRequest(
      rec({ streamed: true, tFirstByte: 1010, tokenTimes: [], tEnd: 1020, outputTokensCounted: 0 }),
    );
    expect(m.ttftKind).toBe("token");
    expect(m.ttftMs).toBeNull();
    expect(m.tpotMs).toBeNull();
    expect(m.latencyPerTokenMs).toBeNull();
  });

  test("one token: no TPOT", () => {
    expect(
      deriveRequest(rec({ streamed: true, tokenTimes: [1030], tEnd: 1031, outputTokensCounted: 1 })).tpotMs,
    ).toBeNull();
  });

  test("a failed request is not ok and gives no per-token numbers", () => {
    const m = deriveRequest(rec({ tEnd: 1005, error: { class: "http_5xx", message: "HTTP 500", status: 500 } }));
    expect(m.ok).toBe(false);
    expect(m.tpotMs).toBeNull();
    expect(m.latencyPerTokenMs).toBeNull();
  });

  test("send lag in open loop", () => {
    expect(deriveRequest(rec({ tSched: 995, tEnd: 1100 })).sendLagMs).toBe(5);
  });
});

describe("summarizeRun", () => {
  const stream = (seq: number, tSend: number, gaps: number[], extra: Partial<RawRecord> = {}) => {
    const times: number[] = [];
    let t = tSend;
    for (const g of gaps) times.push((t += g));
    return rec({
      seq,
      tSend,
      streamed: true,
      tFirstByte: times[0],
      tokenTimes: times,
      tEnd: t,
      outputTokensCounted: gaps.length,
      ...extra,
    });
  };
  const records: RawRecord[] = [
    stream(0, 0, [500, 500], { phase: "warmup" }), // excluded from every number
    stream(1, 1000, [40, 10, 10]),
    stream(2, 1010, [60, 20, 20], { promptId: 2 }),
    stream(3, 1100, [20, 10, 10], { repeat: true, cached: true }),
    stream(4, 1150, [30, 10, 10], { repeat: true, cached: false }),
    rec({ seq: 5, tSend: 1200, tEnd: 1300, error: { class: "timeout", message: "late" } }),
    rec({ seq: 6, tSend: 1200, tEnd: 1201, error: { class: "connect", message: "refused" }, repeat: true }),
  ];
  const { summary: s, digests } = summarizeRun(records, "whitespace");

  test("counts, error classes and rate", () => {
    expect(s.requests).toEqual({ sent: 6, succeeded: 4, failed: 2 });
    expect(s.errors).toEqual({
      connect: 1,
      timeout: 1,
      http_4xx: 0,
      http_5xx: 0,
      redirect: 0,
      protocol: 0,
      client: 0,
      aborted: 0,
    });
    expect(s.error_rate).toBeCloseTo(2 / 6, 12);
  });

  test("distributions from the measured successes only", () => {
    // TTFTs [40, 60, 20, 30] → sorted [20, 30, 40, 60]; numpy's linear rule: p90 = 40 + 0.7 × 20
    const expected = { count: 4, mean: 37.5, min: 20, max: 60, p50: 35, p90: 54, p95: 57, p99: 59.4 };
    for (const [k, v] of Object.entries(expected)) expect(s.ttft_ms![k as keyof typeof expected]).toBeCloseTo(v, 9);
    expect(s.itl_ms!.count).toBe(8);
    expect(s.itl_ms!.max).toBe(20);
    expect(s.tpot_ms!.p50).toBe(10); // (60−40)/2, (100−60)/2=20, (40−20)/2=10, (50−30)/2=10 → [10,10,10,20]
    expect(s.e2e_ms!.min).toBe(40);
    expect(s.ttft_kind).toBe("token");
  });

  test("throughput over the measured window: first measured send → last measured end, failed requests included", () => {
    // window 1000 → max(1060, 1110, 1140, 1200, 1300 (the timeout), 1201) = 1300 → 0.3 s; 12 tokens; 4 successes
    expect(s.duration_s).toBeCloseTo(0.3, 12);
    expect(s.throughput.output_tokens_per_s).toBeCloseTo(40, 9);
    expect(s.throughput.requests_per_s).toBeCloseTo(4 / 0.3, 9);
    expect(s.throughput.input_tokens_per_s).toBeCloseTo(40 / 0.3, 9);
  });

  test("cache hit rate overall and among repeats that succeeded", () => {
    expect(s.cache).toEqual({
      hits: 1,
      hit_rate: 0.25,
      repeats_sent: 3,
      repeats_succeeded: 2,
      repeat_hits: 1,
      repeat_hit_rate: 0.5,
    });
  });

  test("tokens source names the tokenizer when any count came from it", () => {
    expect(s.tokens_source).toBe("whitespace");
    const withUsage = records.map((r) => ({ ...r, usage: { completionTokens: 3 } }));
    expect(summarizeRun(withUsage, "o200k").summary.tokens_source).toBe("usage");
  });

  test("digests hold the same samples", () => {
    expect(digests.ttft_ms.count).toBe(4);
    expect(digests.itl_ms.count).toBe(8);
    expect(digests.ttft_ms.min).toBe(20);
  });

  test("a run where nothing succeeded has null distributions and zero throughput", () => {
    const { summary } = summarizeRun([records[5], records[6]], "whitespace");
    expect(summary.ttft_ms).toBeNull();
    expect(summary.ttft_kind).toBeNull();
    expect(summary.throughput.requests_per_s).toBe(0);
    expect(summary.cache.hit_rate).toBeNull();
  });

  test("any non-streamed response marks TTFT as first-byte", () => {
    const mixed = [...records, rec({ seq: 9, tSend: 1000, tFirstByte: 1100, tEnd: 1101, outputTokensCounted: 3 })];
    expect(summarizeRun(mixed, "whitespace").summary.ttft_kind).toBe("first-byte");
  });
});

describe("poolRuns", () => {
  const stream = (seq: number, tSend: number, gaps: number[], extra: Partial<RawRecord> = {}) => {
    const times: number[] = [];
    let t = tSend;
    for (const g of gaps) times.push((t += g));
    return rec({
      seq,
      tSend,
      streamed: true,
      tFirstByte: times[0],
      tokenTimes: times,
      tEnd: t,
      outputTokensCounted: gaps.length,
      ...extra,
    });
  };
  // run 1 measures 1000 → 1200 (0.2 s); run 2, after a gap and its own warm-up, 5000 → 5500 (0.5 s)
  const run1 = [
    stream(0, 0, [250, 250], { phase: "warmup" }),
    stream(1, 1000, [50, 50]), // e2e 100
    stream(2, 1050, [100, 50]), // e2e 150
    rec({ seq: 3, tSend: 1100, tEnd: 1150, error: { class: "timeout", message: "late" } }),
  ];
  const run2 = [
    stream(10, 4000, [250, 250], { phase: "warmup" }),
    stream(11, 5000, [100, 100, 100]), // e2e 300
    stream(12, 5100, [300, 100]), // e2e 400
  ];
  const lag = (distorted: boolean): ClientCheck => ({
    event_loop_lag_ms: null,
    distorted,
    reason: distorted ? "event-loop lag p99 9.00 ms exceeds 2.00 ms" : null,
  });
  const { summary: s, digests } = poolRuns(
    [
      { records: run1, client: lag(false) },
      { records: run2, client: lag(true) },
    ],
    "whitespace",
    { slo: parseSlo("e2e_p50=250ms") },
  );

  test("every windowed rate, goodput included, over the summed measured windows (0.2 s + 0.5 s), not the wall span with the gap", () => {
    expect(s.duration_s).toBeCloseTo(0.7, 12);
    expect(s.throughput.requests_per_s).toBeCloseTo(4 / 0.7, 9);
    expect(s.throughput.output_tokens_per_s).toBeCloseTo(9 / 0.7, 9); // 2 + 2 + 3 + 2 tokens
    expect(s.throughput.input_tokens_per_s).toBeCloseTo(40 / 0.7, 9);
    // e2e 100 and 150 meet 250 ms; 300 and 400 do not
    expect(s.slo!.good_requests).toBe(2);
    expect(s.slo!.goodput_rps).toBeCloseTo(2 / 0.7, 9);
  });

  test("counts and latencies over every run's measured requests", () => {
    expect(s.requests).toEqual({ sent: 5, succeeded: 4, failed: 1 });
    expect(s.e2e_ms).toMatchObject({ count: 4, min: 100, max: 400, p50: 225 });
    expect(digests.e2e_ms.count).toBe(4);
  });

  test("the client distorted in any run is named", () => {
    expect(s.client).toEqual({
      event_loop_lag_ms: null,
      distorted: true,
      reason: "in run 2 of 2: event-loop lag p99 9.00 ms exceeds 2.00 ms",
    });
  });

  test("one run pools to its own summary", () => {
    const one = poolRuns([{ records: run1 }], "whitespace").summary;
    const own = summarizeRun(run1, "whitespace").summary;
    expect(one.duration_s).toBe(own.duration_s);
    expect(one.throughput).toEqual(own.throughput);
  });
});

describe("clientCheck", () => {
  const base = summarizeRun(
    [0, 1, 2, 3].map((i) =>
      rec({ seq: i, streamed: true, tSend: 0, tokenTimes: [60], tEnd: 70, outputTokensCounted: 1 }),
    ),
    "whitespace",
  ).summary; // TTFT p50 = 60 ms → the limit is max(5% = 3 ms, 2 ms) = 3 ms
  /** n lag samples, all `x` but the last `spikes` */
  const lags = (n: number, x: number, spikes: number[] = []) => [...Array(n - spikes.length).fill(x), ...spikes];
  test("quiet client: no finding", () => {
    const c = clientCheck(lags(200, 0.2, [2.9, 2.9]), base);
    expect(c.distorted).toBe(false);
    expect(c.reason).toBeNull();
    expect(c.event_loop_lag_ms!.max).toBe(2.9);
  });
  test("event-loop lag p99 above 5% of TTFT p50 is a finding", () => {
    const c = clientCheck(lags(200, 0.2, [9, 9, 9, 9]), base);
    expect(c.distorted).toBe(true);
    expect(c.reason).toContain("event-loop lag p99 9.00 ms exceeds 3.00 ms");
  });
  test("send lag p99 above the limit is a finding", () => {
    const s = { ...base, send_lag_ms: { count: 150, mean: 1, min: 0, max: 5, p50: 0, p90: 2.5, p95: 2.8, p99: 3.96 } };
    expect(clientCheck(lags(200, 0.2), s).reason).toContain("send lag p99 3.96 ms");
  });
  test("too few samples to have a p99 are not a finding (a p99 of 50 samples is one hiccup)", () => {
    expect(clientCheck(lags(50, 0.2, [9, 9]), base).distorted).toBe(false);
  });
  test("below 2 ms nothing is a finding, however fast the server", () => {
    const fast = summarizeRun(
      [rec({ streamed: true, tSend: 0, tokenTimes: [2], tEnd: 3, outputTokensCounted: 1 })],
      "whitespace",
    ).summary;
    expect(clientCheck(lags(200, 1.9), fast).distorted).toBe(false);
    expect(clientCheck(lags(200, 2.5), fast).distorted).toBe(true);
  });
});

describe("summary.connections", () => {
  test("counts measured requests sent again on a fresh connection, and those that failed again; TTFT runs from the first send", () => {
    const records = [
      rec({ seq: 0, phase: "warmup", tRetry: 1001, tEnd: 1100 }),
      rec({ seq: 1, tSend: 1000, tRetry: 1002, tFirstByte: 1030, tEnd: 1050, outputTokensCounted: 3 }),
      rec({
        seq: 2,
        tSend: 1000,
        tRetry: 1001,
        tEnd: 1003,
        error: { class: "connect", message: "connection reset before a response" },
      }),
      rec({ seq: 3, tSend: 1000, tFirstByte: 1020, tEnd: 1040, outputTokensCounted: 3 }),
    ];
    const { summary } = summarizeRun(records, "whitespace");
    expect(summary.connections).toEqual({ reconnects: 2, retried_requests: 2, retries_failed: 1 });
    // the retried request's TTFT and E2E include the lost first attempt
    expect(deriveRequest(records[1]).ttftMs).toBe(30);
    expect(deriveRequest(records[1]).e2eMs).toBe(50);
  });
});
