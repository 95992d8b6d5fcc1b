import { expect, test } from "bun:test";
import { sleep, sleepUntil } from "../../src/io/clock.ts";

/** whether `p` settles before `ms` of real time pass (generous bounds: a busy machine is slow, never this slow) */
const settlesWithin = (p: Promise<unknown>, ms: number) =>
  Promise.race([p.then(() => true), Bun.sleep(ms).then(() => false)]);

test("the one cancellable wait: an abort ends it long before its time; one already aborted, or a time already past, at once", async () => {
  const stop = new AbortController();
  const long = sleep(60_000, stop.signal);
  setTimeout(() => stop.abort(), 10);
  expect(await settlesWithin(long, 5_000)).toBe(true);
  expect(await settlesWithin(sleep(60_000, stop.signal), 5_000)).toBe(true);
  expect(
    await settlesWithin(
      sleepUntil(5, undefined, () => 10),
      5_000,
    ),
  ).toBe(true);
  // not aborted and not due: still waiting (then aborted: no timer is left behind)
  const later = new AbortController();
  expect(await settlesWithin(sleep(60_000, later.signal), 50)).toBe(false);
  later.abort();
});

test("it waits on the clock it is given: done once that clock reaches the time, not before", async () => {
  let t = 0;
  const waiting = sleepUntil(1, undefined, () => t);
  expect(await settlesWithin(waiting, 30)).toBe(false);
  t = 1;
  expect(await settlesWithin(waiting, 5_000)).toBe(true);
});

test("a wait past a timer's 2^31 − 1 ms limit sets one timer, not one a millisecond (a longer delay fires at once)", async () => {
  const real = globalThis.setTimeout;
  let timers = 0;
  globalThis.setTimeout = ((fn: () => void, ms?: number) => {
    timers++;
    return real(fn, ms);
  }) as typeof setTimeout;
  try {
    const stop = new AbortController();
    const wait = sleepUntil(performance.now() + 2 ** 32, stop.signal);
    await Bun.sleep(50);
    stop.abort();
    await wait;
  } finally {
    globalThis.setTimeout = real;
  }
  expect(timers).toBeLessThanOrEqual(2); // Bun.sleep's own may count
});
