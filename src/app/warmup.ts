/**
 * Warm-up requests, written once: the warm-up phase of a RequestPlan (fresh prompts, never reused),
 * sent closed loop — at most `concurrency` in flight, the next as soon as one finishes — through
 * the session's `send`, each record handed on as it completes. `run --warmup N` plans N warm-up
 * requests and discards them; `warm` plans up to --max-requests and stops once latency is steady.
 */
import type { RawRecord } from "../core/metrics.ts";
import type { RequestPlan } from "../core/schedule.ts";
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

/** Send the plan's remaining warm-up requests; resolves with their records, in completion order. */
export async function sendWarmup(loop: WarmupLoop): Promise<RawRecord[]> {
  const { plan, send, concurrency, signal } = loop;
  const stop = loop.stop ?? (() => false);
  const records: RawRecord[] = [];
  const inFlight = new Set<Promise<void>>();
  for (;;) {
    // past the warm-up phase plan.next() would hand out measured requests: ask only while it lasts
    while (!stop() && !plan.warmupFinished && inFlight.size < concurrency) {
      const step = plan.next();
      if (typeof step !== "object") break; // "wait": all sent, some still in flight
      const done: Promise<void> = send(step, null, signal).then((record) => {
        inFlight.delete(done);
        plan.complete(record.seq, record.error === null);
        records.push(record);
        loop.onRecord?.(record);
      });
      inFlight.add(done);
    }
    if (inFlight.size === 0) return records;
    await Promise.race(inFlight);
  }
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

export function createStopper(interrupt: AbortSignal | undefined, graceMs = 2000, info: (m: string) => void, onInterrupt?: () => void): Stopper {
  const hardStop = new AbortController();
  let interrupted = false;
  const handle = () => {
    if (interrupted) return;
    interrupted = true;
    info(`interrupted: no new requests; waiting up to ${graceMs / 1000} s for those in flight`);
    setTimeout(() => hardStop.abort(), graceMs).unref?.();
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
