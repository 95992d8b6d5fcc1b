import { describe, expect, test } from "bun:test";
import { renderStatus } from "../../src/render/report.ts";

const progress = {
  done: 120,
  total: 1000,
  failed: 3,
  requestsPerS: 3.0214,
  outputTokensPerS: 301.44,
  ttftP50Ms: 212.3,
};

describe("renderStatus: the status line off a terminal", () => {
  test("while measuring: the progress numbers on one line, and what is in flight", () => {
    expect(renderStatus({ elapsedS: 40.2, inFlight: 5, warmup: null, progress })).toBe(
      "status at 40 s: [ 120/1000] 3.02 req/s 301.4 tok/s TTFT p50 212 ms failed 3, 5 in flight",
    );
  });

  test("during the warm-up: how much of it finished", () => {
    expect(renderStatus({ elapsedS: 10, inFlight: 5, warmup: { done: 0, total: 5 }, progress })).toBe(
      "status at 10 s: warm-up 0/5 finished, 5 in flight",
    );
  });
});
