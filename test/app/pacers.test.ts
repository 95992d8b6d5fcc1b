/**
 * Pacing on fake timers: each pacer over the one dispatcher, a fake `send` that completes when the
 * test says, and time moved by the test — exact send times, due times and send lag, no sockets.
 */
import { describe, expect, test } from "bun:test";
import type { RawRecord } from "../../src/core/metrics.ts";
import { RequestPlan, type PlannedRequest } from "../../src/core/schedule.ts";
import { createDispatcher, dispatch, type Dispatcher, type Pacer } from "../../src/app/dispatch.ts";
import {
  chains,
  closedLoop,
  openLoop,
  rampAllowance,
  rampRise,
  timedRequests,
  warmupLoop,
  type Chain,
} from "../../src/app/pacers.ts";
import { FakeServer, FakeTimers, settle } from "./fake-timers.ts";

/** a dispatcher over fake timers and a fake server, and the pacer started on it */
function start<R extends { seq: number }>(
  pacer: (timers: FakeTimers) => Pacer<R>,
  o: { stopWhen?: () => boolean } = {},
) {
  const timers = new FakeTimers();
  const server = new FakeServer<R>(timers);
  const records: RawRecord[] = [];
  const d: Dispatcher<R> = createDispatcher<R>({
    send: server.send,
    timers,
    signal: new AbortController().signal,
    onRecord: (r) => records.push(r),
    stopWhen: o.stopWhen,
  });
  let finished = false;
  const run = dispatch(d, pacer(timers)).then(() => {
    finished = true;
  });
  return {
    timers,
    server,
    d,
    records,
    run,
    get finished() {
      return finished;
    },
    /** [time sent, seq] of every request so far */
    times: () => server.sent.map((s) => s.at),
  };
}

const plan = (requests: number | undefined, warmup = 0) =>
  new RequestPlan({ requests, warmup, repeatRatio: 0, seed: 1 });
const same = (req: PlannedRequest) => req;

describe("the ramp's allowance", () => {
  test("one at the start, one more at each k·ramp/C, all at the end; the next rise is where the allowance changes", () => {
    const c = 4;
    const ramp = 400;
    const step = ramp / c;
    expect(
      [0, step - 1, step, 2 * step - 0.5, 2 * step, 3 * step, ramp - 1, ramp, ramp + 1].map((e) =>
        rampAllowance(c, ramp, e),
      ),
    ).toEqual([1, 1, 2, 2, 3, 4, 4, 4, 4]);
    expect([0, step, 2.5 * step, 3 * step].map((e) => rampRise(c, ramp, e))).toEqual([step, 2 * step, 3 * step, null]);
    expect(rampAllowance(c, 0, 0)).toBe(c);
    // where floating point would put k·ramp/C a hair off, the allowance and the rise still agree
    for (const [cc, r] of [
      [3, 1000],
      [7, 333],
      [10, 0.3],
    ] as const) {
      for (let k = 1; k < cc; k++) {
        const at = rampRise(cc, r, ((k - 1) * r) / cc)!;
        expect(rampAllowance(cc, r, at)).toBe(k + 1);
      }
    }
    // and from a start that is not 0, as a real clock's: (t0 + r) − t0 is not r in floating point
    const t0 = 736643.1986158817;
    for (let k = 1; k < 7; k++)
      expect(rampAllowance(7, 1000, rampRise(7, 1000, t0 + ((k - 1) * 1000) / 7, t0)!, t0)).toBe(k + 1);
  });
});

