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
