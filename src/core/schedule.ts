/**
 * The plan of requests: which prompt goes next, and whether it repeats an earlier one. Pacing
 * (closed loop, open loop, ramps) belongs to the engine; the plan only decides *what* is sent.
 *
 * Warm-up requests come first (their prompts are never reused) and measured requests start only
 * once every warm-up request has finished. Requests sent during a ramp are like warm-up: fresh
 * prompts, never reused, excluded from the numbers. Among measured requests, by the m-th one
 * `round(repeatRatio × m)` have been repeats — so exactly `round(r × requests)` in all, spread
 * evenly — and a repeat reuses a prompt (chosen with the seed) whose first request has already
 * completed successfully, so an ideal cache hits every repeat. When a repeat is due and no prompt
 * has completed yet, a fresh prompt goes first and the repeat follows as soon as one has.
 *
 * A failed prompt is never repeated, and repeats never hold the load back: when a repeat is due, no
 * fresh prompt is left in the plan and no prompt has succeeded, the plan waits only while no measured
 * first request has finished yet (the healthy tail of a short run: one will succeed in a moment).
 * Once one has finished and failed, every repeat that cannot reuse a completed prompt is forgone and
 * a fresh prompt goes in its place, so the run keeps its concurrency against a failing server and
 * the count of measured requests stays exact (only the repeats fall short: the result's
 * `cache.repeats_sent` says by how many). Pure.
 */
import { createRng, type Rng } from "./rng.ts";

export type Phase = "warmup" | "rampup" | "measured";

export interface PlannedRequest {
  /** 0-based order of dispatch over the whole run, warm-up included */
  seq: number;
  phase: Phase;
  promptId: number;
  repeat: boolean;
}

export interface PlanConfig {
  /** measured requests; undefined = unbounded (the engine stops a timed run) */
  requests: number | undefined;
  warmup: number;
  repeatRatio: number;
  seed: number;
  /** measured repeats in all, spread evenly (a shard's share); default round(repeatRatio × requests) */
  repeats?: number;
  /** prompt ids of the k-th warm-up and f-th fresh prompt (a shard's global ids); default one counter: 0, 1, 2, … */
  promptIds?: { warmup(k: number): number; fresh(f: number): number };
}

export type PlanStep = PlannedRequest | "wait" | "done";

export function repeatCount(requests: number, repeatRatio: number): number {
  return Math.round(repeatRatio * requests);
}

export class RequestPlan {
  private readonly rng: Rng;
  private seq = 0;
  private nextPromptId = 0;
  private freshCount = 0;
  private warmupSent = 0;
  private warmupDone = 0;
  private measuredSent = 0;
  private repeatsSent = 0;
  /** repeats replaced by a fresh prompt because no prompt had succeeded to reuse: they count against the planned repeats */
  private forgone = 0;
  /** measured first requests that have finished (succeeded or failed) */
  private firstsFinished = 0;
  private firstsSent = 0;
  private readonly completedPrompts: number[] = [];
  private readonly pending = new Map<number, PlannedRequest>();

  constructor(private readonly cfg: PlanConfig) {
    this.rng = createRng(cfg.seed);
  }

  /** warm-up plus measured requests; Infinity for a timed run */
  get total(): number {
    return this.cfg.warmup + (this.cfg.requests ?? Number.POSITIVE_INFINITY);
  }

  get warmupFinished(): boolean {
    return this.warmupDone >= this.cfg.warmup;
  }

  /** The next request, "wait" until something completes, or "done". `ramping`: the engine is in a ramp. */
  next(ramping = false): PlanStep {
    if (this.warmupSent < this.cfg.warmup) {
      const k = this.warmupSent++;
      return this.emit("warmup", this.cfg.promptIds ? this.cfg.promptIds.warmup(k) : this.nextPromptId++, false);
    }
    if (this.warmupDone < this.cfg.warmup) return "wait";
    if (ramping) return this.emit("rampup", this.freshId(), false);
    const { requests, repeatRatio } = this.cfg;
    if (requests !== undefined && this.measuredSent >= requests) return "done";

    const m = this.measuredSent;
    const planned = this.repeatsSent + this.forgone;
    const repeatsBy = (k: number) =>
      this.cfg.repeats !== undefined && requests !== undefined
        ? Math.round((this.cfg.repeats * k) / requests)
        : repeatCount(k, repeatRatio);
    const repeatsDue = repeatsBy(m + 1) - planned;
    const repeatsLeft = requests === undefined ? Number.POSITIVE_INFINITY : repeatsBy(requests) - planned;
    const firstsLeft = requests === undefined ? Number.POSITIVE_INFINITY : requests - m - repeatsLeft;
    const pool = this.completedPrompts;
    let promptId: number;
    let repeat = false;
    if (repeatsLeft > 0 && (repeatsDue > 0 || firstsLeft === 0) && pool.length > 0) {
      promptId = pool[this.rng.int(pool.length)];
      repeat = true;
    } else if (firstsLeft > 0) {
      promptId = this.freshId();
    } else if (this.firstsFinished === 0 && this.firstsSent > 0) {
      // only repeats are left and no first request has finished yet: one will succeed in a moment
      return "wait";
    } else {
      // only repeats are left, and every first request that finished failed: never repeat a failed
      // prompt, never hold the load back waiting for a success — a fresh prompt goes instead
      this.forgone++;
      promptId = this.freshId();
    }
    if (repeat) this.repeatsSent++;
    else this.firstsSent++;
    this.measuredSent++;
    return this.emit("measured", promptId, repeat);
  }

  /** Report that request `seq` finished; `ok` when it succeeded. */
  complete(seq: number, ok: boolean): void {
    const req = this.pending.get(seq);
    if (!req) throw new Error(`request ${seq} is not in flight`);
    this.pending.delete(seq);
    if (req.phase === "warmup") this.warmupDone++;
    else if (req.phase === "measured" && !req.repeat) {
      this.firstsFinished++;
      if (ok) this.completedPrompts.push(req.promptId);
    }
  }

  private freshId(): number {
    const f = this.freshCount++;
    return this.cfg.promptIds ? this.cfg.promptIds.fresh(f) : this.nextPromptId++;
  }

  private emit(phase: Phase, promptId: number, repeat: boolean): PlannedRequest {
    const req = { seq: this.seq++, phase, promptId, repeat };
    this.pending.set(req.seq, req);
    return req;
  }
}
