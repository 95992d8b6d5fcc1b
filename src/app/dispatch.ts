/**
 * The one dispatcher: it sends requests, keeps count of those in flight, and wakes whoever waits
 * when one completes, when time comes, or when the run stops. *When* and *what* to send is a
 * pacer's business (app/pacers.ts): a pacer is an async function of the dispatcher that returns
 * once it will send no more; `dispatch` then drains what is in flight. Warm-up, the closed loop,
 * the open loop and `warm` are pacers over this; trace replay and sessions plug in the same way.
 *
 * It owns no timer: every wait goes through the injected `Timers` (io/clock.ts), so pacing runs
 * on fake timers in tests.
 */
import type { RawRecord } from "../core/metrics.ts";
import type { Timers } from "../io/clock.ts";

export interface DispatcherConfig<R> {
  /** sends one request; never throws (failures are classified in the record) */
  send(req: R, tSched: number | null, signal: AbortSignal): Promise<RawRecord>;
  timers: Timers;
  /** aborts the requests in flight (Ctrl-C after a grace period, giving up) */
  signal: AbortSignal;
  /** each request as it leaves */
  onSend?(req: R): void;
  /** each record as it completes: after the pacer's own `done`, before any waiting pacer wakes */
  onRecord?(record: RawRecord): void;
  /** asked before each send: true sends no more (as `stop()` does, without ending the waits) */
  stopWhen?(): boolean;
}

export interface Dispatcher<R> {
  readonly timers: Timers;
  readonly inFlight: number;
  /** true once `stop()` was called or `stopWhen()` holds: send no more */
  readonly stopping: boolean;
  /**
   * Send `req` now (`tSched`: when it was due, for its send lag; null when not timed). `done` runs at
   * its completion before anyone is woken (a plan learns of it before the pacer asks for the next).
   * Resolves with the record — a chain awaits it to build its next step.
   */
  send(req: R, tSched: number | null, done?: (record: RawRecord) => void): Promise<RawRecord>;
  /**
   * Resolves at the next completion, `stop()` or — when given — once the timers reach `until`.
   * Once stopped it resolves at once: a pacer checks `stopping` in every loop that waits on it.
   */
  next(until?: number): Promise<void>;
  /** waits until the timers reach `t`; false when the run stopped first */
  until(t: number): Promise<boolean>;
  /** waits until fewer than `limit` are in flight; false when the run stopped first */
  slot(limit: number): Promise<boolean>;
  /** send no more; every wait ends at once. Those in flight go on (the request signal aborts them) */
  stop(): void;
  /** waits until nothing is in flight; then rethrows the first error a send or its completion threw (that error stopped the run) */
  drain(): Promise<void>;
  /** cancels the timers `next(until)` left pending (`dispatch` does, once its pacer is done) */
  disarm(): void;
}

/** Decides when and what to send through the dispatcher; resolves once it will send no more. */
export type Pacer<R> = (d: Dispatcher<R>) => Promise<void>;

export function createDispatcher<R>(cfg: DispatcherConfig<R>): Dispatcher<R> {
  const { timers } = cfg;
  let inFlight = 0;
  let stopped = false;
  const stopSignal = new AbortController();
  const waiting = new Set<() => void>();
  const wake = () => {
    for (const w of [...waiting]) w();
  };
  // one alarm per time asked for, waking everyone: a closed loop asks for its deadline after every
  // completion, and a timer (with its abort signals) per ask cost ~8% of the client's CPU per request
  const armed = new Set<number>();
  let alarms = new AbortController();
  const arm = (t: number) => {
    if (armed.has(t)) return;
    armed.add(t);
    const cancel = alarms.signal;
    void timers.sleepUntil(t, cancel).then(() => {
      armed.delete(t);
      if (!cancel.aborted) wake();
    });
  };
  /** cancel the alarms still pending (once a phase is over, none may keep the process alive) */
  const disarm = () => {
    alarms.abort();
    alarms = new AbortController();
    armed.clear();
  };
  const next = (until?: number) =>
    new Promise<void>((resolve) => {
      if (stopped) return resolve();
      const w = () => {
        waiting.delete(w);
        resolve();
      };
      waiting.add(w);
      if (until !== undefined) arm(until);
    });
  /** the first throw of a send or its completion handlers: rethrown by `drain` */
  let failure: { err: unknown } | undefined;
  // a throw after a request (writing the records file, say) stops the run: it is rethrown once what is
  // in flight has drained (`drain`), never left as an unhandled rejection
  const fail = (err: unknown) => {
    failure ??= { err };
    d.stop();
  };
  const d: Dispatcher<R> = {
    timers,
    get inFlight() {
      return inFlight;
    },
    get stopping() {
      return stopped || (cfg.stopWhen?.() ?? false);
    },
    send(req, tSched, done) {
      inFlight++;
      cfg.onSend?.(req);
      const sent = cfg.send(req, tSched, cfg.signal).then(
        (record) => {
          inFlight--; // before `done`: a plan told of the completion sees it no longer in flight
          try {
            done?.(record);
            cfg.onRecord?.(record);
          } catch (err) {
            fail(err);
            throw err;
          } finally {
            wake();
          }
          return record;
        },
        (err: unknown) => {
          inFlight--;
          fail(err);
          wake();
          throw err;
        },
      );
      // a pacer that does not await its sends (`void d.send(…)`) must not make a rejection unhandled
      sent.catch(ignore);
      return sent;
    },
    next,
    async until(t) {
      if (!stopped) await timers.sleepUntil(t, stopSignal.signal);
      return !stopped;
    },
    async slot(limit) {
      while (!stopped && inFlight >= limit) await next();
      return !stopped;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      stopSignal.abort();
      disarm();
      wake();
    },
    disarm,
    async drain() {
      // a stop wakes `next` at once: wait on completions alone here
      while (inFlight > 0)
        await new Promise<void>((resolve) =>
          waiting.add(function w() {
            waiting.delete(w);
            resolve();
          }),
        );
      if (failure) throw failure.err;
    },
  };
  return d;
}

const ignore = () => {};

/** Run `pacer` on `d`, then wait for what is still in flight. */
export async function dispatch<R>(d: Dispatcher<R>, pacer: Pacer<R>): Promise<void> {
  await pacer(d);
  d.disarm();
  await d.drain();
}
