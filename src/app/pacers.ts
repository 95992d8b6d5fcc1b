/**
 * Pacers: when and what to send, each a small function over the one dispatcher (app/dispatch.ts).
 *
 * - `warmupLoop`: the plan's warm-up requests, closed loop (run --warmup, warm).
 * - `closedLoop`: at most `concurrency` in flight, rising linearly during a ramp; a completion lets the next go.
 * - `openLoop`: requests leave at their arrival times whatever is in flight (up to a cap); lateness is send lag.
 * - `timedRequests`: a list of (due time, request) — each carries its own request (trace replay).
 * - `chains`: C chains at once, each sending its steps in order, the next built from the previous record (sessions).
 *
 * A pacer returns once it will send no more; `dispatch` drains the rest.
 */
import type { RawRecord } from "../core/metrics.ts";
import type { PlannedRequest, RequestPlan } from "../core/schedule.ts";
import type { Dispatcher, Pacer } from "./dispatch.ts";

/** Tells the plan of a completion (before the pacer asks it for the next request). */
const completeIn = (plan: RequestPlan) => (record: RawRecord) => plan.complete(record.seq, record.error === null);

/** The plan's remaining warm-up requests, at most `concurrency` at once, the next as soon as one finishes. */
export function warmupLoop<R>(o: {
  plan: RequestPlan;
  concurrency: number;
  prepare: (req: PlannedRequest) => R;
  done?: (r: RawRecord) => void;
}): Pacer<R> {
  const { plan } = o;
  const complete = completeIn(plan);
  const done = (r: RawRecord) => {
    complete(r);
    o.done?.(r);
  };
  return async (d) => {
    for (;;) {
      // past the warm-up phase plan.next() would hand out measured requests: ask only while it lasts
      while (!d.stopping && !plan.warmupFinished && d.inFlight < o.concurrency) {
        const step = plan.next();
        if (typeof step !== "object") break; // "wait": all sent, some still in flight
        void d.send(o.prepare(step), null, done);
      }
      // stopping: no more sends, and dispatch drains those in flight
      if (d.inFlight === 0 || d.stopping) return;
      await d.next();
    }
  };
}

/**
 * How many may be in flight at `now` in a linear ramp to `concurrency` over `rampMs` from `t0`: 1 at the
 * start, one more at each t0 + k·rampMs/concurrency (k = 1 … concurrency−1), all of them at the end.
 * Pure. Absolute times, compared as `rampRise` computes them: (t0 + r) − t0 is not r in floating
 * point, so a wake at the time `rampRise` gave always sees the rise.
 */
export function rampAllowance(concurrency: number, rampMs: number, now: number, t0 = 0): number {
  if (rampMs <= 0 || now >= t0 + rampMs) return concurrency;
  let k = Math.max(0, Math.min(concurrency - 1, Math.floor((concurrency * (now - t0)) / rampMs)));
  while (k + 1 <= concurrency - 1 && t0 + rise(concurrency, rampMs, k + 1) <= now) k++;
  while (k > 0 && t0 + rise(concurrency, rampMs, k) > now) k--;
  return k + 1;
}

/** When (on the same clock as `now` and `t0`) the allowance next rises after `now`; null once it is complete. */
export function rampRise(concurrency: number, rampMs: number, now: number, t0 = 0): number | null {
  const allowed = rampAllowance(concurrency, rampMs, now, t0);
  return allowed >= concurrency ? null : t0 + rise(concurrency, rampMs, allowed);
}

const rise = (concurrency: number, rampMs: number, k: number) => (k * rampMs) / concurrency;

export interface ClosedLoop<R> {
  plan: RequestPlan;
  concurrency: number;
  prepare: (req: PlannedRequest) => R;
  /** the loop's start on the timers: the ramp counts from here */
  t0: number;
  rampUpMs: number;
  /** no send at or past this time (a timed run); Infinity for none */
  deadline: number;
  /** after each completion, once the plan knows of it */
  done?: (record: RawRecord) => void;
}

/** Closed loop: at most `concurrency` in flight (rising linearly during a ramp); a finished request lets the next go. */
export function closedLoop<R>(o: ClosedLoop<R>): Pacer<R> {
  const { plan, t0, deadline } = o;
  const rampEnd = t0 + o.rampUpMs;
  const complete = completeIn(plan);
  const done = (r: RawRecord) => {
    complete(r);
    o.done?.(r);
  };
  return async (d) => {
    while (!d.stopping) {
      const now = d.timers.now();
      if (now >= deadline) break;
      const ramping = now < rampEnd;
      const allowed = rampAllowance(o.concurrency, o.rampUpMs, now, t0);
      let step: ReturnType<RequestPlan["next"]> = "wait";
      while (!d.stopping && d.inFlight < allowed) {
        step = plan.next(ramping);
        if (typeof step !== "object") break;
        void d.send(o.prepare(step), null, done);
      }
      if (step === "done" || (d.inFlight === 0 && step === "wait")) break;
      // woken by a completion, the ramp's next rise, or the deadline
      const rise = ramping ? rampRise(o.concurrency, o.rampUpMs, now, t0) : null;
      const wakeAt = Math.min(rise ?? Number.POSITIVE_INFINITY, deadline);
      await d.next(Number.isFinite(wakeAt) ? wakeAt : undefined);
    }
  };
}

