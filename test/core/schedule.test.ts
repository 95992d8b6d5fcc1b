import { describe, expect, test } from "bun:test";
import { RequestPlan, repeatCount, type PlannedRequest } from "../../src/core/schedule.ts";

/** Drive a plan with a fixed concurrency, completing the oldest in-flight request first. */
function drive(plan: RequestPlan, concurrency: number, ok: (r: PlannedRequest) => boolean = () => true, strict = true) {
  const sent: PlannedRequest[] = [];
  const inFlight: PlannedRequest[] = [];
  const firstDone = new Set<number>();
  for (;;) {
    while (inFlight.length < concurrency) {
      const step = plan.next();
      if (step === "wait" || step === "done") break;
      if (step.repeat && strict) expect(firstDone.has(step.promptId)).toBe(true); // a repeat reuses a completed prompt
      sent.push(step);
      inFlight.push(step);
    }
    const r = inFlight.shift();
    if (!r) break;
    const success = ok(r);
    if (success && !r.repeat && r.phase === "measured") firstDone.add(r.promptId);
    plan.complete(r.seq, success);
  }
  expect(plan.next()).toBe("done");
  return sent;
}

describe("RequestPlan", () => {
  test("warm-up first, with prompts never reused; measured requests exactly as many as asked", () => {
    const sent = drive(new RequestPlan({ requests: 20, warmup: 3, repeatRatio: 0.5, seed: 1 }), 4);
    expect(sent.length).toBe(23);
    expect(sent.slice(0, 3).map((r) => [r.phase, r.promptId])).toEqual([
      ["warmup", 0],
      ["warmup", 1],
      ["warmup", 2],
    ]);
    const measured = sent.filter((r) => r.phase === "measured");
    expect(measured.length).toBe(20);
    expect(measured.every((r) => r.promptId >= 3)).toBe(true);
    expect(sent.map((r) => r.seq)).toEqual([...Array(23).keys()]);
  });

  test("measured requests wait until every warm-up request has finished", () => {
    const plan = new RequestPlan({ requests: 5, warmup: 2, repeatRatio: 0, seed: 1 });
    const a = plan.next() as PlannedRequest;
    const b = plan.next() as PlannedRequest;
    expect(plan.next()).toBe("wait");
    plan.complete(a.seq, true);
    expect(plan.next()).toBe("wait");
    plan.complete(b.seq, false); // a failed warm-up still ends the warm-up
    expect((plan.next() as PlannedRequest).phase).toBe("measured");
  });

  test.each([
    [50, 0.3, 5],
    [50, 0.5, 8],
    [7, 0.5, 1],
    [100, 0.99, 3],
    [10, 0, 2],
  ])("exactly round(r × requests) repeats: n=%d r=%d c=%d", (requests, ratio, concurrency) => {
    const sent = drive(new RequestPlan({ requests, warmup: 2, repeatRatio: ratio, seed: 7 }), concurrency);
    const measured = sent.filter((r) => r.phase === "measured");
    expect(measured.filter((r) => r.repeat).length).toBe(repeatCount(requests, ratio));
    // unique prompts are each sent once as a first request
    const firsts = measured.filter((r) => !r.repeat).map((r) => r.promptId);
    expect(new Set(firsts).size).toBe(firsts.length);
    expect(firsts.length).toBe(requests - repeatCount(requests, ratio));
  });

  test("round(0.3 × 50) = 15 and round(0.5 × 7) = 4", () => {
    expect(repeatCount(50, 0.3)).toBe(15);
    expect(repeatCount(7, 0.5)).toBe(4);
  });

  test("same seed and same completion order → same plan; another seed → another", () => {
    const run = (seed: number) =>
      drive(new RequestPlan({ requests: 40, warmup: 0, repeatRatio: 0.4, seed }), 3).map(
        (r) => `${r.promptId}${r.repeat ? "r" : ""}`,
      );
    expect(run(11)).toEqual(run(11));
    expect(run(11)).not.toEqual(run(12));
  });

  test("a repeat never reuses a prompt whose first request failed, nor a warm-up prompt", () => {
    const failing = new Set([2, 3, 4]);
    const sent = drive(
      new RequestPlan({ requests: 30, warmup: 2, repeatRatio: 0.5, seed: 3 }),
      2,
      (r) => !failing.has(r.promptId),
    );
    const repeats = sent.filter((r) => r.repeat);
    expect(repeats.length).toBe(15);
    expect(repeats.some((r) => failing.has(r.promptId) || r.promptId < 2)).toBe(false);
  });

  test("when every first request fails, no failed prompt is repeated and the load is never held back", () => {
    const requests = 10;
    const concurrency = 4;
    const plan = new RequestPlan({ requests, warmup: 0, repeatRatio: 0.5, seed: 3 });
    const sent: PlannedRequest[] = [];
    const inFlight: PlannedRequest[] = [];
    const heldBack: number[] = [];
    for (;;) {
      while (inFlight.length < concurrency) {
        const step = plan.next();
        if (step === "done") break;
        if (step === "wait") {
          heldBack.push(inFlight.length); // a free slot left idle
          break;
        }
        sent.push(step);
        inFlight.push(step);
      }
      const r = inFlight.shift();
      if (!r) break;
      plan.complete(r.seq, false);
    }
    expect(heldBack).toEqual([]);
    expect(sent.length).toBe(requests);
    expect(sent.filter((r) => r.repeat)).toEqual([]);
    expect(new Set(sent.map((r) => r.promptId)).size).toBe(requests);
  });

  test("a repeat with no completed prompt waits only while no first request has finished", () => {
    const plan = new RequestPlan({ requests: 4, warmup: 0, repeatRatio: 0.5, seed: 1 });
    const a = plan.next() as PlannedRequest;
    const b = plan.next() as PlannedRequest;
    expect([a.repeat, b.repeat]).toEqual([false, false]);
    expect(plan.next()).toBe("wait"); // both firsts in flight: one will complete in a moment
    plan.complete(a.seq, true);
    const c = plan.next() as PlannedRequest;
    expect([c.repeat, c.promptId]).toEqual([true, a.promptId]);
    // the other first fails: the last repeat reuses the prompt that succeeded
    plan.complete(b.seq, false);
    const d = plan.next() as PlannedRequest;
    expect([d.repeat, d.promptId]).toEqual([true, a.promptId]);
  });

  test("once a first request has failed and none succeeded, a due repeat becomes a fresh prompt; a later success is reused", () => {
    const plan = new RequestPlan({ requests: 4, warmup: 0, repeatRatio: 0.5, seed: 1 });
    const a = plan.next() as PlannedRequest;
    const b = plan.next() as PlannedRequest;
    plan.complete(a.seq, false);
    const c = plan.next() as PlannedRequest;
    expect([c.repeat, c.promptId]).toEqual([false, 2]);
    plan.complete(b.seq, true);
    const d = plan.next() as PlannedRequest;
    expect([d.repeat, d.promptId]).toEqual([true, b.promptId]);
    expect(plan.next()).toBe("done");
  });

  test("a plan of repeats only (ratio 1) sends a fresh prompt instead of waiting for nothing", () => {
    const plan = new RequestPlan({ requests: 1, warmup: 0, repeatRatio: 1, seed: 1 });
    const a = plan.next() as PlannedRequest;
    expect([a.phase, a.repeat]).toEqual(["measured", false]);
  });

  test("at concurrency 1, the first measured request is never a repeat, and repeats are spread evenly", () => {
    const sent = drive(new RequestPlan({ requests: 100, warmup: 0, repeatRatio: 0.3, seed: 5 }), 1);
    expect(sent[0].repeat).toBe(false);
    // by the m-th request round(0.3 m) were repeats (one behind at most, while the first completes)
    for (let m = 1; m <= 100; m++) {
      const repeats = sent.slice(0, m).filter((r) => r.repeat).length;
      expect(Math.round(0.3 * m) - repeats).toBeLessThanOrEqual(1);
      expect(repeats).toBeLessThanOrEqual(Math.round(0.3 * m));
    }
  });

  test("unbounded (timed) plan: round(r × m) repeats after any m, ramp prompts never reused", () => {
    const plan = new RequestPlan({ requests: undefined, warmup: 1, repeatRatio: 0.25, seed: 2 });
    expect(plan.total).toBe(Number.POSITIVE_INFINITY);
    const w = plan.next() as PlannedRequest;
    plan.complete(w.seq, true);
    const ramp = [plan.next(true), plan.next(true)] as PlannedRequest[];
    expect(ramp.map((r) => r.phase)).toEqual(["rampup", "rampup"]);
    for (const r of ramp) plan.complete(r.seq, true);
    const sent: PlannedRequest[] = [];
    for (let i = 0; i < 400; i++) {
      const r = plan.next() as PlannedRequest;
      sent.push(r);
      plan.complete(r.seq, true);
    }
    expect(sent.filter((r) => r.repeat).length).toBe(100);
    const reused = new Set(sent.filter((r) => r.repeat).map((r) => r.promptId));
    expect([w.promptId, ...ramp.map((r) => r.promptId)].some((id) => reused.has(id))).toBe(false);
  });

  test("complete() of an unknown request throws", () => {
    const plan = new RequestPlan({ requests: 1, warmup: 0, repeatRatio: 0, seed: 1 });
    expect(() => plan.complete(5, true)).toThrow();
  });
});
