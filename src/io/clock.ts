/** The real monotonic clock, in ms. Core code takes a `now` function instead. */
export type Clock = () => number;
export const now: Clock = () => performance.now();
