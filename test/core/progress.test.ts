import { expect, test } from "bun:test";
import { ProgressTracker } from "../../src/core/progress.ts";

test("rates are current: over the last window, not since the start", () => {
  const p = new ProgressTracker(1000);
  // 10 requests/s of 5 tokens for 3 s, then 2 requests/s
  let t = 0;
  for (let i = 0; i < 30; i++) p.add((t += 100), true, 5, 20 + (i % 3));
  expect(p.view(t, 0, 100).requestsPerS).toBeCloseTo(10, 6); // 30 over 3 s: still the start
  for (let i = 0; i < 4; i++) p.add((t += 500), true, 5, 40);
  const v = p.view(t, 0, 100);
  expect(v.requestsPerS).toBeCloseTo(2, 6); // the last second: 2 completions after the window's first
  expect(v.outputTokensPerS).toBeCloseTo(10, 6);
  expect(v.done).toBe(34);
  expect(v.ttftP50Ms!).toBeCloseTo(21, 0); // a t-digest estimate of the exact median 21
});

test("failures count as done and failed, not in the rates", () => {
  const p = new ProgressTracker(1000);
  p.add(100, true, 4, 10);
  p.add(200, false, 0, null);
  p.add(300, true, 4, 30);
  const v = p.view(300, 0, 10);
  expect([v.done, v.failed, v.total]).toEqual([3, 1, 10]);
  expect(v.requestsPerS).toBeCloseTo(1 / 0.2, 6); // successes after the first in the window, over 200 ms
  expect(v.ttftP50Ms).toBe(20);
});

test("before any completion: zeros, no TTFT", () => {
  expect(new ProgressTracker().view(50, 0, 5)).toEqual({
    done: 0,
    total: 5,
    failed: 0,
    requestsPerS: 0,
    outputTokensPerS: 0,
    ttftP50Ms: undefined,
  });
});
