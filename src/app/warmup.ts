/**
 * Warm-up requests, written once: the warm-up phase of a RequestPlan (fresh prompts, never reused),
 * sent closed loop — at most `concurrency` in flight, the next as soon as one finishes — through
 * the session's `send`, each record handed on as it completes. `run --warmup N` plans N warm-up
 * requests and discards them; `warm` plans up to --max-requests and stops once latency is steady.
 */
import type { RawRecord } from "../core/metrics.ts";
import type { RequestPlan } from "../core/schedule.ts";
import { after as realAfter, realTimers, type After } from "../io/clock.ts";
import { createDispatcher, dispatch } from "./dispatch.ts";
import { warmupLoop } from "./pacers.ts";
import type { Session } from "./target.ts";

export interface WarmupLoop {
  /** its warm-up phase supplies the requests; this loop tells it of each completion */
  plan: RequestPlan;
  send: Session["send"];
  concurrency: number;
  /** aborts the requests in flight (e.g. Ctrl-C, after a grace period) */
  signal: AbortSignal;
  /** each record as it completes, after the plan has been told */
  onRecord?: (record: RawRecord) => void;
  /** asked before each send: true sends no more, and the loop ends once those in flight finish */
  stop?: () => boolean;
}

/** Send the plan's remaining warm-up requests (the warm-up pacer on a dispatcher of its own); resolves with their records, in completion order. */
export async function sendWarmup(loop: WarmupLoop): Promise<RawRecord[]> {
  const records: RawRecord[] = [];
  const d = createDispatcher({
    send: loop.send,
    timers: realTimers,
    signal: loop.signal,
    stopWhen: loop.stop,
    onRecord(record) {
      records.push(record);
      loop.onRecord?.(record);
    },
  });
  await dispatch(d, warmupLoop({ plan: loop.plan, concurrency: loop.concurrency, prepare: (req) => req }));
  return records;
}

/** What `run` and `warm` do on Ctrl-C: stop sending at once, abort what is still in flight after a grace period. */
export interface Stopper {
  /** true once interrupted */
  readonly interrupted: boolean;
  /** aborts the requests in flight, `graceMs` after the interrupt */
  readonly signal: AbortSignal;
  /** stop listening */
  dispose(): void;
}

export function createStopper(
  interrupt: AbortSignal | undefined,
  graceMs = 2000,
  info: (m: string) => void,
  onInterrupt?: () => void,
  after: After = realAfter,
): Stopper {
  const hardStop = new AbortController();
  let interrupted = false;
  const handle = () => {
    if (interrupted) return;
    interrupted = true;
    info(`interrupted: no new requests; waiting up to ${graceMs / 1000} s for those in flight`);
    after(graceMs, () => hardStop.abort());
    onInterrupt?.();
  };
  if (interrupt?.aborted) handle();
  interrupt?.addEventListener("abort", handle);
  return {
    get interrupted() {
      return interrupted;
    },
    signal: hardStop.signal,
    dispose: () => interrupt?.removeEventListener("abort", handle),
  };
}
