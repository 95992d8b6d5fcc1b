/**
 * The closed-loop plan: which request goes next, and whether it repeats an earlier prompt.
 *
 * Warm-up requests come first (their prompts are never reused) and the measured phase starts only
 * once every warm-up request has finished. Exactly `round(repeatRatio × requests)` measured requests
 * repeat a prompt; the repeat slots are chosen with the seed, and a repeat only reuses a prompt whose
 * first request has already completed successfully, so an ideal cache hits every repeat. When a
 * repeat is due and no prompt has completed yet, a fresh prompt goes first and the repeat is sent as
 * soon as one has (the count stays exact). Pure: no clock, no I/O.
 */
import { createRng, type Rng } from "./rng.ts";

export type Phase = "warmup" | "measured";

export interface PlannedRequest {
  /** 0-based order of dispatch over the whole run, warm-up included */
  seq: number;
  phase: Phase;
  promptId: number;
  repeat: boolean;
}

export interface PlanConfig {
  requests: number;
  warmup: number;
  repeatRatio: number;
  seed: number;
}

export type PlanStep = PlannedRequest | "wait" | "done";

export function repeatCount(requests: number, repeatRatio: number): number {
  return Math.round(repeatRatio * requests);
}

export class ClosedLoopPlan {
  private readonly rng: Rng;
  /** repeatDue[m] = how many repeats are due once measured request m is dispatched */
  private readonly repeatDue: Int32Array;
  readonly repeatsTotal: number;
  private seq = 0;
  private warmupSent = 0;
  private warmupDone = 0;
  private measuredSent = 0;
  private repeatsSent = 0;
  private uniquesSent = 0;
  private inFlight = 0;
  private readonly completedPrompts: number[] = [];
  private readonly sentUniques: number[] = [];
  private readonly requestPrompt = new Map<number, PlannedRequest>();

  constructor(private readonly cfg: PlanConfig) {
    this.rng = createRng(cfg.seed);
    this.repeatsTotal = repeatCount(cfg.requests, cfg.repeatRatio);
    // choose the repeat slots: a seeded partial Fisher–Yates over slot indices
    const slots = Array.from({ length: cfg.requests }, (_, i) => i);
    for (let i = 0; i < this.repeatsTotal; i++) {
      const j = i + this.rng.int(cfg.requests - i);
      [slots[i], slots[j]] = [slots[j], slots[i]];
    }
    const isRepeat = new Uint8Array(cfg.requests);
    for (let i = 0; i < this.repeatsTotal; i++) isRepeat[slots[i]] = 1;
    this.repeatDue = new Int32Array(cfg.requests);
    let due = 0;
    for (let m = 0; m < cfg.requests; m++) this.repeatDue[m] = due += isRepeat[m];
  }

  get total(): number {
    return this.cfg.warmup + this.cfg.requests;
  }

  next(): PlanStep {
    if (this.warmupSent < this.cfg.warmup) {
      return this.emit({ seq: this.seq, phase: "warmup", promptId: this.warmupSent++, repeat: false });
    }
    if (this.warmupDone < this.cfg.warmup) return "wait";
    if (this.measuredSent >= this.cfg.requests) return "done";

    const uniquesLeft = this.cfg.requests - this.repeatsTotal - this.uniquesSent;
    const debt = this.repeatDue[this.measuredSent] - this.repeatsSent;
    const pool = this.completedPrompts;
    let promptId: number;
    let repeat = false;
    if ((debt > 0 || uniquesLeft === 0) && pool.length > 0) {
      promptId = pool[this.rng.int(pool.length)];
      repeat = true;
    } else if (uniquesLeft > 0) {
      promptId = this.cfg.warmup + this.uniquesSent++;
    } else if (this.inFlight > 0) {
      return "wait";
    } else {
      // every first request failed: repeat one that was sent, so the count stays exact
      promptId = this.sentUniques[this.rng.int(this.sentUniques.length)];
      repeat = true;
    }
    if (repeat) this.repeatsSent++;
    else this.sentUniques.push(promptId);
    this.measuredSent++;
    return this.emit({ seq: this.seq, phase: "measured", promptId, repeat });
  }

  /** Report that request `seq` finished; `ok` when it succeeded. */
  complete(seq: number, ok: boolean): void {
    const req = this.requestPrompt.get(seq);
    if (!req) throw new Error(`request ${seq} is not in flight`);
    this.requestPrompt.delete(seq);
    this.inFlight--;
    if (req.phase === "warmup") this.warmupDone++;
    else if (ok && !req.repeat) this.completedPrompts.push(req.promptId);
  }

  private emit(req: PlannedRequest): PlannedRequest {
    this.seq++;
    this.inFlight++;
    this.requestPrompt.set(req.seq, req);
    return req;
  }
}
