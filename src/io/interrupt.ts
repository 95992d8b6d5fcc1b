/**
 * Ctrl-C, SIGTERM and SIGHUP: the first aborts a signal (stop sending, keep what was measured), a
 * later one leaves at once. The process's own signal handlers: one call per process.
 */
import { SIGNAL_EXIT, STOP_SIGNALS, type StopSignal } from "../core/errors.ts";

/** A second Ctrl-C at least this long after the first leaves at once; sooner, it is the same press seen twice. */
const SECOND_PRESS_MS = 500;

export interface Interrupt {
  /** aborted at the first stop signal, with that StopSignal as its reason */
  signal: AbortSignal;
  /** the signal that came first, once one has */
  by(): StopSignal | undefined;
}

/**
 * SIGTERM (timeout, docker stop, CI limits, Kubernetes) and SIGHUP (a closed terminal) do what Ctrl-C
 * does. After a re-exec the child sees a terminal's Ctrl-C twice (from the terminal and from its
 * parent): a second signal counts only when it comes SECOND_PRESS_MS after the first, and then
 * leaves at once with the first signal's exit code. The handlers stay until the process ends: a
 * signal that comes while the result is written waits for it.
 */
export function listenForStop(): Interrupt {
  const controller = new AbortController();
  let firstPress = 0;
  let by: StopSignal | undefined;
  const onSignal = (signal: StopSignal) => {
    if (!controller.signal.aborted) {
      by = signal;
      firstPress = performance.now();
      controller.abort(signal);
    } else if (performance.now() - firstPress >= SECOND_PRESS_MS) process.exit(SIGNAL_EXIT[by ?? signal]);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, () => onSignal(signal));
  return { signal: controller.signal, by: () => by };
}
