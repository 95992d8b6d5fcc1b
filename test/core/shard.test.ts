import { describe, expect, test } from "bun:test";
import { arrivalTimes } from "../../src/core/arrivals.ts";
import { UsageError } from "../../src/core/errors.ts";
import { parseRunOptions } from "../../src/core/options.ts";
import { argv } from "./helpers.ts";
import { createRng } from "../../src/core/rng.ts";
import { RequestPlan, repeatCount, type PlannedRequest } from "../../src/core/schedule.ts";
import { parseShard, share, shardArrivals, shardLoad, shardPromptIds } from "../../src/core/shard.ts";

/** Drive a plan at a fixed concurrency, oldest first, every request succeeding. */
function drive(plan: RequestPlan, concurrency: number): PlannedRequest[] {
  const sent: PlannedRequest[] = [];
  const inFlight: PlannedRequest[] = [];
  for (;;) {
    while (inFlight.length < concurrency) {
      const step = plan.next();
      if (step === "wait" || step === "done") break;
      sent.push(step);
      inFlight.push(step);
    }
    const r = inFlight.shift();
    if (!r) break;
    plan.complete(r.seq, true);
  }
  expect(plan.next()).toBe("done");
  return sent;
}

const usage = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as UsageError).message;
  }
  throw new Error("no UsageError");
};