describe("closed loop on fake timers", () => {
  test("under a ramp, sends leave exactly as the allowance rises, as ramp-up requests; then a completion lets the next go", async () => {
    const concurrency = 4;
    const rampUpMs = 400;
    const p = plan(6);
    const s = start<PlannedRequest>(() =>
      closedLoop({ plan: p, concurrency, prepare: same, t0: 0, rampUpMs, deadline: Infinity }),
    );
    await s.timers.advanceTo(rampUpMs / concurrency - 1);
    expect(s.times()).toEqual([0]);
    await s.timers.advanceTo(rampUpMs);
    expect(s.times()).toEqual([0, 100, 200, 300]);
    expect(s.server.sent.map((x) => x.req.phase)).toEqual(["rampup", "rampup", "rampup", "rampup"]);
    expect(s.server.sent.every((x) => x.tSched === null)).toBe(true);
    // all four in flight at the end of the ramp: nothing more until one completes
    await s.timers.advanceTo(450);
    expect(s.times()).toHaveLength(4);
    await s.server.complete(1);
    expect(s.times()).toEqual([0, 100, 200, 300, 450]);
    expect(s.server.sent[4].req.phase).toBe("measured");
    expect(s.finished).toBe(false);
  });

  test("a completion during the ramp lets the next go at once, within the allowance of the moment", async () => {
    const p = plan(10);
    const s = start<PlannedRequest>(() =>
      closedLoop({ plan: p, concurrency: 2, prepare: same, t0: 0, rampUpMs: 100, deadline: Infinity }),
    );
    await s.timers.advanceTo(20);
    await s.server.complete(0);
    await s.timers.advanceTo(30);
    // one allowed until 50: the completion at 20 sent the second; the rise at 50 the third
    expect(s.times()).toEqual([0, 20]);
    await s.timers.advanceTo(50);
    expect(s.times()).toEqual([0, 20, 50]);
  });

  test("a run of N requests: exactly N sent, at most C in flight; the loop ends once all are sent, and dispatch once all completed (drain)", async () => {
    const p = plan(5);
    const s = start<PlannedRequest>(() =>
      closedLoop({ plan: p, concurrency: 2, prepare: same, t0: 0, rampUpMs: 0, deadline: Infinity }),
    );
    await settle();
    expect(s.server.inFlight).toEqual([0, 1]);
    for (const seq of [1, 0, 2, 3]) {
      await s.server.complete(seq);
      expect(s.server.inFlight.length).toBeLessThanOrEqual(2);
    }
    expect(s.server.sent.map((x) => x.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(s.finished).toBe(false); // 4 is still in flight: drained, not dropped
    await s.server.complete(4);
    await s.run;
    expect(s.records.map((r) => r.seq)).toEqual([1, 0, 2, 3, 4]);
    expect(s.timers.waiting).toBe(0);
  });

  test("a timed run: the loop wakes at the deadline with requests in flight, sends nothing after it, and drains", async () => {
    const p = plan(undefined);
    const deadline = 100;
    const s = start<PlannedRequest>(() =>
      closedLoop({ plan: p, concurrency: 2, prepare: same, t0: 0, rampUpMs: 0, deadline }),
    );
    await s.timers.advanceTo(40);
    await s.server.complete(0);
    await s.timers.advanceTo(deadline - 1);
    expect(s.times()).toEqual([0, 0, 40]);
    await s.timers.advanceTo(deadline);
    // no completion came: the deadline alone ended the loop (two still in flight)
    expect(s.server.inFlight).toEqual([1, 2]);
    await s.server.complete(1);
    expect(s.times()).toEqual([0, 0, 40]);
    expect(s.finished).toBe(false);
    await s.server.complete(2);
    await s.run;
    expect(s.timers.waiting).toBe(0);
  });

  test("stop() during the wait: no more sends, the wait ends at once, what is in flight is drained", async () => {
    const p = plan(100);
    const s = start<PlannedRequest>(() =>
      closedLoop({ plan: p, concurrency: 3, prepare: same, t0: 0, rampUpMs: 1000, deadline: 5000 }),
    );
    await s.timers.advanceTo(10);
    expect(s.times()).toEqual([0]);
    s.d.stop();
    await settle();
    expect(s.timers.waiting).toBe(0); // the timer of the ramp's next rise is gone
    await s.timers.advanceTo(2000);
    expect(s.times()).toEqual([0]);
    await s.server.complete(0);
    await s.run;
    expect(s.timers.t).toBe(2000);
  });
});

describe("warm-up loop on fake timers", () => {
  test("only the plan's warm-up requests, at most C at once; stopWhen sends no more and those in flight finish", async () => {
    const p = plan(4, 7);
    let done = 0;
    const s = start<PlannedRequest>(() => warmupLoop({ plan: p, concurrency: 3, prepare: same }), {
      stopWhen: () => done >= 4,
    });
    await settle();
    expect(s.server.inFlight).toEqual([0, 1, 2]);
    for (const seq of [2, 0, 1, 3]) {
      done++;
      await s.server.complete(seq);
    }
    // the 4th completion: stopWhen holds, 4, 5 in flight finish, 6 is never sent
    expect(s.server.sent.map((x) => x.seq)).toEqual([0, 1, 2, 3, 4, 5]);
    await s.server.complete(4);
    await s.server.complete(5);
    await s.run;
    expect(s.server.sent.every((x) => x.req.phase === "warmup")).toBe(true);
    expect(p.warmupFinished).toBe(false);
  });
});

test("warm-up loop: stop() (Ctrl-C) sends no more and the loop returns while requests are in flight", async () => {
  const p = plan(4, 7);
  const s = start<PlannedRequest>(() => warmupLoop({ plan: p, concurrency: 2, prepare: same }));
  await settle();
  s.d.stop();
  await s.server.complete(0);
  expect(s.server.sent.map((x) => x.seq)).toEqual([0, 1]);
  await s.server.complete(1);
  await s.run;
});

describe("open loop on fake timers", () => {
  test("each request leaves at its due time; when the cap is reached it leaves at the next completion, its lag recorded", async () => {
    const arrivals = [0, 10, 20, 30, 40];
    const p = plan(arrivals.length);
    const s = start<PlannedRequest>(() =>
      openLoop({ plan: p, arrivals, concurrency: 2, prepare: same, t0: 1000, rampUpMs: 0, deadline: Infinity }),
    );
    await s.timers.advanceTo(1035);
    expect(s.server.sent.map((x) => [x.at, x.tSched])).toEqual([
      [1000, 1000],
      [1010, 1010],
    ]);
    await s.server.complete(0);
    await s.timers.advanceTo(1050);
    await s.server.complete(1);
    await s.timers.advanceTo(1060);
    await s.server.complete(2);
    const sent = s.server.sent.map((x) => [x.at, x.tSched]);
    expect(sent).toEqual([
      [1000, 1000],
      [1010, 1010],
      [1035, 1020],
      [1050, 1030],
      [1060, 1040],
    ]);
    expect(sent.map(([at, due]) => at! - due!)).toEqual([0, 0, 15, 20, 20]);
    await s.server.complete(3);
    await s.server.complete(4);
    await s.run;
    expect(s.records.map((r) => r.tSend - r.tSched!)).toEqual([0, 0, 15, 20, 20]);
  });

  test("no send at or past the deadline; stop() during a long wait ends it at once, leaving no timer", async () => {
    const p = plan(undefined);
    const s = start<PlannedRequest>(() =>
      openLoop({
        plan: p,
        arrivals: [0, 50, 100, 60_000],
        concurrency: Infinity,
        prepare: same,
        t0: 0,
        rampUpMs: 0,
        deadline: 100,
      }),
    );
    await s.timers.advanceTo(99);
    expect(s.times()).toEqual([0, 50]);
    await s.timers.advanceTo(100);
    expect(s.times()).toEqual([0, 50]);
    await s.server.complete(0);
    await s.server.complete(1);
    await s.run;

    const q = plan(undefined);
    const t = start<PlannedRequest>(() =>
      openLoop({
        plan: q,
        arrivals: [0, 60_000],
        concurrency: Infinity,
        prepare: same,
        t0: 0,
        rampUpMs: 0,
        deadline: Infinity,
      }),
    );
    await t.timers.advanceTo(5);
    expect(t.timers.waiting).toBe(1);
    t.d.stop();
    await settle();
    expect(t.timers.waiting).toBe(0);
    await t.server.complete(0);
    await t.run;
    expect(t.times()).toEqual([0]);
    expect(t.timers.t).toBe(5);
  });

  test("a repeat the plan cannot place yet waits for a completion, then leaves on time", async () => {
    // requests 2 at repeat ratio 1: the first must be fresh; the second repeats it once it has completed
    const p = new RequestPlan({ requests: 2, warmup: 0, repeatRatio: 1, seed: 1 });
    const s = start<PlannedRequest>(() =>
      openLoop({
        plan: p,
        arrivals: [0, 10],
        concurrency: Infinity,
        prepare: same,
        t0: 0,
        rampUpMs: 0,
        deadline: Infinity,
      }),
    );
    await s.timers.advanceTo(30);
    expect(s.times()).toEqual([0]);
    await s.server.complete(0);
    await s.timers.advanceTo(31);
    expect(s.server.sent.map((x) => [x.at, x.tSched, x.req.repeat])).toEqual([
      [0, 0, false],
      [30, 10, true],
    ]);
  });
});

describe("the two pacers the dispatcher was made for", () => {
  interface Item {
    seq: number;
    text: string;
  }

  test("timed requests: each its own request, built while the previous waits, sent at its time up to the cap", async () => {
    const built: number[] = [];
    let seq = 0;
    const trace = [0, 5, 5, 20].map((at, i) => ({
      at,
      build: (): Item => {
        built.push(i);
        return { seq: seq++, text: `line ${i}` };
      },
    }));
    const s = start<Item>(() => timedRequests({ requests: trace, t0: 0, concurrency: 2, deadline: Infinity }));
    await s.timers.advanceTo(4);
    // the next is built ahead, so only the send happens on time
    expect(built).toEqual([0, 1]);
    await s.timers.advanceTo(12);
    expect(s.server.sent.map((x) => [x.at, x.tSched, x.req.text])).toEqual([
      [0, 0, "line 0"],
      [5, 5, "line 1"],
    ]);
    await s.server.complete(0);
    await s.timers.advanceTo(25);
    // the third was due at 5 and left at the completion at 12; the fourth, due at 20, waits for a slot
    expect(s.server.sent.map((x) => [x.at, x.tSched])).toEqual([
      [0, 0],
      [5, 5],
      [12, 5],
    ]);
    await s.server.complete(1);
    expect(s.server.sent.map((x) => [x.at, x.tSched]).at(-1)).toEqual([25, 20]);
    await s.server.complete(2);
    await s.server.complete(3);
    await s.run;
  });

  test("chains: C at once, each step after the previous completed and built from its record, think time between", async () => {
    let seq = 0;
    const left = ["a", "b", "c"];
    const chain = (name: string): Chain<Item> => {
      let turn = 0;
      return {
        step(previous) {
          if (turn === 2) return null;
          turn++;
          const text = previous === null ? `${name}1` : `${name}${turn} after seq ${previous.seq} at ${previous.tEnd}`;
          return { req: { seq: seq++, text }, waitMs: previous === null ? 0 : 7 };
        },
      };
    };
    const s = start<Item>(() =>
      chains({ concurrency: 2, nextChain: () => (left.length ? chain(left.shift()!) : null), deadline: Infinity }),
    );
    await settle();
    expect(s.server.sent.map((x) => [x.at, x.req.text])).toEqual([
      [0, "a1"],
      [0, "b1"],
    ]);
    await s.timers.advanceTo(10);
    await s.server.complete(1); // b1 at 10: b2 follows 7 ms later
    await s.timers.advanceTo(16);
    expect(s.server.sent).toHaveLength(2);
    await s.timers.advanceTo(17);
    expect(s.server.sent.map((x) => [x.at, x.req.text]).at(-1)).toEqual([17, "b2 after seq 1 at 10"]);
    await s.server.complete(2); // b ends at 17: c starts in its place at once
    expect(s.server.sent.map((x) => [x.at, x.req.text]).at(-1)).toEqual([17, "c1"]);
    await s.server.complete(0);
    await s.timers.advanceTo(30);
    await s.server.complete(3);
    await s.server.complete(4);
    await s.timers.advanceTo(40);
    await s.server.complete(5);
    await s.run;
    expect(s.server.sent.map((x) => x.req.text)).toEqual([
      "a1",
      "b1",
      "b2 after seq 1 at 10",
      "c1",
      "a2 after seq 0 at 17",
      "c2 after seq 3 at 30",
    ]);
    expect(s.server.sent.map((x) => x.at)).toEqual([0, 0, 17, 17, 24, 37]);
  });

  test("chains: a step whose think time ends at or past the deadline is not waited for; the chains end at the completion", async () => {
    let seq = 0;
    const chain: Chain<Item> = {
      step: (previous) => ({ req: { seq: seq++, text: "turn" }, waitMs: previous === null ? 0 : 50 }),
    };
    const s = start<Item>(() => chains({ concurrency: 1, nextChain: () => chain, deadline: 40 }));
    await s.timers.advanceTo(10);
    await s.server.complete(0);
    await s.run;
    expect(s.times()).toEqual([0]);
    expect(s.timers.t).toBe(10);
    expect(s.timers.waiting).toBe(0);
  });
});

describe("the dispatcher when a completion handler throws", () => {
  test("the run stops sending, what is in flight drains, and dispatch rejects with that error (no hang, no unhandled rejection)", async () => {
    const timers = new FakeTimers();
    const server = new FakeServer<PlannedRequest>(timers);
    let handled = 0;
    const d = createDispatcher<PlannedRequest>({
      send: server.send,
      timers,
      signal: new AbortController().signal,
      onRecord: (r) => {
        handled++;
        if (r.seq === 1) throw new Error("the records file could not be written");
      },
    });
    const p = plan(6);
    let outcome: unknown = "pending";
    dispatch(d, closedLoop({ plan: p, concurrency: 3, prepare: same, t0: 0, rampUpMs: 0, deadline: Infinity })).then(
      () => (outcome = "resolved"),
      (e: Error) => (outcome = e.message),
    );
    await settle();
    expect(server.inFlight).toEqual([0, 1, 2]);
    await server.complete(1); // its handler throws: no more sends
    expect(d.stopping).toBe(true);
    expect(server.sent.length).toBe(3);
    expect(outcome).toBe("pending"); // 0 and 2 are still in flight
    await server.complete(0);
    await server.complete(2);
    await settle();
    expect([outcome, handled, d.inFlight]).toEqual(["the records file could not be written", 3, 0]);
  });
});
