/**
 * Continuous batching: one loop of decode steps shared by every generating request.
 *
 * - A request joins the running batch at the next step boundary if there is room
 *   (batch < maxBatchSize), else it waits in a FIFO queue.
 * - When the engine is idle, the first request waits `batchWindowMs` for company
 *   before the first step.
 * - Step time = decodeStepMs · b^batchExponent + prefillMsPerToken · (prompt tokens
 *   of the requests joining in this step), b = the batch size during the step.
 * - Each step emits one token to every request in the batch, at the step's end.
 * - Steps are scheduled against absolute target times (no drift), and never end
 *   before their target, so N steps take at least, and close to, N step times.
 */

export interface BatcherConfig {
  prefillMsPerToken: number;
  decodeStepMs: number;
  maxBatchSize: number;
  batchWindowMs: number;
  batchExponent: number;
}

/** Counters the batcher keeps; the server shares them with its own. */
export interface BatcherCounters {
  max_batch_size_seen: number;
  decode_steps: number;
  tokens_generated: number;
}

/** Time and timers, injected so the loop can run on a fake clock. */
export interface BatcherClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: BatcherClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface BatchJob {
  promptTokens: number;
  maxTokens: number;
  /** Token `index` (0-based) was generated. */
  onToken(index: number): void;
  /** All `maxTokens` tokens were generated (called right after the last onToken). */
  onDone(): void;
  /** The job ended before it finished: the engine stopped, or onToken threw. */
  onStopped(): void;
}

interface Entry {
  job: BatchJob;
  emitted: number;
  state: "queued" | "active" | "finished";
}

/** Step time in ms for a batch of `batchSize` in which `joiningPromptTokens` prompt tokens are prefilled. */
export function stepMs(cfg: BatcherConfig, batchSize: number, joiningPromptTokens: number): number {
  return cfg.decodeStepMs * Math.pow(batchSize, cfg.batchExponent) + cfg.prefillMsPerToken * joiningPromptTokens;
}

/**
 * Cold start: extra latency of generation request `index` (0-based, in order of arrival). The first
 * request pays `coldStartMs`, and the extra falls linearly to 0 at request `coldStartRequests`:
 * `coldStartMs × (K − index) / K` for index < K, then 0 — like a server compiling kernels and
 * filling its caches on its first requests.
 */
export function coldStartExtraMs(cfg: { coldStartRequests: number; coldStartMs: number }, index: number): number {
  const k = cfg.coldStartRequests;
  return index < k ? (cfg.coldStartMs * (k - index)) / k : 0;
}

export class Batcher {
  readonly #cfg: BatcherConfig;
  readonly #counters: BatcherCounters;
  readonly #clock: BatcherClock;
  #queue: Entry[] = [];
  #active: Entry[] = [];
  #timer: unknown = null;
  #phase: "idle" | "window" | "step" | "stopped" = "idle";

  constructor(cfg: BatcherConfig, counters: BatcherCounters, clock: BatcherClock = realClock) {
    this.#cfg = cfg;
    this.#counters = counters;
    this.#clock = clock;
  }

  /** Requests generating now. */
  get batchSize(): number {
    return this.#active.length;
  }

  /** Requests waiting for room in the batch. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Adds a job; returns a function that removes it (a client that went away). */
  submit(job: BatchJob): () => void {
    const entry: Entry = { job, emitted: 0, state: "queued" };
    if (this.#phase === "stopped") {
      entry.state = "finished";
      job.onStopped();
      return () => {};
    }
    this.#queue.push(entry);
    if (this.#phase === "idle") {
      this.#phase = "window";
      const startAt = this.#clock.now() + this.#cfg.batchWindowMs;
      this.#at(startAt, () => this.#beginStep(startAt));
    }
    return () => this.#cancel(entry);
  }

  /** Stops the loop: clears its timer and tells every unfinished job. */
  stop(): void {
    if (this.#phase === "stopped") return;
    this.#phase = "stopped";
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    const left = [...this.#active, ...this.#queue];
    this.#active = [];
    this.#queue = [];
    for (const e of left) {
      e.state = "finished";
      try {
        e.job.onStopped();
      } catch {
        // a job's failure to clean up must not stop the others
      }
    }
  }

  #cancel(entry: Entry): void {
    if (entry.state === "finished") return;
    const list = entry.state === "queued" ? this.#queue : this.#active;
    const i = list.indexOf(entry);
    if (i >= 0) list.splice(i, 1);
    entry.state = "finished";
  }

  /** Runs `fn` once the clock reaches `target`, never before. */
  #at(target: number, fn: () => void): void {
    const delay = Math.max(0, target - this.#clock.now());
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null;
      if (this.#phase === "stopped") return;
      if (this.#clock.now() < target) this.#at(target, fn);
      else fn();
    }, delay);
  }

  #beginStep(startAt: number): void {
    let joiningTokens = 0;
    while (this.#active.length < this.#cfg.maxBatchSize && this.#queue.length > 0) {
      const e = this.#queue.shift()!;
      e.state = "active";
      this.#active.push(e);
      joiningTokens += e.job.promptTokens;
    }
    const b = this.#active.length;
    if (b === 0) {
      this.#phase = "idle";
      return;
    }
    if (b > this.#counters.max_batch_size_seen) this.#counters.max_batch_size_seen = b;
    this.#phase = "step";
    const endAt = startAt + stepMs(this.#cfg, b, joiningTokens);
    this.#at(endAt, () => this.#endStep(endAt));
  }

  #endStep(endAt: number): void {
    this.#counters.decode_steps++;
    for (const e of [...this.#active]) {
      if (e.state !== "active") continue; // cancelled by an earlier job's callback
      const index = e.emitted++;
      this.#counters.tokens_generated++;
      const done = e.emitted >= e.job.maxTokens;
      if (done) this.#cancel(e);
      try {
        e.job.onToken(index);
        if (done) e.job.onDone();
      } catch {
        // the job's consumer broke (a closed stream): drop the job, and let it clean up
        this.#cancel(e);
        try {
          e.job.onStopped();
        } catch {
          // nothing more to do for it
        }
      }
    }
    if (this.#phase === "stopped") return;
    if (this.#active.length > 0 || this.#queue.length > 0) this.#beginStep(endAt);
    else this.#phase = "idle";
  }
}
