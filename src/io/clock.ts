/** The real monotonic clock, in ms. Core code takes a `now` function instead. */
export type Clock = () => number;
export const now: Clock = () => performance.now();

/** Call `fn` every `ms` until the returned function is called. Injected where a test drives the ticks itself. */
export type Every = (ms: number, fn: () => void) => () => void;

/** The real timer: never what keeps the process alive. */
export const every: Every = (ms, fn) => {
  const timer = setInterval(fn, ms);
  timer.unref();
  return () => clearInterval(timer);
};

/** How long before a due time a wait stops trusting timers (late by ~1-2 ms on a busy machine) and yields instead. */
const SPIN_MS = 2;

/**
 * Wait until `t` on `clock` — a timer for the bulk, then short yields for the last ms — or until
 * `cancel` aborts; then no timer is left behind to keep the process alive. The one cancellable wait.
 */
export function sleepUntil(t: number, cancel?: AbortSignal, clock: Clock = now): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      cancel?.removeEventListener("abort", finish);
      resolve();
    };
    const tick = () => {
      if (done) return;
      const left = t - clock();
      if (left <= 0 || cancel?.aborted) finish();
      // a timer fires at most 2^31 − 1 ms ahead (a longer one fires at once, with a warning): past that, re-arm
      else if (left > SPIN_MS) timer = setTimeout(tick, Math.min(left - SPIN_MS, MAX_TIMER_MS));
      else setImmediate(tick);
    };
    cancel?.addEventListener("abort", finish);
    tick();
  });
}

/** The longest delay a timer takes (Node's and Bun's: a 32-bit signed count of ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Wait `ms`, or until `cancel` aborts. */
export const sleep = (ms: number, cancel?: AbortSignal): Promise<void> => sleepUntil(now() + ms, cancel);

/** Call `fn` once, `ms` from now, unless the returned function is called first. Never keeps the process alive. */
export type After = (ms: number, fn: () => void) => () => void;

export const after: After = (ms, fn) => {
  const timer = setTimeout(fn, Math.min(ms, MAX_TIMER_MS));
  timer.unref?.();
  return () => clearTimeout(timer);
};

/**
 * Every timer the run loop uses, in one value: the clock, the one cancellable wait, a periodic
 * tick and a one-shot. `realTimers` is the world's; tests pass fake ones and move time themselves
 * (test/app/pacers.test.ts), so pacing is tested in milliseconds without sockets or wall time.
 */
export interface Timers {
  now: Clock;
  /** resolves once `now()` reaches `t`, or at once when `cancel` aborts; leaves no timer behind */
  sleepUntil(t: number, cancel?: AbortSignal): Promise<void>;
  every: Every;
  after: After;
}

export const realTimers: Timers = { now, sleepUntil: (t, cancel) => sleepUntil(t, cancel, now), every, after };
