/**
 * Fake `Timers` (io/clock.ts) moved by the test, and a fake `send` whose requests complete when the
 * test says: pacing tested on exact times, in milliseconds, without sockets or wall time.
 */
import type { RawRecord } from "../../src/core/metrics.ts";
import type { PlannedRequest } from "../../src/core/schedule.ts";
import type { Timers } from "../../src/io/clock.ts";

interface Pending {
  at: number;
  /** order of creation: timers due at the same time fire in it */
  n: number;
  fire(): void;
}

/** every promise reaction queued so far, and those they queue, has run */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

export class FakeTimers implements Timers {
  t = 0;
  private pending: Pending[] = [];
  private n = 0;

  now = () => this.t;

  sleepUntil = (t: number, cancel?: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      if (t <= this.t || cancel?.aborted) return resolve();
      const p: Pending = {
        at: t,
        n: this.n++,
        fire: () => {
          this.remove(p);
          cancel?.removeEventListener("abort", p.fire);
          resolve();
        },
      };
      this.pending.push(p);
      cancel?.addEventListener("abort", p.fire);
    });

  every = (ms: number, fn: () => void) => {
    const p: Pending = {
      at: this.t + ms,
      n: this.n++,
      fire: () => {
        p.at += ms;
        fn();
      },
    };
    this.pending.push(p);
    return () => this.remove(p);
  };

  after = (ms: number, fn: () => void) => {
    const p: Pending = {
      at: this.t + ms,
      n: this.n++,
      fire: () => {
        this.remove(p);
        fn();
      },
    };
    this.pending.push(p);
    return () => this.remove(p);
  };

  /** timers still set (a finished loop leaves none) */
  get waiting(): number {
    return this.pending.length;
  }

  /** Move time to `t`, firing every timer due on the way in time order, and letting the code run after each. */
  async advanceTo(t: number): Promise<void> {
    for (;;) {
      await settle();
      const due = this.pending.filter((p) => p.at <= t).sort((a, b) => a.at - b.at || a.n - b.n)[0];
      if (!due) break;
      this.t = Math.max(this.t, due.at);
      due.fire();
    }
    this.t = Math.max(this.t, t);
    await settle();
  }

  private remove(p: Pending) {
    const i = this.pending.indexOf(p);
    if (i >= 0) this.pending.splice(i, 1);
  }
}

export interface Sent<R> {
  req: R;
  seq: number;
  /** when it left, on the fake timers */
  at: number;
  /** when it was due (null: not timed) */
  tSched: number | null;
}

/** A server that answers each request when the test calls `complete(seq)`; `send` is what a dispatcher calls. */
export class FakeServer<R extends { seq: number } = PlannedRequest> {
  readonly sent: Sent<R>[] = [];
  private readonly open = new Map<number, (ok: boolean) => void>();

  constructor(private readonly timers: FakeTimers) {}

  send = (req: R, tSched: number | null, signal: AbortSignal): Promise<RawRecord> =>
    new Promise((resolve) => {
      const tSend = this.timers.now();
      this.sent.push({ req, seq: req.seq, at: tSend, tSched });
      const finish = (ok: boolean) => {
        this.open.delete(req.seq);
        resolve(fakeRecord(req, tSched, tSend, this.timers.now(), ok ? null : "aborted"));
      };
      this.open.set(req.seq, finish);
      signal.addEventListener("abort", () => this.open.get(req.seq)?.(false));
    });

  get inFlight(): number[] {
    return [...this.open.keys()];
  }

  /** answer request `seq` now (failed when `ok` is false) */
  async complete(seq: number, ok = true): Promise<void> {
    const finish = this.open.get(seq);
    if (!finish) throw new Error(`request ${seq} is not in flight`);
    finish(ok);
    await settle();
  }
}

export function fakeRecord(
  req: { seq: number; phase?: PlannedRequest["phase"]; promptId?: number; repeat?: boolean },
  tSched: number | null,
  tSend: number,
  tEnd: number,
  error: "aborted" | null = null,
): RawRecord {
  return {
    seq: req.seq,
    phase: req.phase ?? "measured",
    promptId: req.promptId ?? req.seq,
    repeat: req.repeat ?? false,
    tSched,
    tSend,
    tFirstByte: error ? null : tEnd,
    tokenTimes: [],
    tEnd,
    streamed: false,
    status: error ? null : 200,
    outputTokensCounted: 1,
    reasoningTokensCounted: 0,
    promptTokensCounted: 1,
    usage: null,
    cached: false,
    error: error ? { class: "aborted", message: "aborted" } : null,
  };
}