describe("--shard i/N", () => {
  test("parses INDEX/COUNT from 0; refuses the rest with the form to write", () => {
    expect(parseShard("2/4")).toEqual({ index: 2, count: 4 });
    expect(parseShard("0/1")).toEqual({ index: 0, count: 1 });
    expect(usage(() => parseShard("4/4"))).toContain("counts from 0");
    expect(usage(() => parseShard("1/0"))).toContain("between 1");
    expect(usage(() => parseShard("1-4"))).toContain("INDEX/COUNT");
    expect(usage(() => parseShard("-1/4"))).toContain("INDEX/COUNT");
  });

  test("shares add up to the total and differ by at most one", () => {
    for (const [total, n] of [
      [0, 3],
      [7, 3],
      [9, 3],
      [1, 5],
      [1000, 7],
    ]) {
      const parts = Array.from({ length: n }, (_, i) => share(total, i, n));
      expect(parts.reduce((a, x) => a + x, 0)).toBe(total);
      expect(Math.max(...parts) - Math.min(...parts)).toBeLessThanOrEqual(1);
    }
  });

  test("the shards' loads add up to the whole workload: requests, repeats, warm-up, concurrency", () => {
    for (const [requests, warmup, ratio, concurrency, n] of [
      [20, 5, 0.3, 4, 3],
      [101, 0, 0.5, 16, 4],
      [10, 3, 0, 10, 10],
      [7, 1, 0.25, 2, 2],
    ]) {
      const loads = Array.from({ length: n }, (_, i) =>
        shardLoad({ index: i, count: n }, { requests, warmup, repeatRatio: ratio, concurrency }),
      );
      const sum = (f: (l: (typeof loads)[number]) => number) => loads.reduce((a, l) => a + f(l), 0);
      expect(sum((l) => l.requests!)).toBe(requests);
      expect(sum((l) => l.repeats!)).toBe(repeatCount(requests, ratio));
      expect(sum((l) => l.warmup)).toBe(warmup);
      expect(sum((l) => l.concurrency)).toBe(concurrency);
      const sizes = loads.map((l) => l.requests!);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      for (const l of loads) expect(l.requests! - l.repeats!).toBeGreaterThanOrEqual(1);
    }
    // an uncapped open loop stays uncapped; a timed run has no count to split
    expect(
      shardLoad({ index: 1, count: 3 }, { requests: undefined, warmup: 5, repeatRatio: 0.3, concurrency: Infinity }),
    ).toEqual({ requests: undefined, warmup: 2, repeats: undefined, concurrency: Infinity });
  });

  test("a split that leaves a shard nothing to do is refused", () => {
    expect(
      usage(() => shardLoad({ index: 0, count: 4 }, { requests: 20, warmup: 0, repeatRatio: 0, concurrency: 3 })),
    ).toContain("--concurrency 3 is the total over 4 shards");
    expect(
      usage(() => shardLoad({ index: 0, count: 4 }, { requests: 4, warmup: 0, repeatRatio: 0.5, concurrency: 8 })),
    ).toContain("leave some shard none");
  });

  test("N sharded plans send exactly the prompts of one plan: every first-time prompt once, the same number of repeats", () => {
    for (const [requests, warmup, ratio, n] of [
      [20, 5, 0.3, 3],
      [50, 4, 0.5, 4],
      [9, 0, 0, 2],
    ]) {
      const one = drive(new RequestPlan({ requests, warmup, repeatRatio: ratio, seed: 9 }), 3);
      const parts = Array.from({ length: n }, (_, i) => {
        const spec = { index: i, count: n };
        const load = shardLoad(spec, { requests, warmup, repeatRatio: ratio, concurrency: 3 * n });
        return drive(
          new RequestPlan({
            requests: load.requests,
            warmup: load.warmup,
            repeatRatio: ratio,
            seed: 9,
            repeats: load.repeats,
            promptIds: shardPromptIds(spec, warmup),
          }),
          load.concurrency,
        );
      });
      const firsts = (rs: PlannedRequest[], phase: string) =>
        rs
          .filter((r) => r.phase === phase && !r.repeat)
          .map((r) => r.promptId)
          .sort((a, b) => a - b);
      const all = parts.flat();
      expect(firsts(all, "warmup")).toEqual(firsts(one, "warmup"));
      expect(firsts(all, "measured")).toEqual(firsts(one, "measured"));
      expect(all.filter((r) => r.repeat).length).toBe(one.filter((r) => r.repeat).length);
      // a shard repeats only prompts it sent itself
      for (const p of parts) {
        const own = new Set(p.filter((r) => !r.repeat).map((r) => r.promptId));
        expect(p.filter((r) => r.repeat).every((r) => own.has(r.promptId))).toBe(true);
      }
    }
  });

  test("open loop: the shards' arrivals together are the one sequence of the seed", () => {
    const seq = () => arrivalTimes({ rate: 50, burstiness: 0.5, rampUpMs: 0 }, createRng(3));
    const take = (it: Iterable<number>, k: number) => {
      const out: number[] = [];
      for (const t of it) {
        if (out.length >= k) break;
        out.push(t);
      }
      return out;
    };
    const whole = take(seq(), 300);
    const parts = [0, 1, 2].map((i) => take(shardArrivals(seq(), { index: i, count: 3 }), 100));
    expect(parts.flat().sort((a, b) => a - b)).toEqual(whole);
    expect(parts[1][0]).toBe(whole[1]);
  });

  test("run options: a shard runs its share, records the totals, and needs a shared --seed", () => {
    const parse = (args: Record<string, string>) =>
      parseRunOptions(argv({ endpoint: "http://127.0.0.1:1/generate", ...args }), {}, () => 1);
    const o = parse({ requests: "20", warmup: "5", concurrency: "4", seed: "7", shard: "2/3" });
    expect([o.requests, o.warmup, o.concurrency]).toEqual([6, 1, 1]);
    expect(o.shard).toEqual({ index: 2, count: 3, requests: 20, warmup: 5, concurrency: 4, repeats: 2 });
    expect(usage(() => parse({ requests: "20", shard: "0/2" }))).toContain("needs the --seed every shard shares");
    expect(usage(() => parse({ requests: "20", seed: "1", concurrency: "2,4", shard: "0/2" }))).toContain("a sweep");
    expect(usage(() => parse({ requests: "20", seed: "1", runs: "3", shard: "0/2" }))).toContain("--runs");
    expect(parse({ requests: "20", seed: "1" }).shard).toBeUndefined();
  });
});
