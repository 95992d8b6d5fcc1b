/** The status line off a terminal, ticked by the test (an injected `every`), not by wall time: what it says at each request the server sees. */
import { expect, test } from "bun:test";
import { LAG_PERIOD_MS, runBenchmark } from "../../src/app/run.ts";
import { realTimers, type Every } from "../../src/io/clock.ts";
import { runOptions, scripted } from "./helpers.ts";

test("each tick says where the run is: the warm-up, then the measured progress, and what is in flight; the timer is stopped at the end", async () => {
  let tick = () => {};
  let periodMs = 0;
  let stopped = false;
  const every: Every = (ms, fn) => {
    // the event-loop lag probe keeps its real timer: the test ticks the status line only
    if (ms === LAG_PERIOD_MS) return realTimers.every(ms, fn);
    periodMs = ms;
    tick = fn;
    return () => {
      stopped = true;
    };
  };
  const lines: string[] = [];
  // the server ticks the status line as each request arrives: one request in flight at a time
  const peer = scripted(() => {
    tick();
    return Response.json({ text: "a b c", cached: false });
  });
  try {
    const out = await runBenchmark(
      runOptions(`${peer.url}/generate`, { requests: "3", concurrency: "1", warmup: "2", "repeat-ratio": "0" }),
      {
        onStatus: (l) => lines.push(l),
        timers: { ...realTimers, every },
      },
    );
    expect(out.doc.summary.requests.succeeded).toBe(3);
  } finally {
    peer.stop();
  }
  expect(periodMs).toBe(10_000);
  expect(stopped).toBe(true);
  expect(lines.map((l) => l.replace(/^status at \d+ s: /, "").replace(/\] .* ms,/, "] …,"))).toEqual([
    "warm-up 0/2 finished, 1 in flight",
    "warm-up 1/2 finished, 1 in flight",
    "[0/3] …, 1 in flight",
    "[1/3] …, 1 in flight",
    "[2/3] …, 1 in flight",
  ]);
});