export interface OpenLoop<R> {
  plan: RequestPlan;
  /** arrival times, ms after `t0` */
  arrivals: Iterable<number>;
  /** most in flight; a request due while the cap is reached leaves late (its send lag) */
  concurrency: number;
  prepare: (req: PlannedRequest) => R;
  t0: number;
  rampUpMs: number;
  deadline: number;
}

/** Open loop: each request leaves when due, whatever is in flight (up to the cap); lateness is recorded as send lag. */
export function openLoop<R>(o: OpenLoop<R>): Pacer<R> {
  const { plan } = o;
  const rampEnd = o.t0 + o.rampUpMs;
  const done = completeIn(plan);
  return async (d) => {
    for (const at of o.arrivals) {
      const due = o.t0 + at;
      if (d.stopping || due >= o.deadline) break;
      // decide and build the request before it is due, so that only the send happens on time
      let step = plan.next(due < rampEnd);
      while (step === "wait" && !d.stopping) {
        await d.next();
        step = plan.next(due < rampEnd);
      }
      if (typeof step !== "object") break;
      const req = o.prepare(step);
      // a stop wakes the wait too: at a low rate the next arrival may be seconds away
      if (!(await sendAt(d, due, req, o.concurrency, done))) break;
    }
  };
}

/** Wait until `due`, then for a slot under `cap`, then send (its send lag: how late past `due`). False once stopped. */
export async function sendAt<R>(
  d: Dispatcher<R>,
  due: number,
  req: R,
  cap: number,
  done?: (r: RawRecord) => void,
): Promise<boolean> {
  if (!(await d.until(due))) return false;
  if (!(await d.slot(cap)) || d.stopping) return false;
  void d.send(req, due, done);
  return true;
}

/** One request of a timed list: when it is due (ms after `t0`) and what to send, built just before it is due. */
export interface TimedRequest<R> {
  at: number;
  build: () => R;
}

/** Timed requests: each leaves at its own time (trace replay), at most `concurrency` in flight; lateness is send lag. */
export function timedRequests<R>(o: {
  requests: Iterable<TimedRequest<R>>;
  t0: number;
  concurrency: number;
  deadline: number;
  done?: (r: RawRecord) => void;
}): Pacer<R> {
  return async (d) => {
    for (const item of o.requests) {
      const due = o.t0 + item.at;
      if (d.stopping || due >= o.deadline) break;
      if (!(await sendAt(d, due, item.build(), o.concurrency, o.done))) break;
    }
  };
}

/** A step of a chain: what to send, and how long to wait first (think time, ms, from the previous step's completion). */
export interface ChainStep<R> {
  req: R;
  waitMs?: number;
}

/** A chain of requests sent in order: its next step from the previous step's record (null for the first); null when it ends. */
export interface Chain<R> {
  step(previous: RawRecord | null): ChainStep<R> | null;
}

/**
 * Chains: `concurrency` chains at once, each sending its steps one after another; when one ends the
 * next chain from `nextChain` starts in its place (null: none left). A session of a chat is a chain.
 */
export function chains<R>(o: {
  concurrency: number;
  nextChain: () => Chain<R> | null;
  deadline: number;
  done?: (r: RawRecord) => void;
}): Pacer<R> {
  const lane = async (d: Dispatcher<R>) => {
    for (let chain = o.nextChain(); chain !== null && !d.stopping; chain = d.stopping ? null : o.nextChain()) {
      let previous: RawRecord | null = null;
      for (;;) {
        const step = chain.step(previous);
        if (step === null || d.stopping) break;
        // a step due at or past the deadline is never sent: no wait for it either
        const due = d.timers.now() + (step.waitMs ?? 0);
        if (due >= o.deadline) return;
        if (due > d.timers.now() && !(await d.until(due))) return;
        if (d.stopping) return;
        previous = await d.send(step.req, null, o.done);
      }
    }
  };
  return async (d) => {
    await Promise.all(Array.from({ length: o.concurrency }, () => lane(d)));
  };
}
